// Samples of docs/optimistic-locking.md. Type-checked with the project; the guide's code blocks are
// checked to appear here.
import {
  ConcurrencyError,
  SessionNotFoundError,
  isConcurrencyError,
  type Session,
  type SessionRepository,
} from 'versioned-sessions';

interface ChatData {
  items?: string[];
}
declare const repository: SessionRepository<ChatData>;
declare const key: string;
declare function decide(session: Session<ChatData>): { state: string; data: ChatData };

export async function readModifyWrite(): Promise<void> {
  const session = await repository.getOrCreateSession(key, { state: 'INICIO', data: {} });
  const next = decide(session); // your bot's logic: may take a while, may call other services
  try {
    const saved = await repository.updateSession(key, next, { expectedVersion: session.version });
    console.log(saved.version); // session.version + 1
  } catch (error) {
    if (isConcurrencyError(error)) {
      // Another instance wrote first; nothing was written. Re-read and decide again.
      console.warn(error.message, error.expectedVersion, error.actualVersion);
    } else if (error instanceof SessionNotFoundError) {
      // The session was deleted in between.
    } else {
      throw error;
    }
  }
}

export async function legacyWrite(): Promise<void> {
  // No expectedVersion: an unconditional write, as before the migration. The version is still bumped,
  // so versioned writers that read before it will conflict instead of overwriting it.
  await repository.updateSession(key, { state: 'MENU' });
}

export async function conditionalDelete(session: Session<ChatData>): Promise<boolean> {
  return repository.deleteSession(key, { expectedVersion: session.version });
}

export async function lastActivity(): Promise<void> {
  await repository.touchSession(key); // updatedAt only: no version bump, never a conflict
}

export function describeConflict(error: unknown): string | undefined {
  if (!(error instanceof ConcurrencyError)) return undefined;
  return `${error.operation} of ${error.maskedKey}: expected ${error.expectedVersion}, found ${error.actualVersion ?? 'unknown'}`;
}
