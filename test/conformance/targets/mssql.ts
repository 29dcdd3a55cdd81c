import sql from 'mssql';
import { resolveNames } from '../../../src/core/sql/table-names.js';
import { SessionRepository } from '../../../src/core/repository/repository.js';
import { migrate } from '../../../src/migrations/index.js';
import { splitTsqlBatches } from '../../../src/migrations/tsql-batches.js';
import { MssqlSessionStore } from '../../../src/mssql/index.js';
import { reachDatabase, type Availability } from '../../support/environment.js';
import { suiteLog } from '../../support/log-sink.js';
import { uniqueName } from '../../support/names.js';
import type { DialectTarget, Fixture, FixtureOptions } from '../target.js';

const quote = (name: string): string => `[${name.replaceAll(']', ']]')}]`;

/**
 * Drops every table of schema `@p1`, then the schema. The drop list is built by one STRING_AGG over
 * NVARCHAR(MAX) values: a variable concatenated across the rows of a multi-row SELECT
 * (`SELECT @drop += … FROM sys.tables`) has no defined result.
 */
export const DROP_SCHEMA_WITH_TABLES =
  'DECLARE @drop NVARCHAR(MAX) = (SELECT STRING_AGG(CONVERT(NVARCHAR(MAX), ' +
  "N'DROP TABLE ' + QUOTENAME(s.name) + N'.' + QUOTENAME(t.name) + N';'), N' ') " +
  'FROM sys.tables AS t JOIN sys.schemas AS s ON s.schema_id = t.schema_id WHERE s.name = @p1); ' +
  'IF @drop IS NOT NULL EXEC (@drop); ' +
  "SET @drop = N'DROP SCHEMA ' + QUOTENAME(@p1); IF SCHEMA_ID(@p1) IS NOT NULL EXEC (@drop);";

/** The batches of a rendered T-SQL migration, split on its `GO` lines as sqlcmd does (the runner's splitter). */
export function splitBatches(script: string): string[] {
  return splitTsqlBatches(script).map((batch) => batch.text.trim());
}

/**
 * SQL Server through `VERSIONED_SESSIONS_MSSQL_URL` (an ADO-style connection string such as
 * `Server=localhost,1433;Database=master;User Id=sa;Password=…;Encrypt=false`), else a
 * `mcr.microsoft.com/mssql/server:2022-latest` container when a container engine exists.
 */
export function mssqlTarget(): DialectTarget {
  let connectionString: string | undefined;
  let pool: sql.ConnectionPool | undefined;
  let stopContainer: (() => Promise<unknown>) | undefined;
  const schemas: string[] = [];

  async function connect(): Promise<sql.ConnectionPool> {
    if (pool !== undefined) return pool;
    if (connectionString === undefined) throw new Error('SQL Server is not available');
    const config = sql.ConnectionPool.parseConnectionString(connectionString);
    pool = await new sql.ConnectionPool({ ...config, pool: { max: 10 } }).connect();
    return pool;
  }

  async function exec(sqlText: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    const request = (await connect()).request();
    params.forEach((value, index) => request.input(`p${index + 1}`, value));
    const result = await request.query(sqlText);
    const recordsets = result.recordsets as unknown as Record<string, unknown>[][];
    return recordsets.at(-1) ?? [];
  }

  async function dropDefaultConstraint(table: string, column: string): Promise<void> {
    await exec(
      'DECLARE @name sysname = (SELECT dc.name FROM sys.default_constraints AS dc ' +
        'JOIN sys.columns AS c ON c.object_id = dc.parent_object_id AND c.column_id = dc.parent_column_id ' +
        'WHERE dc.parent_object_id = OBJECT_ID(@p1) AND c.name = @p2); ' +
        // EXEC () concatenates variables and literals only, so the statement is built first.
        "DECLARE @drop NVARCHAR(MAX) = N'ALTER TABLE ' + @p1 + N' DROP CONSTRAINT ' + QUOTENAME(@name); " +
        'IF @name IS NOT NULL EXEC (@drop);',
      [table, column],
    );
  }

  return {
    dialect: 'mssql',
    async availability(): Promise<Availability> {
      const reached = await reachDatabase(
        'VERSIONED_SESSIONS_MSSQL_URL',
        async () => {
          const { MSSQLServerContainer } = await import('@testcontainers/mssqlserver');
          const container = await new MSSQLServerContainer('mcr.microsoft.com/mssql/server:2022-latest')
            .acceptLicense()
            .start();
          return { url: `${container.getConnectionUri()};TrustServerCertificate=true`, stop: () => container.stop() };
        },
        async (reachedUrl) => {
          connectionString = reachedUrl;
          await exec('SELECT 1 AS ok');
        },
      );
      stopContainer = reached.stop;
      return reached.availability;
    },
    async createFixture(options: FixtureOptions = {}): Promise<Fixture> {
      const client = await connect();
      const schema = uniqueName('vs');
      schemas.push(schema);
      await exec(`EXEC (N'CREATE SCHEMA ${quote(schema)}')`);
      const tableOptions = { schema, ...options.tableOptions };
      if (tableOptions.schema !== schema) schemas.push(tableOptions.schema!);
      const names = resolveNames('mssql', tableOptions);
      if (options.migrate !== false) {
        await migrate({ dialect: 'mssql', pool: client, ...tableOptions });
      }
      const store = new MssqlSessionStore({ pool: client, ...tableOptions });
      const table = `${quote(names.schema!)}.${quote(names.table)}`;
      return {
        names,
        tableOptions,
        store,
        repository: new SessionRepository({ store, logger: suiteLog.logger }),
        connection: { dialect: 'mssql', location: connectionString!, tableOptions },
        exec,
        quote,
        newStore: (storeOptions) => new MssqlSessionStore({ pool: client, ...storeOptions } as never),
        table,
        placeholder: (n) => `@p${n}`,
      };
    },
    async makeVersionNullable(fixture) {
      const version = fixture.names.columns.version;
      await dropDefaultConstraint(fixture.table, version);
      await fixture.exec(`ALTER TABLE ${fixture.table} ALTER COLUMN ${quote(version)} INT NULL`);
    },
    async beginTransaction() {
      const transaction = new sql.Transaction(await connect());
      await transaction.begin();
      return {
        handle: transaction,
        async exec(sqlText, params = []) {
          const request = transaction.request();
          params.forEach((value, index) => request.input(`p${index + 1}`, value));
          const result = await request.query(sqlText);
          return (result.recordsets as unknown as Record<string, unknown>[][]).at(-1) ?? [];
        },
        commit: async () => void (await transaction.commit()),
        rollback: async () => void (await transaction.rollback()),
      };
    },
    async dropColumn(fixture, column) {
      await dropDefaultConstraint(fixture.table, column);
      await fixture.exec(`ALTER TABLE ${fixture.table} DROP COLUMN ${quote(column)}`);
    },
    async close() {
      if (pool !== undefined) {
        for (const schema of schemas.splice(0)) {
          await exec(DROP_SCHEMA_WITH_TABLES, [schema]);
        }
        await pool.close();
        pool = undefined;
      }
      await stopContainer?.();
    },
  };
}
