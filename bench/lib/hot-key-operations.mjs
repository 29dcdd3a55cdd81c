// One read-modify-write "handler" call per variant, all incrementing `data.counter` of one key, so the
// final counter tells how many increments really landed.
import { isConcurrencyError, withSessionRetry } from '../../dist/index.js';

export const HOT_KEY = '+5215512345678';

/** The variants measured on a hot key, in the order they are printed. */
export const VARIANTS = ['naive', 'withSessionRetry', 'perKeyQueue', 'pessimistic', 'single-statement'];

/** The counter the database holds for the hot key. */
export async function readCounter(connection) {
  const session = await connection.repository.getSession(HOT_KEY);
  return session?.data.counter ?? 0;
}

/** Wraps a library call: attempts counted by the caller, an exhausted retry reported, not thrown. */
async function tally(run) {
  const attempts = { count: 0 };
  try {
    await run(attempts);
    return { ok: true, attempts: attempts.count };
  } catch (error) {
    if (isConcurrencyError(error)) return { ok: false, exhausted: true, attempts: attempts.count };
    return { ok: false, attempts: attempts.count, error };
  }
}

function sqlFor(tableInfo) {
  const t = tableInfo.table;
  if (tableInfo.dialect === 'postgres') {
    return {
      lockedRead: `SELECT data FROM ${t} WHERE key = $1 FOR UPDATE`,
      write: `UPDATE ${t} SET data = $2, version = version + 1, updated_at = now() WHERE key = $1`,
      increment:
        `UPDATE ${t} SET data = jsonb_set(data, '{counter}', to_jsonb((data->>'counter')::int + 1)), ` +
        `version = version + 1, updated_at = now() WHERE key = $1`,
    };
  }
  if (tableInfo.dialect === 'mssql') {
    return {
      lockedRead: `SELECT Data FROM ${t} WITH (UPDLOCK, ROWLOCK) WHERE SessionKey = @key`,
      write: `UPDATE ${t} SET Data = @data, Version = Version + 1, UpdatedAt = SYSUTCDATETIME() WHERE SessionKey = @key`,
      increment:
        `UPDATE ${t} SET Data = JSON_MODIFY(Data, '$.counter', CAST(JSON_VALUE(Data, '$.counter') AS int) + 1), ` +
        `Version = Version + 1, UpdatedAt = SYSUTCDATETIME() WHERE SessionKey = @key`,
    };
  }
  if (tableInfo.dialect === 'mysql') {
    return {
      lockedRead: `SELECT data FROM ${t} WHERE \`key\` = ? FOR UPDATE`,
      write: `UPDATE ${t} SET data = ?, version = version + 1, updated_at = UTC_TIMESTAMP(3) WHERE \`key\` = ?`,
      increment:
        `UPDATE ${t} SET data = JSON_SET(data, '$.counter', JSON_EXTRACT(data, '$.counter') + 1), ` +
        `version = version + 1, updated_at = UTC_TIMESTAMP(3) WHERE \`key\` = ?`,
    };
  }
  const now = `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`;
  return {
    read: `SELECT data FROM ${t} WHERE key = ?`,
    write: `UPDATE ${t} SET data = ?, version = version + 1, updated_at = ${now} WHERE key = ?`,
    increment:
      `UPDATE ${t} SET data = json_set(data, '$.counter', json_extract(data, '$.counter') + 1), ` +
      `version = version + 1, updated_at = ${now} WHERE key = ?`,
  };
}

