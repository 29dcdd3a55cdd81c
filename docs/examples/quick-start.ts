// The README's quick start. Type-checked with the project; its text is checked against the README.
import pg from 'pg';
import { SessionRepository, withSessionRetry } from 'versioned-sessions';
import { PostgresSessionStore } from 'versioned-sessions/postgres';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
const sessions = new SessionRepository({ store: new PostgresSessionStore({ pool }), logger: console });
await sessions.verifySchema(); // throws MigrationRequiredError, naming the fix, if the table is not ready

export async function onMessage(phone: string, text: string) {
  return withSessionRetry(sessions, phone, (session) => {
    const state = session.state === 'MENU' && text === '1' ? 'REFRI_ESPERA_SAP' : 'MENU';
    return sessions.updateSession(phone, { state, data: { ...session.data, lastText: text } },
      { expectedVersion: session.version });
  });
}
