/**
 * The SQLite store (peer dependency: `better-sqlite3` 12.x).
 *
 * @example
 * ```ts
 * import { SqliteSessionStore, isTransientError } from 'versioned-sessions/sqlite';
 * ```
 * @module versioned-sessions/sqlite
 */
export { SqliteSessionStore, type SqliteSessionStoreOptions } from './sqlite-store.js';
export type { SqliteDatabase, SqlitePrepared } from './sqlite-driver.js';
export { isTransientError } from './sqlite-errors.js';
export type { SqliteStatement } from './sqlite-statements.js';
