// Samples of docs/azure-functions.md (this file is its src/sessions.ts). Type-checked with the project;
// the guide's code blocks are checked to appear here.
// src/sessions.ts
import sql from 'mssql';
import { SessionRepository } from 'versioned-sessions';
import { MssqlSessionStore } from 'versioned-sessions/mssql';

export interface ChatData {
  intentos?: number;
  ultimoMensaje?: string;
}

// The app's existing pool. It need not be connected yet: the store calls pool.connect() once, on
// first use, and every invocation that arrives meanwhile waits for that same attempt.
export const pool = new sql.ConnectionPool(process.env.SQL_CONNECTION_STRING!);

export const sessions = new SessionRepository<ChatData>({
  store: new MssqlSessionStore({
    pool,
    table: 'SesionesChat',
    columns: { key: 'Telefono', state: 'Estado', data: 'DatosTemp' },
  }),
});
