/**
 * The SQL dialects the library speaks, as a type and as the one list that code iterating over them
 * (the migrations entry, the CLI) reads.
 *
 * @module
 */

/**
 * The SQL dialects the library speaks; {@link MigrationRequiredError.dialect} holds one.
 *
 * @example
 * ```ts
 * const dialect: Dialect = process.env.DATABASE_URL?.startsWith('postgres') ? 'postgres' : 'sqlite';
 * ```
 */
export type Dialect = 'mssql' | 'postgres' | 'sqlite' | 'mysql';

// A record over the type: adding a dialect to `Dialect` fails to compile until it is listed here too.
const EVERY_DIALECT: Readonly<Record<Dialect, true>> = { mssql: true, postgres: true, sqlite: true, mysql: true };

/** Every dialect, in the order messages list them. */
export const DIALECTS: readonly Dialect[] = Object.freeze(Object.keys(EVERY_DIALECT) as Dialect[]);
