/**
 * The SQL Server and Azure SQL store (peer dependency: `mssql`).
 *
 * @example
 * ```ts
 * import { MssqlSessionStore, isTransientError } from 'versioned-sessions/mssql';
 * ```
 * @module versioned-sessions/mssql
 */
export { MssqlSessionStore, type MssqlSessionStoreOptions } from './mssql-store.js';
export type { MssqlPool, MssqlRequest, MssqlTransaction, MssqlTypes } from './mssql-driver.js';
export { isTransientError } from './mssql-errors.js';
export type { MssqlParameter, MssqlParameterType, MssqlStatement } from './mssql-statements.js';
export type { MssqlKeyColumnType } from './mssql-key-column.js';
