/**
 * The MySQL and MariaDB store (peer dependency: `mysql2`).
 *
 * @example
 * ```ts
 * import { MysqlSessionStore, isTransientError } from 'versioned-sessions/mysql';
 * ```
 * @module versioned-sessions/mysql
 */
export { MysqlSessionStore, type MysqlSessionStoreOptions } from './mysql-store.js';
export type { MysqlConnection, MysqlQueryable } from './mysql-driver.js';
export { isTransientError } from './mysql-errors.js';
export type { MysqlQuery, MysqlStatement } from './mysql-statements.js';
