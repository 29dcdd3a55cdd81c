// Samples of docs/exactly-once.md: updates inside the caller's own transaction, one per driver.
// Type-checked with the project; the guide's code blocks are checked to appear here.
import type Database from 'better-sqlite3';
import sql from 'mssql';
import type pg from 'pg';
import type { Session, SessionRepository } from 'versioned-sessions';

declare const message: { id: string };
declare const phone: string;

export async function postgresTransaction(pool: pg.Pool, sessions: SessionRepository<{ total: number }>): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const session = await sessions.getSessionWithVersion(phone, { transaction: client });
    await client.query('INSERT INTO reports (phone, total) VALUES ($1, $2)', [phone, session!.data.total]);
    await sessions.updateSession(phone, { state: 'CERRADO' },
      { expectedVersion: session!.version, idempotencyKey: message.id, transaction: client });
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error; // a ConcurrencyError: nothing of this attempt was written; run it again
  } finally {
    client.release();
  }
}

export async function mssqlTransaction(pool: sql.ConnectionPool, sessions: SessionRepository, session: Session, total: number): Promise<void> {
  const transaction = new sql.Transaction(pool);
  await transaction.begin();
  try {
    await transaction.request().input('phone', sql.NVarChar(255), phone).input('total', sql.Int, total)
      .query('INSERT INTO dbo.Reports (Phone, Total) VALUES (@phone, @total)');
    await sessions.updateSession(phone, { state: 'CERRADO' },
      { expectedVersion: session.version, idempotencyKey: message.id, transaction });
    await transaction.commit();
  } catch (error) {
    await transaction.rollback();
    throw error;
  }
}

export async function sqliteTransaction(database: Database.Database, sessions: SessionRepository, session: Session, total: number): Promise<void> {
  database.exec('BEGIN IMMEDIATE');
  try {
    database.prepare('INSERT INTO reports (phone, total) VALUES (?, ?)').run(phone, total);
    await sessions.updateSession(phone, { state: 'CERRADO' },
      { expectedVersion: session.version, transaction: database });
    database.exec('COMMIT');
  } catch (error) {
    if (database.inTransaction) database.exec('ROLLBACK');
    throw error;
  }
}
