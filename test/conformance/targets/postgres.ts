import pg from 'pg';
import { resolveNames } from '../../../src/core/sql/table-names.js';
import { SessionRepository } from '../../../src/core/repository/repository.js';
import { migrate } from '../../../src/migrations/index.js';
import { PostgresSessionStore } from '../../../src/postgres/index.js';
import { reachDatabase, type Availability } from '../../support/environment.js';
import { suiteLog } from '../../support/log-sink.js';
import { uniqueName } from '../../support/names.js';
import type { DialectTarget, Fixture, FixtureOptions } from '../target.js';

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

export function postgresTarget(): DialectTarget {
  let url: string | undefined;
  let pool: pg.Pool | undefined;
  let stopContainer: (() => Promise<unknown>) | undefined;
  const schemas: string[] = [];

  async function connect(): Promise<pg.Pool> {
    if (pool !== undefined) return pool;
    if (url === undefined) throw new Error('PostgreSQL is not available');
    pool = new pg.Pool({ connectionString: url, max: 10 });
    return pool;
  }

  return {
    dialect: 'postgres',
    async availability(): Promise<Availability> {
      const reached = await reachDatabase(
        'VERSIONED_SESSIONS_PG_URL',
        async () => {
          const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
          const container = await new PostgreSqlContainer('postgres:15-alpine').start();
          return { url: container.getConnectionUri(), stop: () => container.stop() };
        },
        async (reachedUrl) => {
          url = reachedUrl;
          await (await connect()).query('SELECT 1');
        },
      );
      stopContainer = reached.stop;
      return reached.availability;
    },
    async createFixture(options: FixtureOptions = {}): Promise<Fixture> {
      const client = await connect();
      const schema = uniqueName('vs');
      schemas.push(schema);
      await client.query(`CREATE SCHEMA ${quote(schema)}`);
      const tableOptions = { schema, ...options.tableOptions };
      if (tableOptions.schema !== schema) schemas.push(tableOptions.schema!);
      const names = resolveNames('postgres', tableOptions);
      if (options.migrate !== false) await migrate({ dialect: 'postgres', pool: client, ...tableOptions });
      const store = new PostgresSessionStore({ pool: client, ...tableOptions });
      return {
        names,
        tableOptions,
        store,
        repository: new SessionRepository({ store, logger: suiteLog.logger }),
        connection: { dialect: 'postgres', location: url!, tableOptions },
        async exec(sql, params = []) {
          return (await client.query(sql, params)).rows;
        },
        quote,
        newStore: (storeOptions) => new PostgresSessionStore({ pool: client, ...storeOptions } as never),
        table: `${quote(names.schema!)}.${quote(names.table)}`,
        placeholder: (n) => `$${n}`,
      };
    },
    async makeVersionNullable(fixture) {
      await fixture.exec(
        `ALTER TABLE ${fixture.table} ALTER COLUMN ${quote(fixture.names.columns.version)} DROP NOT NULL`,
      );
    },
    async beginTransaction() {
      const client = await (await connect()).connect();
      await client.query('BEGIN');
      const end = async (command: string): Promise<void> => {
        try {
          await client.query(command);
        } finally {
          client.release();
        }
      };
      return {
        handle: client,
        exec: async (sql, params = []) => (await client.query(sql, params)).rows,
        commit: () => end('COMMIT'),
        rollback: () => end('ROLLBACK'),
      };
    },
    async dropColumn(fixture, column) {
      await fixture.exec(`ALTER TABLE ${fixture.table} DROP COLUMN ${quote(column)}`);
    },
    async close() {
      if (pool !== undefined) {
        for (const schema of schemas.splice(0)) await pool.query(`DROP SCHEMA IF EXISTS ${quote(schema)} CASCADE`);
        await pool.end();
        pool = undefined;
      }
      await stopContainer?.();
    },
  };
}
