// The README's per-key queue sample. Type-checked with the project; its text is checked against the
// README.
import type pg from 'pg';
import { SessionRepository } from 'versioned-sessions';
import { PostgresSessionStore } from 'versioned-sessions/postgres';

declare const pool: pg.Pool;

const sessions = new SessionRepository({ store: new PostgresSessionStore({ pool }), perKeyQueue: false }); // the queue off
export { sessions };
