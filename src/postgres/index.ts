/**
 * The PostgreSQL store (peer dependency: `pg`).
 *
 * @example
 * ```ts
 * import { PostgresSessionStore, isTransientError } from 'versioned-sessions/postgres';
 * ```
 * @module versioned-sessions/postgres
 */
export { PostgresSessionStore, type PostgresSessionStoreOptions } from './postgres-store.js';
export type { PostgresQueryable } from './postgres-driver.js';
export { isTransientError } from './postgres-errors.js';
export type { PostgresStatement } from './postgres-statements.js';
