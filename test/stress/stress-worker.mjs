// One worker process of the stress run. It opens its own connection, waits for the parent's "go",
// then runs its operations one after another: each appends a unique token to a key's list and adds
// one to its counter through withSessionRetry. Every invoke and every completion is appended to this
// worker's history file as it happens, so the record survives whatever happens to the process.
// Loaded outside vitest, so it imports the built library (dist/ or test/.tmp/lib/) by URL.
import { appendFileSync } from 'node:fs';

const config = JSON.parse(process.env.STRESS_WORKER_CONFIG);
const { process: processId, ops, keys, historyFile, retry, versionCheck, connection } = config;
const core = await import(config.library.core);
const dialectModule = await import(config.library[connection.dialect]);

// A small seeded generator, so that a run's key choices can be replayed from its seed.
let seed = config.seed >>> 0;
function random() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

function record(event) {
  appendFileSync(historyFile, `${JSON.stringify({ process: processId, ...event })}\n`);
}

async function openStore() {
  if (connection.dialect === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const database = new Database(connection.location);
    const store = new dialectModule.SqliteSessionStore({
      database,
      busyTimeoutMs: config.sqliteBusyTimeoutMs,
      ...connection.tableOptions,
    });
    return { store, close: () => database.close() };
  }
  if (connection.dialect === 'postgres') {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({
      connectionString: connection.location,
      max: 1,
      application_name: config.applicationName,
      connectionTimeoutMillis: 10_000,
      // A statement whose connection hangs rather than dies ends as `info` instead of stalling the run.
      query_timeout: 20_000,
    });
    // A terminated idle connection is reported on the pool; the next query simply opens a new one.
    pool.on('error', () => undefined);
    const store = new dialectModule.PostgresSessionStore({ pool, ...connection.tableOptions });
    return { store, close: () => pool.end() };
  }
  if (connection.dialect === 'mysql') {
    const { default: mysql } = await import('mysql2/promise');
    // One connection, as the other backends' workers have; a killed one is dropped and replaced.
    const pool = mysql.createPool({ uri: connection.location, connectionLimit: 1, connectTimeout: 10_000 });
    const store = new dialectModule.MysqlSessionStore({ pool, ...connection.tableOptions });
    return { store, close: () => pool.end() };
  }
  if (connection.dialect === 'mssql') {
    const { default: sql } = await import('mssql');
    const parsed = sql.ConnectionPool.parseConnectionString(connection.location);
    const pool = new sql.ConnectionPool({
      ...parsed,
      options: { ...parsed.options, appName: config.applicationName },
      pool: { max: 1 },
      requestTimeout: 20_000,
    });
    pool.on('error', () => undefined);
    const store = new dialectModule.MssqlSessionStore({ pool, ...connection.tableOptions });
    return { store, close: () => pool.close() };
  }
  throw new Error(`no stress worker store for ${connection.dialect}`);
}

// Idempotency keys, where the library has them (it exports DuplicateOperationError then): the token of
// an operation is its key, so a write whose reply was lost is resolved or retried, never applied twice.
const idempotent = config.idempotency && versionCheck && typeof core.isDuplicateOperationError === 'function';
const idempotencyKeyOf = (token) => `op-${token}`;

/** The options of each write: the one place the idempotency key is (or, without support, is not) passed. */
function writeOptions(session, token) {
  if (!versionCheck) return {};
  return idempotent
    ? { expectedVersion: session.version, idempotencyKey: idempotencyKeyOf(token) }
    : { expectedVersion: session.version };
}

const isTransient = (error) => dialectModule.isTransientError(error);

// Errors after which the write is known not to have happened: the library's typed refusals, and
// SQLite's busy/locked (the statement never got the write lock). Anything else is unknown: `info`.
function knownNotApplied(error) {
  return core.isVersionedSessionError(error) || (connection.dialect === 'sqlite' && isTransient(error));
}

function retryOptions(token, onTransientRetry) {
  const options = {
    maxAttempts: retry.maxAttempts,
    baseDelayMs: retry.baseDelayMs,
    maxDelayMs: retry.maxDelayMs,
    jitter: 'full',
    onRetry: (_attempt, _delayMs, error) => {
      if (!core.isConcurrencyError(error)) onTransientRetry();
    },
    // Busy SQLite statements wrote nothing, so running them again is safe even without a key; with a
    // key, a dropped connection is safe to retry as well.
    shouldRetry: (error) =>
      core.isConcurrencyError(error) || ((idempotent || connection.dialect === 'sqlite') && isTransient(error)),
  };
  return idempotent ? { ...options, idempotencyKey: idempotencyKeyOf(token) } : options;
}

function describeError(error) {
  const code = typeof error?.code === 'string' ? `[${error.code}]` : '';
  return `${error?.name ?? 'Error'}${code}: ${String(error?.message ?? error).slice(0, 120)}`;
}

async function runOperation(repository, index) {
  // Hot: every worker on the same key at the same time, a fresh one after each segment. Spread: any key.
  const key =
    config.keyMode === 'hot'
      ? keys[Math.min(keys.length - 1, Math.floor(index / config.opsPerKey))]
      : keys[Math.floor(random() * keys.length)];
  const token = processId * ops + index;
  record({ type: 'invoke', index, key, token });
  let attempts = 0;
  let transientRetries = 0;
  let versionRead;
  try {
    const written = await core.withSessionRetry(
      repository,
      key,
      async (session) => {
        attempts++;
        versionRead = session.version;
        const list = Array.isArray(session.data.list) ? session.data.list : [];
        const counter = typeof session.data.counter === 'number' ? session.data.counter : 0;
        return repository.updateSession(
          key,
          { data: { list: [...list, token], counter: counter + 1 } },
          writeOptions(session, token),
        );
      },
      { ...retryOptions(token, () => transientRetries++), initial: { data: { list: [], counter: 0 } } },
    );
    if (!idempotent) {
      record({ type: 'ok', index, versionRead, versionWritten: written.version, attempts, transientRetries });
    } else if (written.status === 'applied') {
      record({ type: 'ok', index, versionRead, versionWritten: written.value.version, attempts, transientRetries });
    } else {
      // An earlier attempt of this very operation committed and its reply was lost: the library found
      // the key and says at which version. The checker verifies that claim against the list.
      const committed = written.committedVersion;
      record({
        type: 'ok',
        index,
        versionRead: committed - 1,
        versionWritten: committed,
        attempts,
        transientRetries,
        duplicate: true,
      });
    }
  } catch (error) {
    record({
      type: knownNotApplied(error) ? 'fail' : 'info',
      index,
      attempts,
      transientRetries,
      error: describeError(error),
    });
  }
}

const { store, close } = await openStore();
const repository = new core.SessionRepository({ store });
process.send({ type: 'ready', idempotent });
await new Promise((resolve) => process.once('message', resolve));
const deadline = Date.now() + config.timeLimitMs;
let completed = 0;
for (let index = 0; index < ops && Date.now() < deadline; index++) {
  await runOperation(repository, index);
  completed++;
}
await close();
process.send({ type: 'done', completed }, () => process.exit(0));
