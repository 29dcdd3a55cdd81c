// A worker thread in the legacy-writer race: either a `legacy` writer that bumps a counter kept in the
// state column with raw SQL (as code from before the library does, never touching the version), or a
// `library` writer that reads the session and writes it back with its state as read and its data's
// counter plus one, through withSessionRetry. Each opens its own connection. Loaded outside vitest, so
// it imports the bundled library from test/.tmp/lib.
import { parentPort, workerData } from 'node:worker_threads';
import { setTimeout as delay } from 'node:timers/promises';

const { dialect, location, schema, tableOptions, role, key, tasks, writes, legacySql } = workerData;

async function openRaw() {
  if (dialect === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const database = new Database(location);
    database.pragma('busy_timeout = 10000');
    const statement = database.prepare(legacySql);
    return { run: async () => statement.run(key).changes, close: async () => database.close() };
  }
  if (dialect === 'postgres') {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: location, max: tasks });
    return { run: async () => (await pool.query(legacySql, [key])).rowCount, close: () => pool.end() };
  }
  const { default: mysql } = await import('mysql2/promise');
  const pool = mysql.createPool({ uri: location, database: schema, connectionLimit: tasks });
  return { run: async () => (await pool.query(legacySql, [key]))[0].affectedRows, close: () => pool.end() };
}

// Every refused write, the cached session's included (the per-key queue re-reads those without a retry).
let conflicts = 0;
const hooks = { onConflict: () => conflicts++ };

async function openRepository() {
  const core = await import('../.tmp/lib/index.mjs');
  if (dialect === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const { SqliteSessionStore } = await import('../.tmp/lib/sqlite.mjs');
    const database = new Database(location);
    const store = new SqliteSessionStore({ database, ...tableOptions });
    return { core, repository: new core.SessionRepository({ store, hooks }), close: async () => database.close() };
  }
  if (dialect === 'postgres') {
    const { default: pg } = await import('pg');
    const { PostgresSessionStore } = await import('../.tmp/lib/postgres.mjs');
    const pool = new pg.Pool({ connectionString: location, max: tasks });
    const store = new PostgresSessionStore({ pool, schema, ...tableOptions });
    return { core, repository: new core.SessionRepository({ store, hooks }), close: () => pool.end() };
  }
  const { default: mysql } = await import('mysql2/promise');
  const { MysqlSessionStore } = await import('../.tmp/lib/mysql.mjs');
  const pool = mysql.createPool({ uri: location, connectionLimit: tasks });
  const store = new MysqlSessionStore({ pool, database: schema, ...tableOptions });
  return { core, repository: new core.SessionRepository({ store, hooks }), close: () => pool.end() };
}

async function legacy() {
  const raw = await openRaw();
  parentPort.postMessage({ type: 'ready' });
  await new Promise((resolve) => parentPort.once('message', resolve));
  let applied = 0;
  await Promise.all(
    Array.from({ length: tasks }, async () => {
      for (let write = 0; write < writes; write++) {
        // Paced like the library's handlers, so the legacy writes spread over the library's run.
        await delay(1);
        // Not `applied += await …`: that reads `applied` before the await and loses the other tasks' counts.
        const changed = await raw.run();
        applied += changed;
      }
    }),
  );
  await raw.close();
  return { applied, conflicts: 0, attempts: 0 };
}

async function library() {
  const { core, repository, close } = await openRepository();
  parentPort.postMessage({ type: 'ready' });
  await new Promise((resolve) => parentPort.once('message', resolve));
  let applied = 0;
  let attempts = 0;
  await Promise.all(
    Array.from({ length: tasks }, async () => {
      for (let write = 0; write < writes; write++) {
        await core.withSessionRetry(
          repository,
          key,
          async (session) => {
            attempts++;
            // A timer turn, not just an immediate: the read-write window a slow handler has, so legacy
            // writes land inside it (SQLite runs one writer at a time and would otherwise rarely overlap).
            await delay(1);
            // The state goes back as it was read: a legacy write in between is overwritten unless refused.
            return repository.updateSession(
              key,
              { state: session.state, data: { counter: (session.data.counter ?? 0) + 1 } },
              { expectedVersion: session.version },
            );
          },
          { maxAttempts: 1000, baseDelayMs: 1, maxDelayMs: 5 },
        );
        applied++;
      }
    }),
  );
  await close();
  return { applied, conflicts, attempts };
}

const result = await (role === 'legacy' ? legacy() : library());
parentPort.postMessage({ type: 'done', ...result });
