// Samples of docs/adopting-an-existing-table-postgres.md. Type-checked with the project; the guide's
// code blocks are checked to appear here.
/* eslint-disable @typescript-eslint/no-unused-vars -- the guide's samples name results they would go on to use */
import pg from 'pg';
import { SessionRepository, withSessionRetry } from 'versioned-sessions';
import { migrate } from 'versioned-sessions/migrations';
import { PostgresSessionStore } from 'versioned-sessions/postgres';

declare const telefono: string;

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
const store = new PostgresSessionStore({
  pool,
  schema: 'bot',
  table: 'sesiones_chat',
  columns: { key: 'telefono', state: 'estado', data: 'datos_temp' },
});

export async function migrateFromCode(): Promise<void> {
  const ownerPool = new pg.Pool({ connectionString: process.env.OWNER_DATABASE_URL });
  const report = await migrate({
    dialect: 'postgres',
    pool: ownerPool,
    schema: 'bot',
    table: 'sesiones_chat',
    columns: { key: 'telefono', state: 'estado', data: 'datos_temp' },
  });
  console.log(report.trackingTable, report.applied.map((migration) => migration.id));
  await ownerPool.end();
}

export async function checkTheTable(): Promise<void> {
  const sessions = new SessionRepository({ store });
  const { rowsChecked, unreadable } = await sessions.verifySchema({ data: true });
  for (const row of unreadable) console.warn(`${row.maskedKey}: ${row.column} ${row.reason}`);
}

export async function observeFirst(): Promise<void> {
  const sessions = new SessionRepository({ store, lockingMode: 'observe' });
  await withSessionRetry(sessions, telefono, async (session) => {
    const paso = ((session.data.paso as number | undefined) ?? 0) + 1;
    return sessions.updateSession(
      telefono,
      { state: 'REFRI_ESPERA_SAP', data: { ...session.data, paso } },
      { expectedVersion: session.version },
    );
  });
}

export async function secondTable(): Promise<void> {
  const web = new PostgresSessionStore({
    pool,
    schema: 'bot',
    table: 'sesiones_web',
    processedTable: 'web_procesadas',
    historyTable: 'web_historial',
  });
  await new SessionRepository({ store: web }).verifySchema();
}
