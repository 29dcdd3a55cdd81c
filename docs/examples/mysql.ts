// Samples of docs/mysql.md. Type-checked with the project; the guide's code blocks are checked to
// appear here.
import mysqlCallback from 'mysql2';
import mysql from 'mysql2/promise';
import { SessionRepository, isConcurrencyError, withRetry } from 'versioned-sessions';
import { migrate } from 'versioned-sessions/migrations';
import { MysqlSessionStore, isTransientError } from 'versioned-sessions/mysql';

export function mysqlDefaults(): SessionRepository {
  const pool = mysql.createPool({ uri: process.env.DATABASE_URL!, connectionLimit: 10 });
  return new SessionRepository({ store: new MysqlSessionStore({ pool }) });
}

export function mysqlCallbackPool(): SessionRepository {
  // The callback API works as well: the store calls pool.promise() once.
  const pool = mysqlCallback.createPool({ uri: process.env.DATABASE_URL!, connectionLimit: 10 });
  return new SessionRepository({ store: new MysqlSessionStore({ pool }) });
}

export async function mysqlMigrate(pool: mysql.Pool): Promise<void> {
  await migrate({ dialect: 'mysql', pool });
}

export function mysqlExistingTable(pool: mysql.Pool): SessionRepository {
  const store = new MysqlSessionStore({
    pool,
    database: 'bot',
    table: 'sesiones_chat',
    columns: { key: 'telefono', state: 'estado', data: 'datos_temp', version: 'version' },
  });
  return new SessionRepository({ store });
}

export async function mysqlAdopt(pool: mysql.Pool): Promise<void> {
  const names = { table: 'sesiones_chat', columns: { key: 'telefono', state: 'estado', data: 'datos_temp' } };
  await migrate({ dialect: 'mysql', pool, schema: 'bot', ...names });
  await new SessionRepository({ store: new MysqlSessionStore({ pool, database: 'bot', ...names }) }).verifySchema();
}

export async function mysqlCallerTransaction(pool: mysql.Pool, sessions: SessionRepository, phone: string, total: number): Promise<void> {
  const connection = await pool.getConnection();
  try {
    await connection.beginTransaction();
    await connection.execute('INSERT INTO orders (phone, total) VALUES (?, ?)', [phone, total]);
    const session = await sessions.getSessionWithVersion(phone, { transaction: connection });
    if (session === null) throw new Error('no session for this chat');
    await sessions.updateSession(phone, { state: 'CERRADO' }, { expectedVersion: session.version, transaction: connection });
    await connection.commit();
  } catch (error) {
    await connection.rollback();
    throw error;
  } finally {
    connection.release();
  }
}

export async function mysqlRetryTransient(sessions: SessionRepository, phone: string): Promise<void> {
  await withRetry(
    async () => {
      const session = await sessions.getOrCreateSession(phone);
      return sessions.updateSession(phone, { state: 'MENU' }, { expectedVersion: session.version });
    },
    { shouldRetry: (error) => isConcurrencyError(error) || isTransientError(error) },
  );
}
