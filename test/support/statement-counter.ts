/**
 * Counts the statements a store sends, at the driver: a wrapper around the real pool, client or
 * database that records each statement's text before passing it on unchanged. Nothing is mocked:
 * every counted statement runs on the real server.
 */

/** The statements one wrapped connection has sent, in order. */
export interface StatementLog {
  readonly texts: string[];
}

function textOf(statement: unknown): string {
  if (typeof statement === 'string') return statement;
  if (typeof statement === 'object' && statement !== null) {
    const shaped = statement as { text?: unknown; sql?: unknown };
    if (typeof shaped.text === 'string') return shaped.text;
    if (typeof shaped.sql === 'string') return shaped.sql;
  }
  return String(statement);
}

/**
 * Wraps `target` so that each call of one of `sends` is logged, and each object a `checkouts` method
 * resolves to (a pool's client) is wrapped the same way. Every other member is the target's own.
 */
function counted<T extends object>(
  target: T,
  log: StatementLog,
  sends: readonly string[],
  checkouts: readonly string[],
  hidden: readonly string[] = [],
): T {
  return new Proxy(target, {
    get(object, property) {
      if (typeof property === 'string' && hidden.includes(property)) return undefined;
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (typeof property === 'string' && sends.includes(property)) {
        return (...args: unknown[]) => {
          log.texts.push(textOf(args[0]));
          return method.apply(object, args);
        };
      }
      if (typeof property === 'string' && checkouts.includes(property)) {
        return async (...args: unknown[]) =>
          counted((await method.apply(object, args)) as object, log, sends, checkouts, hidden);
      }
      return method.bind(object);
    },
  });
}

/** A `pg.Pool` or `pg.Client` whose statements (pool's and checked-out clients') are logged. */
export function countingPostgres<T extends object>(pool: T): { connection: T; log: StatementLog } {
  const log: StatementLog = { texts: [] };
  return { connection: counted(pool, log, ['query'], ['connect']), log };
}

/**
 * A `mysql2/promise` pool whose statements (`execute`, `query`, on the pool and on checked-out
 * connections) are logged.
 */
export function countingMysql<T extends object>(pool: T): { connection: T; log: StatementLog } {
  const log: StatementLog = { texts: [] };
  return { connection: counted(pool, log, ['execute', 'query'], ['getConnection'], ['promise']), log };
}

/** A better-sqlite3 `Database` whose prepared statements log each run. */
export function countingSqlite<T extends object>(database: T): { connection: T; log: StatementLog } {
  const log: StatementLog = { texts: [] };
  const connection = new Proxy(database, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (property === 'prepare') {
        return (sql: string) => {
          const prepared = (
            value as (sql: string) => { reader: boolean; all(p: unknown): unknown; run(p: unknown): unknown }
          ).call(object, sql);
          return {
            reader: prepared.reader,
            all: (params: unknown) => {
              log.texts.push(sql);
              return prepared.all(params);
            },
            run: (params: unknown) => {
              log.texts.push(sql);
              return prepared.run(params);
            },
          };
        };
      }
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
  });
  return { connection, log };
}
