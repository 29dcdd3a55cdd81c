// The webhook family's calls: one "message" per call, each incrementing `data.counter` of its chat, so the
// counters the database holds at the end say how many messages really landed. Statements are counted at
// the driver: every query a pg client sends, every better-sqlite3 statement run.
import { isConcurrencyError, withSessionRetry } from '../../dist/index.js';

/** The ways of handling one message, in the order they are printed; each library call with and without the per-key queue. */
export const CALLS = ['raw', 'updateSession', 'withSessionRetry', 'withSessionRetry+key'];
/** References for the hot chat only. */
export const REFERENCES = ['pessimistic', 'single-statement'];

/** Every measured variant: `{ call, queue }`; the raw statement and the references use no repository. */
export function variantsOf(calls) {
  return calls.flatMap((call) =>
    call === 'raw' || REFERENCES.includes(call)
      ? [{ call, queue: false }]
      : [
          { call, queue: false },
          { call, queue: true },
        ],
  );
}

export const variantLabel = ({ call, queue }) => (queue ? `${call} +queue` : call);

let statements = 0;
const installed = new Set();

/** How many statements the drivers of this process have sent so far. */
export const statementCount = () => statements;

/** Counts every statement the dialect's driver sends from now on, in this process. */
export async function countStatements(dialect) {
  if (installed.has(dialect)) return;
  installed.add(dialect);
  if (dialect === 'postgres') {
    // pg's Pool.query checks a client out and calls its query: counting Client#query sees every statement once.
    const { default: pg } = await import('pg');
    const query = pg.Client.prototype.query;
    pg.Client.prototype.query = function countedQuery(...args) {
      statements++;
      return query.apply(this, args);
    };
    return;
  }
  if (dialect === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const probe = new Database(':memory:');
    const prototype = Object.getPrototypeOf(probe.prepare('SELECT 1'));
    probe.close();
    for (const method of ['run', 'get', 'all', 'iterate']) {
      const original = prototype[method];
      prototype[method] = function countedStatement(...args) {
        statements++;
        return original.apply(this, args);
      };
    }
    const exec = Database.prototype.exec;
    Database.prototype.exec = function countedExec(...args) {
      statements++;
      return exec.apply(this, args);
    };
    return;
  }
  throw new Error(`the webhook family counts statements on postgres and sqlite, not ${dialect}`);
}

/** The statements the raw variants and the references send by hand. */
function sqlFor(tableInfo) {
  const t = tableInfo.table;
  if (tableInfo.dialect === 'postgres') {
    return {
      read: `SELECT data, version FROM ${t} WHERE key = $1`,
      update: `UPDATE ${t} SET data = $2, version = version + 1, updated_at = now() WHERE key = $1 AND version = $3`,
      lockedRead: `SELECT data FROM ${t} WHERE key = $1 FOR UPDATE`,
      write: `UPDATE ${t} SET data = $2, version = version + 1, updated_at = now() WHERE key = $1`,
      increment:
        `UPDATE ${t} SET data = jsonb_set(data, '{counter}', to_jsonb((data->>'counter')::int + 1)), ` +
        `version = version + 1, updated_at = now() WHERE key = $1`,
    };
  }
  const now = `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`;
  return {
    read: `SELECT data, version FROM ${t} WHERE key = ?`,
    update: `UPDATE ${t} SET data = ?, version = version + 1, updated_at = ${now} WHERE key = ? AND version = ?`,
    write: `UPDATE ${t} SET data = ?, version = version + 1, updated_at = ${now} WHERE key = ?`,
    increment:
      `UPDATE ${t} SET data = json_set(data, '$.counter', json_extract(data, '$.counter') + 1), ` +
      `version = version + 1, updated_at = ${now} WHERE key = ?`,
  };
}

/** The raw driver's read and conditional update: `read(key)` → `{ data, version }`, `update(...)` → rows written. */
function rawStatements(connection, tableInfo) {
  const sql = sqlFor(tableInfo);
  if (tableInfo.dialect === 'postgres') {
    return {
      read: async (key) => (await connection.pool.query(sql.read, [key])).rows[0],
      update: async (key, data, version) =>
        (await connection.pool.query(sql.update, [key, JSON.stringify(data), version])).rowCount,
    };
  }
  const read = connection.database.prepare(sql.read);
  const update = connection.database.prepare(sql.update);
  return {
    read: async (key) => {
      const row = read.get(key);
      return { data: JSON.parse(row.data), version: row.version };
    },
    update: async (key, data, version) => update.run(JSON.stringify(data), key, version).changes,
  };
}

