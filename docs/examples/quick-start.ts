// The README's quick start. Type-checked with the project; its text is checked against the README.
import pg from 'pg';
import { SessionRepository, isConcurrencyError, withSessionRetry } from 'versioned-sessions';
import { PostgresSessionStore } from 'versioned-sessions/postgres';

type State = 'MENU' | 'ASK_NAME' | 'CONFIRM' | 'DONE';
interface ChatData { name?: string }

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
const sessions = new SessionRepository<ChatData, State>({ store: new PostgresSessionStore({ pool }), logger: console });
await sessions.verifySchema(); // throws MigrationRequiredError, naming the fix, if the table is not ready

function nextState(state: State | null, text: string): State {
  if (state === 'ASK_NAME') return 'CONFIRM';
  if (state === 'CONFIRM') return text === 'si' ? 'DONE' : 'ASK_NAME';
  return text === '1' ? 'ASK_NAME' : (state ?? 'MENU');
}

// One call per webhook delivery; message.id is the platform's message id (WhatsApp's wamid.…).
export async function onMessage(message: { id: string; from: string; text: string }): Promise<number> {
  try {
    const result = await withSessionRetry(sessions, message.from, (session) =>
      sessions.updateSession(message.from, {
        state: nextState(session.state, message.text),
        data: { ...session.data, name: session.state === 'ASK_NAME' ? message.text : session.data.name },
      }, { expectedVersion: session.version }),
      { idempotencyKey: message.id });
    if (result.status === 'duplicate') return 200; // delivered before and applied then: nothing written
    await sendReply(message.from, result.value.state); // after the write: the handler may run twice
    return 200;
  } catch (error) {
    if (isConcurrencyError(error)) return 503; // every attempt lost a race: nothing written, redeliver
    throw error;
  }
}

declare function sendReply(to: string, state: State | null): Promise<void>;
