// Samples of docs/adopting-an-existing-table.md. Type-checked with the project; the guide's code
// blocks are checked to appear here.
import type sql from 'mssql';
import type { InvocationContext } from '@azure/functions';
import { SessionRepository } from 'versioned-sessions';

declare const pool: sql.ConnectionPool;
declare const telefono: string;
declare const context: InvocationContext;

import { MssqlSessionStore } from 'versioned-sessions/mssql';

const store = new MssqlSessionStore({
  pool,
  table: 'SesionesChat',                 // schema defaults to dbo
  columns: { key: 'Telefono', state: 'Estado', data: 'DatosTemp' },
});
const sessions = new SessionRepository({ store });

await sessions.verifySchema(); // throws MigrationRequiredError naming what is missing and the command

// Before
{
const session = await sessions.getOrCreateSession(telefono);
await sessions.updateSession(telefono, { state: 'REFRI_ESPERA_SAP', data: { ...session.data, paso: 2 } });
}

// After
import { withSessionRetry } from 'versioned-sessions';

await withSessionRetry(sessions, telefono, async (session) => {
  const paso = ((session.data.paso as number | undefined) ?? 0) + 1;
  return sessions.updateSession(
    telefono,
    { state: 'REFRI_ESPERA_SAP', data: { ...session.data, paso } },
    { expectedVersion: session.version },
  );
}, { logger: context });

// The key column's type given instead of read from the catalog
{
const storeWithTypes = new MssqlSessionStore({
  pool,
  table: 'SesionesChat',
  columns: { key: 'Telefono', state: 'Estado', data: 'DatosTemp' },
  columnTypes: { key: { type: 'VarChar', length: 20 } }, // Telefono VARCHAR(20)
});
void storeWithTypes;
}

// The optional legacy-writer guard, installed and later removed
import { migrate } from 'versioned-sessions/migrations';

const names = { table: 'SesionesChat', columns: { key: 'Telefono', state: 'Estado', data: 'DatosTemp' } };
await migrate({ dialect: 'mssql', pool, ...names, guardLegacyWrites: true });
await migrate({ dialect: 'mssql', pool, ...names, removeLegacyGuard: true });
