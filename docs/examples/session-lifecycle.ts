// Samples of docs/session-lifecycle.md. Type-checked with the project; the guide's code blocks are
// checked to appear here.
/* eslint-disable @typescript-eslint/no-unused-vars -- the guide's samples name results they would go on to use */
import pg from 'pg';
import { SessionRepository, type Session } from 'versioned-sessions';
import { PostgresSessionStore } from 'versioned-sessions/postgres';

declare const session: Session;
declare const phone: string;

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
const sessions = new SessionRepository({
  store: new PostgresSessionStore({ pool, history: true }),
});

export async function confirm(): Promise<void> {
  await sessions.updateSession(
    phone,
    { state: 'EQUIPO_CONFIRMADO' },
    { expectedVersion: session.version, origin: 'user', reason: 'Equipo confirmado' },
  );
}

export async function sweep(): Promise<void> {
  const { expired, skipped } = await sessions.expireIdleSessions({
    idleFor: '30m',
    changes: { state: 'CANCELADA' },
  });
}

export async function readHistory(): Promise<void> {
  const last = await sessions.getSessionHistory(phone, { limit: 10 });
  for (const t of last) console.log(`v${t.version} ${t.previousState} -> ${t.state} by ${t.origin}: ${t.reason}`);
  const older = await sessions.getSessionHistory(phone, { limit: 10, before: last.at(-1)!.version });
}

export async function retention(): Promise<void> {
  const { deleted } = await sessions.pruneSessions({ olderThan: '90d', states: ['CANCELADA', 'FINALIZADA'] });
  const ninetyDays = 90 * 24 * 3600_000;
  await sessions.pruneHistory({ olderThan: new Date(Date.now() - ninetyDays) });
  await sessions.pruneProcessed({ olderThan: new Date(Date.now() - 7 * 24 * 3600_000) });
}

export async function listOpenChats(): Promise<void> {
  let cursor: string | undefined;
  do {
    const page = await sessions.listSessions({ states: ['MENU', 'ESPERA_DATOS'], limit: 100, ...(cursor ? { cursor } : {}) });
    for (const chat of page.sessions) console.log(sessions.maskKey(chat.key), chat.state, chat.updatedAt.toISOString());
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}
