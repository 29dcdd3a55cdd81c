import mysql from 'mysql2/promise';
import { resolveNames } from '../../../src/core/sql/table-names.js';
import { SessionRepository } from '../../../src/core/repository/repository.js';
import type { TableOptions } from '../../../src/core/sql/table-names.js';
import { migrate } from '../../../src/migrations/index.js';
import { MysqlSessionStore } from '../../../src/mysql/index.js';
import { reachDatabase, type Availability } from '../../support/environment.js';
import { suiteLog } from '../../support/log-sink.js';
import { uniqueName } from '../../support/names.js';
import { countingMysql } from '../../support/statement-counter.js';
import type { DialectTarget, Fixture, FixtureOptions } from '../target.js';

const quote = (name: string): string => `\`${name.replaceAll('`', '``')}\``;

/** The store's options for `tableOptions`: MySQL calls the schema its database. */
export function mysqlStoreOptions(tableOptions: Record<string, unknown>): Record<string, unknown> {
  const { schema, ...rest } = tableOptions;
  return schema === undefined ? rest : { ...rest, database: schema };
}

/**
 * The suite writes times as ISO-8601 text with a `Z`; a DATETIME takes them as `YYYY-MM-DD HH:MM:SS.fff`
 * (both UTC). Keys and ids come back from VARBINARY columns as Buffers; the suite compares text.
 */
function toParameter(value: unknown): unknown {
  return typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value)
    ? value.replace('T', ' ').replace('Z', '')
    : value;
}

function toText(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([column, value]) => [column, Buffer.isBuffer(value) ? value.toString('utf8') : value]),
  );
}

async function execOn(
  connection: mysql.Pool | mysql.PoolConnection,
  sql: string,
  params: unknown[] = [],
): Promise<Record<string, unknown>[]> {
  const [result] = await connection.query(sql, params.map(toParameter));
  return Array.isArray(result) ? (result as Record<string, unknown>[]).map(toText) : [];
}

/** A pool on `url`, with few cached prepared statements per connection: the suite makes many tables. */
export function mysqlPool(url: string, connectionLimit = 10): mysql.Pool {
  return mysql.createPool({ uri: url, connectionLimit, maxPreparedStatements: 64 });
}

export function mysqlTarget(): DialectTarget {
  let url: string | undefined;
  let pool: mysql.Pool | undefined;
  const databases: string[] = [];

  function connect(): mysql.Pool {
    if (url === undefined) throw new Error('MySQL is not available');
    pool ??= mysqlPool(url);
    return pool;
  }

  return {
    dialect: 'mysql',
    async availability(): Promise<Availability> {
      // No MySQL container: the server comes from VERSIONED_SESSIONS_MYSQL_URL only.
      const reached = await reachDatabase('VERSIONED_SESSIONS_MYSQL_URL', undefined, async (reachedUrl) => {
        url = reachedUrl;
        await connect().query('SELECT 1');
      });
      return reached.availability;
    },
    async createFixture(options: FixtureOptions = {}): Promise<Fixture> {
      const client = connect();
      // A database of its own per fixture: cases use fixed table names (SesionesChat), and other test
      // runs share the server.
      const database = uniqueName('vs');
      databases.push(database);
      await client.query(`CREATE DATABASE ${quote(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
      const tableOptions: TableOptions = { schema: database, ...options.tableOptions };
      const names = resolveNames('mysql', tableOptions);
      if (options.migrate !== false) await migrate({ dialect: 'mysql', pool: client, ...tableOptions });
      const store = new MysqlSessionStore({ pool: client, ...mysqlStoreOptions({ ...tableOptions }) } as never);
      return {
        names,
        tableOptions,
        store,
        repository: new SessionRepository({ store, logger: suiteLog.logger }),
        connection: { dialect: 'mysql', location: url!, tableOptions },
        exec: (sql, params) => execOn(client, sql, params),
        quote,
        newStore: (storeOptions) =>
          new MysqlSessionStore({ pool: client, ...mysqlStoreOptions(storeOptions) } as never),
        countingStore: () => {
          const { connection, log } = countingMysql(client);
          const store = new MysqlSessionStore({ pool: connection, ...mysqlStoreOptions({ ...tableOptions }) } as never);
          return { store, statements: log.texts };
        },
        table: `${quote(names.schema!)}.${quote(names.table)}`,
        placeholder: () => '?',
      };
    },
    async makeVersionNullable(fixture) {
      await fixture.exec(`ALTER TABLE ${fixture.table} MODIFY ${quote(fixture.names.columns.version)} INT NULL`);
    },
    async beginTransaction() {
      const connection = await connect().getConnection();
      await connection.beginTransaction();
      const end = async (finish: () => Promise<void>): Promise<void> => {
        try {
          await finish();
        } finally {
          connection.release();
        }
      };
      return {
        handle: connection,
        exec: (sql, params) => execOn(connection, sql, params),
        commit: () => end(() => connection.commit()),
        rollback: () => end(() => connection.rollback()),
      };
    },
    async dropColumn(fixture, column) {
      await fixture.exec(`ALTER TABLE ${fixture.table} DROP COLUMN ${quote(column)}`);
    },
    async close() {
      if (pool !== undefined) {
        for (const database of databases.splice(0)) await pool.query(`DROP DATABASE IF EXISTS ${quote(database)}`);
        await pool.end();
        pool = undefined;
      }
    },
  };
}