let messageIds = 0;
/** A message id unique across the processes of a run. */
export const nextMessageId = () => `wamid.${process.pid}.${(messageIds++).toString(36)}`;

/**
 * One message on `key` by `call`. `known` (uncontended only) holds the version and counter this handler
 * wrote last, which the raw and `updateSession` variants write on without reading, as a handler that
 * keeps its chat's state in memory would; without it they read first and retry a refused write at once.
 * Resolves to `{ ok, attempts, exhausted?, duplicate? }`.
 */
export function webhookOperation(call, connection, tableInfo, retry = {}) {
  const { repository } = connection;
  const increment = (session) => ({ ...session.data, counter: session.data.counter + 1 });
  switch (call) {
    case 'raw': {
      const raw = rawStatements(connection, tableInfo);
      return async (key, known) => {
        if (known !== undefined) {
          const data = { counter: known.counter + 1 };
          if ((await raw.update(key, data, known.version)) !== 1) throw new Error(`raw write of ${key} refused`);
          known.version++;
          known.counter++;
          return { ok: true, attempts: 1 };
        }
        for (let attempts = 1; ; attempts++) {
          const session = await raw.read(key);
          if ((await raw.update(key, increment(session), session.version)) === 1) return { ok: true, attempts };
        }
      };
    }
    case 'updateSession':
      return async (key, known) => {
        if (known !== undefined) {
          const written = await repository.updateSession(
            key,
            { data: { counter: known.counter + 1 } },
            { expectedVersion: known.version },
          );
          known.version = written.version;
          known.counter = written.data.counter;
          return { ok: true, attempts: 1 };
        }
        for (let attempts = 1; ; attempts++) {
          const session = await repository.getSessionWithVersion(key);
          try {
            await repository.updateSession(key, { data: increment(session) }, { expectedVersion: session.version });
            return { ok: true, attempts };
          } catch (error) {
            if (!isConcurrencyError(error)) throw error;
          }
        }
      };
    case 'withSessionRetry':
    case 'withSessionRetry+key': {
      const keyed = call === 'withSessionRetry+key';
      return async (key, _known, messageId = keyed ? nextMessageId() : undefined) => {
        let attempts = 0;
        try {
          const result = await withSessionRetry(
            repository,
            key,
            (session) => {
              attempts++;
              return repository.updateSession(key, { data: increment(session) }, { expectedVersion: session.version });
            },
            keyed ? { ...retry, idempotencyKey: messageId } : retry,
          );
          return {
            ok: !keyed || result.status === 'applied',
            duplicate: keyed && result.status === 'duplicate',
            attempts,
          };
        } catch (error) {
          if (isConcurrencyError(error)) return { ok: false, exhausted: true, attempts };
          throw error;
        }
      };
    }
    case 'pessimistic':
      return pessimistic(connection, tableInfo, sqlFor(tableInfo));
    case 'single-statement': {
      const sql = sqlFor(tableInfo);
      if (tableInfo.dialect === 'postgres') {
        return async (key) => (await connection.pool.query(sql.increment, [key]), { ok: true, attempts: 1 });
      }
      const statement = connection.database.prepare(sql.increment);
      return async (key) => (statement.run(key), { ok: true, attempts: 1 });
    }
    default:
      throw new Error(`unknown webhook call ${call}`);
  }
}

/** `BEGIN; SELECT … FOR UPDATE; UPDATE; COMMIT` (SQLite: a `BEGIN IMMEDIATE` transaction). */
function pessimistic(connection, tableInfo, sql) {
  if (tableInfo.dialect === 'postgres') {
    return async (key) => {
      const client = await connection.pool.connect();
      try {
        await client.query('BEGIN');
        const { rows } = await client.query(sql.lockedRead, [key]);
        await client.query(sql.write, [key, JSON.stringify({ ...rows[0].data, counter: rows[0].data.counter + 1 })]);
        await client.query('COMMIT');
        return { ok: true, attempts: 1 };
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      } finally {
        client.release();
      }
    };
  }
  const read = connection.database.prepare(`${sql.read}`);
  const write = connection.database.prepare(sql.write);
  const transaction = connection.database.transaction((key) => {
    const data = JSON.parse(read.get(key).data);
    write.run(JSON.stringify({ ...data, counter: data.counter + 1 }), key);
  });
  return async (key) => (transaction.immediate(key), { ok: true, attempts: 1 });
}

/** The counter a chat holds in the database. */
export async function readCounter(connection, key) {
  const session = await connection.repository.getSession(key);
  return session?.data.counter ?? 0;
}
