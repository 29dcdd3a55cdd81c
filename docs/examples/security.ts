// Samples of docs/security.md: the masker's secret from the environment, and a rotation window in which
// log lines carry the key masked under both secrets. Type-checked with the project.
import { SessionRepository, hmacKeyMasker, type KeyMasker, type SessionStore } from 'versioned-sessions';

declare const store: SessionStore;

export function singleSecret(): SessionRepository {
  const sessions = new SessionRepository({ store, maskKey: hmacKeyMasker(process.env.LOG_KEY_SECRET!) });
  return sessions;
}

export function duringRotation(): SessionRepository {
  const current = hmacKeyMasker(process.env.LOG_KEY_SECRET!);
  const previousSecret = process.env.LOG_KEY_SECRET_PREVIOUS;
  const previous = previousSecret === undefined ? undefined : hmacKeyMasker(previousSecret);
  // While both are set, every line shows both masks: a search with either secret's mask finds it.
  const maskKey: KeyMasker = (key) => (previous === undefined ? current(key) : `${current(key)} (was ${previous(key)})`);
  return new SessionRepository({ store, maskKey });
}
