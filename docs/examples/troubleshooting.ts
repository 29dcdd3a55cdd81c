// Samples of docs/troubleshooting.md. Type-checked with the project; the guide's code blocks are
// checked to appear here.
import {
  MigrationRequiredError,
  isConcurrencyError,
  withSessionRetry,
  type Session,
  type SessionRepository,
} from 'versioned-sessions';

declare const sessions: SessionRepository;
declare const phone: string;
declare function callSap(phone: string): Promise<string>;
declare function nextState(state: string | null): string;
declare const metrics: { increment(name: string): void };

export async function atStartup(): Promise<void> {
  try {
    await sessions.verifySchema();
  } catch (error) {
    if (error instanceof MigrationRequiredError) console.error(error.message); // names what is missing and the fix
    throw error;
  }
}

export async function staleVersionBug(): Promise<void> {
  // Wrong: the session is read once, outside the retry, so every attempt sends the same stale version.
  const stale: Session = (await sessions.getSessionWithVersion(phone))!;
  await withSessionRetry(sessions, phone, () =>
    sessions.updateSession(phone, { state: 'MENU' }, { expectedVersion: stale.version }),
  );
}

export async function twoWritesBug(): Promise<void> {
  // Wrong: the second write names the version the first one already moved past, so it always conflicts.
  await withSessionRetry(sessions, phone, async (session) => {
    await sessions.updateSession(phone, { state: 'PASO_1' }, { expectedVersion: session.version });
    return sessions.updateSession(phone, { state: 'PASO_2' }, { expectedVersion: session.version });
  });
}

export async function slowWorkOutside(): Promise<void> {
  // The slow call does not depend on the session, so it runs once, before the read-modify-write.
  const ticket = await callSap(phone);
  await withSessionRetry(sessions, phone, (session) =>
    sessions.updateSession(phone, { state: nextState(session.state), data: { ...session.data, ticket } },
      { expectedVersion: session.version }),
  );
}

export async function countRetries(): Promise<void> {
  await withSessionRetry(
    sessions,
    phone,
    (session) => sessions.updateSession(phone, { state: 'MENU' }, { expectedVersion: session.version }),
    { onRetry: () => metrics.increment('sessions.conflict_retry') },
  );
}

export async function handleGivingUp(reply: (status: number) => void): Promise<void> {
  try {
    await withSessionRetry(sessions, phone, (session) =>
      sessions.updateSession(phone, { state: 'MENU' }, { expectedVersion: session.version }),
    );
    reply(200);
  } catch (error) {
    if (!isConcurrencyError(error)) throw error;
    reply(503); // nothing was written: let the sender (or the platform's retry policy) deliver it again
  }
}
