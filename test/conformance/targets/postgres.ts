import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { resolveNames } from '../../../src/core/sql/table-names.js';
import { SessionRepository } from '../../../src/core/repository/repository.js';
import { migrate } from '../../../src/migrations/index.js';
import { PostgresSessionStore } from '../../../src/postgres/index.js';
import { reachDatabase, startPostgresContainer, type Availability } from '../../support/environment.js';
import { suiteLog } from '../../support/log-sink.js';
import { uniqueName } from '../../support/names.js';
import { countingPostgres } from '../../support/statement-counter.js';
import type { DialectTarget, Fixture, FixtureOptions } from '../target.js';

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** The exact rights the application's login gets on each of the store's tables (docs/security.md). */
export const APPLICATION_TABLE_RIGHTS = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;

/**
 * Two logins of a least-privilege deployment: `owner` owns the schema and runs the migrations; `app`,
 * the store's login, has USAGE on the schema and {@link APPLICATION_TABLE_RIGHTS} on the sessions and
 * processed-operations tables, nothing else.
 */
export interface LeastPrivilegeLogins {
  readonly owner: { readonly role: string; readonly url: string };
  readonly app: { readonly role: string; readonly url: string };
}

export interface PostgresTargetOptions {
  /**
   * Run every store operation as a login with only the application's rights: the schema is owned and
   * migrated by a separate login, which also runs the fixture's raw SQL (it owns the tables).
   */
  readonly leastPrivilege?: boolean;
}

export interface PostgresTarget extends DialectTarget {
  /** The two logins, once `availability()` found the server (least-privilege targets only). */
  logins(): LeastPrivilegeLogins | undefined;
}

function urlFor(url: string, role: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = role;
  parsed.password = password;
  return parsed.toString();
}

export function postgresTarget(options: PostgresTargetOptions = {}): PostgresTarget {
  let url: string | undefined;
  let pool: pg.Pool | undefined;
  let stopContainer: (() => Promise<unknown>) | undefined;
  const schemas: string[] = [];
  let logins: LeastPrivilegeLogins | undefined;
  let ownerPool: pg.Pool | undefined;
  let appPool: pg.Pool | undefined;

  async function connect(): Promise<pg.Pool> {
    if (pool !== undefined) return pool;
    if (url === undefined) throw new Error('PostgreSQL is not available');
    pool = new pg.Pool({ connectionString: url, max: 10 });
    return pool;
  }

  /** Creates the two roles (cluster-wide, so with unique names) on the first call. */
  async function createLogins(superuser: pg.Pool): Promise<LeastPrivilegeLogins> {
    const suffix = uniqueName('lp').slice(3);
    const made = { owner: { role: `vs_owner_${suffix}` }, app: { role: `vs_app_${suffix}` } };
    const result: { owner: { role: string; url: string }; app: { role: string; url: string } } = {
      owner: { role: made.owner.role, url: '' },
      app: { role: made.app.role, url: '' },
    };
    for (const login of [result.owner, result.app]) {
      const password = randomBytes(12).toString('hex');
      await superuser.query(`CREATE ROLE ${quote(login.role)} LOGIN PASSWORD '${password}'`);
      login.url = urlFor(url!, login.role, password);
    }
    return result;
  }

  return {
    dialect: 'postgres',
    async availability(): Promise<Availability> {
      const reached = await reachDatabase('VERSIONED_SESSIONS_PG_URL', startPostgresContainer, async (reachedUrl) => {
        url = reachedUrl;
        await (await connect()).query('SELECT 1');
        if (options.leastPrivilege === true && logins === undefined) {
          logins = await createLogins(pool!);
          ownerPool = new pg.Pool({ connectionString: logins.owner.url, max: 5 });
          appPool = new pg.Pool({ connectionString: logins.app.url, max: 10 });
        }
      });
      stopContainer = reached.stop;
      return reached.availability;
    },
    logins: () => logins,
    async createFixture(fixtureOptions: FixtureOptions = {}): Promise<Fixture> {
      const superuser = await connect();
      const schema = uniqueName('vs');
      schemas.push(schema);
      const tableOptions = { schema, ...fixtureOptions.tableOptions };
      if (tableOptions.schema !== schema) schemas.push(tableOptions.schema!);
      const names = resolveNames('postgres', tableOptions);
      // Least privilege: the owner login owns the schema, migrates it and runs the raw SQL; the store,
      // its caller transactions and the worker threads use the application's login.
      const owner = ownerPool ?? superuser;
      const client = appPool ?? superuser;
      const authorization = logins === undefined ? '' : ` AUTHORIZATION ${quote(logins.owner.role)}`;
      for (const created of new Set([schema, names.schema!]))
        await superuser.query(`CREATE SCHEMA IF NOT EXISTS ${quote(created)}${authorization}`);
      if (fixtureOptions.migrate !== false) await migrate({ dialect: 'postgres', pool: owner, ...tableOptions });
      if (logins !== undefined) {
        const app = quote(logins.app.role);
        const inSchema = quote(names.schema!);
        await owner.query(`GRANT USAGE ON SCHEMA ${inSchema} TO ${app}`);
        if (fixtureOptions.migrate !== false) {
          // The history table is granted like the others by a deployment that turns history on.
          const granted = [names.table, names.processedTable, ...(names.history ? [names.historyTable] : [])];
          const tables = granted.map((table) => `${inSchema}.${quote(table)}`).join(', ');
          await owner.query(`GRANT ${APPLICATION_TABLE_RIGHTS.join(', ')} ON ${tables} TO ${app}`);
        }
        // Tables the bot creates next to the sessions (a report table), as a deployment would grant them.
        await owner.query(
          `ALTER DEFAULT PRIVILEGES IN SCHEMA ${inSchema} GRANT ${APPLICATION_TABLE_RIGHTS.join(', ')} ON TABLES TO ${app}`,
        );
      }
      const store = new PostgresSessionStore({ pool: client, ...tableOptions });
      return {
        names,
        tableOptions,
        store,
        repository: new SessionRepository({ store, logger: suiteLog.logger }),
        connection: { dialect: 'postgres', location: logins?.app.url ?? url!, tableOptions },
        async exec(sql, params = []) {
          return (await owner.query(sql, params)).rows;
        },
        quote,
        newStore: (storeOptions) => new PostgresSessionStore({ pool: client, ...storeOptions } as never),
        countingStore: () => {
          const { connection, log } = countingPostgres(client);
          return { store: new PostgresSessionStore({ pool: connection, ...tableOptions }), statements: log.texts };
        },
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
      const client = await (appPool ?? (await connect())).connect();
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
      await appPool?.end();
      await ownerPool?.end();
      appPool = ownerPool = undefined;
      if (pool !== undefined) {
        for (const schema of schemas.splice(0)) await pool.query(`DROP SCHEMA IF EXISTS ${quote(schema)} CASCADE`);
        if (logins !== undefined) {
          for (const { role } of [logins.app, logins.owner])
            await pool.query(`DROP OWNED BY ${quote(role)}; DROP ROLE ${quote(role)}`);
          logins = undefined;
        }
        await pool.end();
        pool = undefined;
      }
      await stopContainer?.();
    },
  };
}
