// Samples of docs/retries.md. Type-checked with the project; the guide's code blocks are checked to
// appear here.
import { isConcurrencyError, withRetry, withSessionRetry, type SessionRepository } from 'versioned-sessions';
import { isTransientError } from 'versioned-sessions/postgres';

interface ChatData {
  paso?: number;
}
declare const repository: SessionRepository<ChatData>;
declare const phone: string;
declare const text: string;
declare function nextState(state: string | null, text: string): string;
declare const metrics: { increment(name: string, tags?: Record<string, string>): void };

export async function defaults(): Promise<void> {
  await withSessionRetry(repository, phone, (session) =>
    repository.updateSession(phone, { state: nextState(session.state, text) }, { expectedVersion: session.version }),
  );
}

export async function burstyChat(): Promise<void> {
  await withSessionRetry(
    repository,
    phone,
    (session) => repository.updateSession(phone, { state: nextState(session.state, text) }, { expectedVersion: session.version }),
    {
      maxAttempts: 20,
      baseDelayMs: 25,
      maxDelayMs: 1000,
      jitter: 'full',
      initial: { state: 'INICIO', data: { paso: 0 } },
      onRetry: (attempt) => metrics.increment('session.retry', { attempt: String(attempt) }),
    },
  );
}

export async function existingSessionsOnly(): Promise<void> {
  // A missing session throws SessionNotFoundError instead of being created.
  await withSessionRetry(
    repository,
    phone,
    (session) => repository.updateSession(phone, { state: 'CERRADO' }, { expectedVersion: session.version }),
    { createIfMissing: false },
  );
}

export async function transientFaultsToo(): Promise<void> {
  await withRetry(
    async () => {
      const session = await repository.getOrCreateSession(phone);
      return repository.updateSession(phone, { state: 'PAGO' }, { expectedVersion: session.version });
    },
    { shouldRetry: (error) => isConcurrencyError(error) || isTransientError(error), operationName: 'pago' },
  );
}

export async function withDeadline(): Promise<void> {
  // Stop waiting when the HTTP request behind it has to answer: the call rejects with the signal's reason.
  await withSessionRetry(
    repository,
    phone,
    (session) => repository.updateSession(phone, { state: 'MENU' }, { expectedVersion: session.version }),
    { maxAttempts: 10, signal: AbortSignal.timeout(2000) },
  );
}
