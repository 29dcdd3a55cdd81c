// One webhook process of the burst (bench/burst.mjs): it opens its own connection, builds the
// repository with the options it is told (none: the library's defaults), waits for the start signal,
// then starts every delivery it was given at once, each through the quick start's handler, and
// reports each delivery's outcome in the order it was delivered.
import { pathToFileURL } from 'node:url';

const assignment = await new Promise((resolve) => process.once('message', resolve));
const { lib, target, options, deliveries } = assignment;
const load = (entry) => import(pathToFileURL(`${lib}/${entry}${assignment.extension}`).href);
const { SessionRepository, withSessionRetry, isConcurrencyError } = await load('index');

let store;
let close;
if (target.dialect === 'postgres') {
  const { default: pg } = await import('pg');
  const { PostgresSessionStore } = await load('postgres');
  const pool = new pg.Pool({ connectionString: target.url });
  store = new PostgresSessionStore({ pool, ...target.tableOptions });
  close = () => pool.end();
} else {
  const { default: Database } = await import('better-sqlite3');
  const { SqliteSessionStore } = await load('sqlite');
  const database = new Database(target.file);
  store = new SqliteSessionStore({ database, ...target.tableOptions });
  close = async () => database.close();
}

const sessions = new SessionRepository({ store, ...options.repository });

// The bot of the quick start: a flow MENU → ASK_NAME → CONFIRM → DONE driven by the message text.
function nextState(state, text) {
  switch (state) {
    case 'MENU':
      return text === '1' ? 'ASK_NAME' : 'MENU';
    case 'ASK_NAME':
      return 'CONFIRM';
    case 'CONFIRM':
      return text === 'si' ? 'DONE' : 'ASK_NAME';
    default:
      return state ?? 'MENU';
  }
}

async function deliver({ phone, id, text }) {
  let retries = 0;
  try {
    const result = await withSessionRetry(
      sessions,
      phone,
      (session) =>
        sessions.updateSession(
          phone,
          {
            state: nextState(session.state, text),
            data: { ...session.data, applied: [...(session.data.applied ?? []), id] },
          },
          { expectedVersion: session.version },
        ),
      {
        ...options.retry,
        idempotencyKey: id,
        initial: { state: 'MENU', data: { applied: [] } },
        onRetry: () => retries++,
      },
    );
    return { id, phone, status: result.status, retries };
  } catch (error) {
    const status = isConcurrencyError(error) ? 'exhausted' : 'error';
    return { id, phone, status, retries, error: status === 'error' ? `${error?.name}: ${error?.message}` : undefined };
  }
}

process.send({ type: 'ready' });
await new Promise((resolve) => process.once('message', resolve));
const started = performance.now();
// All at once: every delivery's handler starts in this tick, in delivery order.
const outcomes = await Promise.all(deliveries.map(deliver));
const elapsedMs = performance.now() - started;
await close();
process.send({ type: 'done', outcomes, elapsedMs });
process.disconnect();
