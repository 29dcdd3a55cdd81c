// Samples of docs/migrations.md. Type-checked with the project; the guide's code blocks are checked to
// appear here.
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { isMigrationError, migrate, migrationStatus, renderMigrations } from 'versioned-sessions/migrations';

export async function atDeploy(): Promise<void> {
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
  const report = await migrate({ dialect: 'postgres', pool });
  console.log(`applied: ${report.applied.map((migration) => migration.id).join(', ') || 'nothing, up to date'}`);
  await pool.end(); // the runner never closes what it was given
}

export async function adoptSqlite(): Promise<void> {
  const database = new Database('bot.db');
  await migrate({ dialect: 'sqlite', database, table: 'SesionesChat', columns: { key: 'Telefono', state: 'Estado', data: 'DatosTemp' } });
}

export async function checkStatus(pool: pg.Pool): Promise<void> {
  const status = await migrationStatus({ dialect: 'postgres', pool, schema: 'bot' });
  if (status.pending.length > 0) console.warn(`pending: ${status.pending.map((migration) => migration.id).join(', ')}`);
}

export function forTheDba(): void {
  writeFileSync('sessions.sql', renderMigrations({ dialect: 'mssql', table: 'SesionesChat', columns: { key: 'Telefono', state: 'Estado', data: 'DatosTemp' } }));
}

export async function refused(pool: pg.Pool): Promise<void> {
  try {
    await migrate({ dialect: 'postgres', pool });
  } catch (error) {
    if (isMigrationError(error)) console.error(error.reason, error.migrationId, error.message);
    throw error;
  }
}
