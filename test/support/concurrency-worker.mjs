// A worker thread that plays one function instance: it opens its own connection to the fixture's
// database and runs `tasks` concurrent operations of one workload on one key, then reports what each
// operation saw. Loaded outside vitest, so it imports the bundled library from test/.tmp/lib.
import { parentPort, workerData } from 'node:worker_threads';
import { setImmediate as yieldToOthers } from 'node:timers/promises';

const { connection, workload, key, tasks, retry, messageId, repositoryOptions } = workerData;
const core = await import('../.tmp/lib/index.mjs');

async function openStore() {
  if (connection.dialect === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const { SqliteSessionStore } = await import('../.tmp/lib/sqlite.mjs');
    const database = new Database(connection.location);
    return { store: new SqliteSessionStore({ database, ...connection.tableOptions }), close: () => database.close() };
  }
  if (connection.dialect === 'postgres') {
    const { default: pg } = await import('pg');
    const { PostgresSessionStore } = await import('../.tmp/lib/postgres.mjs');
    // poolSize below tasks makes the tasks share connections, sparing a server other suites use too.
    const pool = new pg.Pool({ connectionString: connection.location, max: workerData.poolSize ?? Math.min(tasks, 5) });
    return { store: new PostgresSessionStore({ pool, ...connection.tableOptions }), close: () => pool.end() };
  }
  if (connection.dialect === 'mysql') {
    const { default: mysql } = await import('mysql2/promise');
    const { MysqlSessionStore } = await import('../.tmp/lib/mysql.mjs');
    const { schema, ...tableOptions } = connection.tableOptions;
    const pool = mysql.createPool({
      uri: connection.location,
      connectionLimit: workerData.poolSize ?? Math.min(tasks, 5),
    });
    const store = new MysqlSessionStore({
      pool,
      ...tableOptions,
      ...(schema === undefined ? {} : { database: schema }),
    });
    return { store, close: () => pool.end() };
  }
  if (connection.dialect === 'mssql') {
    const { default: sql } = await import('mssql');
    const { MssqlSessionStore } = await import('../.tmp/lib/mssql.mjs');
    const config = sql.ConnectionPool.parseConnectionString(connection.location);
    // Left unconnected: the store connects it once on first use, shared by the concurrent tasks.
    const pool = new sql.ConnectionPool({ ...config, pool: { max: tasks } });
    return { store: new MssqlSessionStore({ pool, ...connection.tableOptions }), close: () => pool.close() };
  }
  throw new Error(`no worker store for ${connection.dialect}`);
}

function describeError(error) {
  return {
    name: error?.name ?? 'Error',
    message: String(error?.message ?? error),
    expectedVersion: error?.expectedVersion,
    actualVersion: error?.actualVersion,
    operation: error?.operation,
    isConcurrencyError: core.isConcurrencyError(error),
    isDuplicateOperationError: core.isDuplicateOperationError(error),
    committedVersion: error?.committedVersion,
  };
}

