// The README's per-key queue sample. Type-checked with the project; its text is checked against the
// README.
import type pg from 'pg';
import { SessionRepository, withSessionRetry } from 'versioned-sessions';
import { PostgresSessionStore } from 'versioned-sessions/postgres';

declare const pool: pg.Pool;
declare const phone: string;

const sessions = new SessionRepository({ store: new PostgresSessionStore({ pool }), perKeyQueue: true });
await withSessionRetry(sessions, phone, (session) =>
  sessions.updateSession(phone, { state: 'MENU' }, { expectedVersion: session.version }));
