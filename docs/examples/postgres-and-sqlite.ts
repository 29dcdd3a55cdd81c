// Samples of docs/postgres-and-sqlite.md. Type-checked with the project; the guide's code blocks are
// checked to appear here.
import Database from 'better-sqlite3';
import pg from 'pg';
import { SessionRepository, isConcurrencyError, withRetry, type SessionStore } from 'versioned-sessions';
import { PostgresSessionStore, isTransientError as isTransientPostgresError } from 'versioned-sessions/postgres';
import { SqliteSessionStore, isTransientError as isTransientSqliteError } from 'versioned-sessions/sqlite';

export function postgresDefaults(): SessionRepository {
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
  return new SessionRepository({ store: new PostgresSessionStore({ pool }) });
}

export function postgresExistingTable(pool: pg.Pool): SessionRepository {
  const store = new PostgresSessionStore({
    pool,
    schema: 'bot',
    table: 'sesiones_chat',
    columns: { key: 'telefono', state: 'estado', data: 'datos_temp', version: 'version' },
  });
  return new SessionRepository({ store });
}

export async function postgresClient(): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  const sessions = new SessionRepository({ store: new PostgresSessionStore({ pool: client }) });
  await sessions.touchSession('+5215512345678');
  await client.end(); // the store never ends what it was given
}

export function sqliteFile(): SessionRepository {
  const database = new Database('sessions.db');
  // WAL (the default for files) lets several processes share the file; a writer waits up to
  // busyTimeoutMs for another's lock before SQLITE_BUSY.
  return new SessionRepository({ store: new SqliteSessionStore({ database, busyTimeoutMs: 5000 }) });
}

export function sqliteInMemory(): SessionRepository {
  return new SessionRepository({ store: new SqliteSessionStore({ database: new Database(':memory:') }) });
}

export async function retryTransientFaults(sessions: SessionRepository, phone: string): Promise<void> {
  await withRetry(
    async () => {
      const session = await sessions.getOrCreateSession(phone);
      return sessions.updateSession(phone, { state: 'MENU' }, { expectedVersion: session.version });
    },
    {
      shouldRetry: (error) => isConcurrencyError(error) || isTransientPostgresError(error) || isTransientSqliteError(error),
    },
  );
}

export async function legacyData(store: SessionStore): Promise<void> {
  const sessions = new SessionRepository<{ legacy?: unknown }>({
    store,
    // Called only for rows that are not a JSON object: keep what was there under a field of its own.
    decodeData: (raw, { reason }) => ({ legacy: reason === 'not-json' ? String(raw) : raw }),
  });
  const report = await sessions.verifySchema({ data: true });
  for (const row of report.unreadable) console.warn(`${row.maskedKey}: ${row.column} ${row.reason}`);
}