/** The pessimistic baseline: lock the row, read, write, commit. */
function pessimistic(connection, tableInfo, sql) {
  if (tableInfo.dialect === 'postgres') {
    return () =>
      tally(async (attempts) => {
        attempts.count++;
        const client = await connection.pool.connect();
        try {
          await client.query('BEGIN');
          const { rows } = await client.query(sql.lockedRead, [HOT_KEY]);
          const data = rows[0].data;
          await client.query(sql.write, [HOT_KEY, JSON.stringify({ ...data, counter: data.counter + 1 })]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        } finally {
          client.release();
        }
      });
  }
  if (tableInfo.dialect === 'mssql') {
    return () =>
      tally(async (attempts) => {
        attempts.count++;
        const transaction = new connection.sql.Transaction(connection.pool);
        await transaction.begin();
        try {
          const { recordset } = await transaction.request().input('key', HOT_KEY).query(sql.lockedRead);
          const data = JSON.parse(recordset[0].Data);
          await transaction
            .request()
            .input('key', HOT_KEY)
            .input('data', JSON.stringify({ ...data, counter: data.counter + 1 }))
            .query(sql.write);
          await transaction.commit();
        } catch (error) {
          await transaction.rollback();
          throw error;
        }
      });
  }
  if (tableInfo.dialect === 'mysql') {
    return () =>
      tally(async (attempts) => {
        attempts.count++;
        const client = await connection.pool.getConnection();
        try {
          await client.query('START TRANSACTION');
          const [rows] = await client.execute(sql.lockedRead, [HOT_KEY]);
          const data = JSON.parse(rows[0].data);
          await client.execute(sql.write, [JSON.stringify({ ...data, counter: data.counter + 1 }), HOT_KEY]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        } finally {
          client.release();
        }
      });
  }
  // better-sqlite3 is synchronous: BEGIN IMMEDIATE takes the write lock up front, like FOR UPDATE.
  const read = connection.database.prepare(sql.read);
  const write = connection.database.prepare(sql.write);
  const transaction = connection.database.transaction(() => {
    const data = JSON.parse(read.get(HOT_KEY).data);
    write.run(JSON.stringify({ ...data, counter: data.counter + 1 }), HOT_KEY);
  });
  return () =>
    tally(async (attempts) => {
      attempts.count++;
      transaction.immediate();
    });
}

/** The ceiling: one statement that increments in place (no read-modify-write in the application). */
function singleStatement(connection, tableInfo, sql) {
  if (tableInfo.dialect === 'postgres') {
    return () => tally(async (attempts) => (attempts.count++, connection.pool.query(sql.increment, [HOT_KEY])));
  }
  if (tableInfo.dialect === 'mysql') {
    return () => tally(async (attempts) => (attempts.count++, connection.pool.execute(sql.increment, [HOT_KEY])));
  }
  if (tableInfo.dialect === 'mssql') {
    return () =>
      tally(
        async (attempts) => (attempts.count++, connection.pool.request().input('key', HOT_KEY).query(sql.increment)),
      );
  }
  const increment = connection.database.prepare(sql.increment);
  return () => tally(async (attempts) => (attempts.count++, increment.run(HOT_KEY)));
}

/**
 * The operation of `variant` on `connection`. `perKeyQueue` needs a connection whose repository was
 * made with `perKeyQueue: true`; `retry` is passed to withSessionRetry (default policy when empty).
 */
export function hotKeyOperation(variant, connection, tableInfo, retry = {}) {
  const { repository } = connection;
  const sql = sqlFor(tableInfo);
  switch (variant) {
    case 'naive':
      return () =>
        tally(async (attempts) => {
          attempts.count++;
          const session = await repository.getOrCreateSession(HOT_KEY);
          await repository.updateSession(HOT_KEY, { data: { ...session.data, counter: session.data.counter + 1 } });
        });
    case 'withSessionRetry':
    case 'perKeyQueue':
      return () =>
        tally((attempts) =>
          withSessionRetry(
            repository,
            HOT_KEY,
            (session) => {
              attempts.count++;
              const data = { ...session.data, counter: session.data.counter + 1 };
              return repository.updateSession(HOT_KEY, { data }, { expectedVersion: session.version });
            },
            retry,
          ),
        );
    case 'pessimistic':
      return pessimistic(connection, tableInfo, sql);
    case 'single-statement':
      return singleStatement(connection, tableInfo, sql);
    default:
      throw new Error(`unknown hot-key variant ${variant}`);
  }
}