const workloads = {
  // Read-modify-write through withSessionRetry: the versioned way.
  async retryIncrement(repository) {
    let attempts = 0;
    let retries = 0;
    const session = await core.withSessionRetry(
      repository,
      key,
      async (current) => {
        attempts++;
        await yieldToOthers();
        return repository.updateSession(
          key,
          { data: { counter: (current.data.counter ?? 0) + 1 } },
          { expectedVersion: current.version },
        );
      },
      { ...retry, onRetry: () => retries++ },
    );
    return { ok: true, attempts, retries, version: session.version };
  },
  // Read, then write unconditionally: the lost-update bug the library exists to prevent.
  async naiveIncrement(repository) {
    const current = await repository.getOrCreateSession(key);
    await yieldToOthers();
    const session = await repository.updateSession(key, { data: { counter: (current.data.counter ?? 0) + 1 } });
    return { ok: true, attempts: 1, version: session.version };
  },
  // Everyone writes against the same version read before the race.
  async sameVersion(repository, index) {
    const session = await repository.updateSession(
      key,
      { state: `WRITER_${workerData.worker}_${index}` },
      {
        expectedVersion: workerData.expectedVersion,
      },
    );
    return { ok: true, attempts: 1, version: session.version };
  },
  // One delivery of a webhook message: withSessionRetry with the message id as idempotency key.
  async deliverOnce(repository) {
    let handlerRuns = 0;
    const result = await core.withSessionRetry(
      repository,
      key,
      async (current) => {
        handlerRuns++;
        await yieldToOthers();
        return repository.updateSession(
          key,
          { data: { counter: (current.data.counter ?? 0) + 1 } },
          { expectedVersion: current.version, idempotencyKey: messageId },
        );
      },
      { ...retry, idempotencyKey: messageId },
    );
    const version = result.status === 'applied' ? result.value.version : result.committedVersion;
    return { ok: true, status: result.status, attempts: handlerRuns, version };
  },
  // The same delivery without the idempotency key: every delivery is applied.
  async deliverWithoutKey(repository) {
    let handlerRuns = 0;
    const session = await core.withSessionRetry(
      repository,
      key,
      async (current) => {
        handlerRuns++;
        await yieldToOthers();
        return repository.updateSession(
          key,
          { data: { counter: (current.data.counter ?? 0) + 1 } },
          { expectedVersion: current.version },
        );
      },
      retry,
    );
    return { ok: true, status: 'applied', attempts: handlerRuns, version: session.version };
  },
  // A bare updateSession with the idempotency key against the version read before the race.
  async updateOnce(repository) {
    const session = await repository.updateSession(
      key,
      { data: { counter: 1 } },
      {
        expectedVersion: workerData.expectedVersion,
        idempotencyKey: messageId,
      },
    );
    return { ok: true, attempts: 1, version: session.version };
  },
  // lockingMode 'observe': everyone writes over the version read before the race; the write itself
  // says which version it replaced, and the repository's onConflict hook reports each stale one.
  async observeSameVersion(repository) {
    const session = await repository.updateSession(
      key,
      { state: `WRITER_${workerData.worker}` },
      {
        expectedVersion: workerData.expectedVersion,
      },
    );
    return { ok: true, attempts: 1, version: session.version };
  },
  // The racy way to observe: read the version, compare, then write unconditionally.
  async naiveObserve(repository) {
    const current = await repository.getSessionWithVersion(key);
    await yieldToOthers();
    const session = await repository.updateSession(key, { state: `WRITER_${workerData.worker}` });
    if (current.version !== workerData.expectedVersion) {
      conflicts.push({ expectedVersion: workerData.expectedVersion, actualVersion: current.version });
    }
    return { ok: true, attempts: 1, version: session.version };
  },
  async getOrCreate(repository) {
    const session = await repository.getOrCreateSession(key, { state: 'INICIO', data: { counter: 0 } });
    return { ok: true, attempts: 1, version: session.version, createdAt: session.createdAt.toISOString() };
  },
};

// Everything the worker's repository logs and every conflict it reports goes back to the parent.
const logs = [];
const conflicts = [];
const capture = (level) => (line) => logs.push({ level, line: String(line) });
const logger = { debug: capture('debug'), info: capture('info'), warn: capture('warn'), error: capture('error') };
const hooks = {
  onConflict: (context) =>
    conflicts.push({
      expectedVersion: context.expectedVersion,
      actualVersion: context.actualVersion,
      enforced: context.enforced,
    }),
};

const { store, close } = await openStore();
const repository = new core.SessionRepository({
  store,
  logger,
  hooks,
  perKeyQueue: workerData.perKeyQueue === true,
  ...repositoryOptions,
});
const run = workloads[workload];
// All workers start their tasks together once the parent says go, so the operations really overlap.
parentPort.postMessage({ type: 'ready' });
await new Promise((resolve) => parentPort.once('message', resolve));
const results = await Promise.all(
  Array.from({ length: tasks }, (_, index) =>
    run(repository, index).catch((error) => ({ ok: false, error: describeError(error) })),
  ),
);
await close();
parentPort.postMessage({ type: 'done', results, logs, conflicts });
