// The databases a benchmark run measures: each gives a fresh migrated sessions table, connections to
// it (the library's repository and the raw driver), and the statements the baselines send by hand.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SessionRepository } from '../../dist/index.js';
import { migrate } from '../../dist/migrations.js';

const uniqueName = (prefix) => `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

/** PostgreSQL through pg; every table lives in a schema of its own, dropped at the end. */
export async function openPostgres(url) {
  const { default: pg } = await import('pg');
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  const version = (await admin.query('SHOW server_version')).rows[0].server_version;
  const schemas = [];
  return {
    dialect: 'postgres',
    version: `PostgreSQL ${version}`,
    url,
    /** A fresh migrated table; `tableOptions` is what a store (in any process) needs to reach it. */
    async newTable() {
      const schema = uniqueName('vs_bench');
      schemas.push(schema);
      const tableOptions = { schema, table: 'sessions', processedTable: 'sessions_processed' };
      await migrate({ dialect: 'postgres', pool: admin, ...tableOptions });
      return { dialect: 'postgres', location: url, tableOptions, table: `"${schema}"."sessions"` };
    },
    async close() {
      for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    },
  };
}

/** MySQL / MariaDB through mysql2: every table in a database of its own, named in the stores' URL, dropped at the end. */
export async function openMysql(url) {
  const { default: mysql } = await import('mysql2/promise');
  const admin = mysql.createPool({ uri: url, connectionLimit: 2 });
  const [[{ version }]] = await admin.query('SELECT VERSION() AS version');
  const databases = [];
  return {
    dialect: 'mysql',
    version: /mariadb/i.test(version) ? `MariaDB ${version}` : `MySQL ${version}`,
    url,
    async newTable() {
      const database = uniqueName('vs_bench');
      databases.push(database);
      await admin.query(`CREATE DATABASE \`${database}\``);
      const tableOptions = { table: 'sessions', processedTable: 'sessions_processed' };
      await migrate({ dialect: 'mysql', pool: admin, schema: database, ...tableOptions });
      const location = new URL(url);
      location.pathname = `/${database}`;
      return { dialect: 'mysql', location: location.toString(), tableOptions, table: '`sessions`' };
    },
    async close() {
      for (const database of databases) await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await admin.end();
    },
  };
}

/** SQLite through better-sqlite3: one WAL file per table, one connection per process. */
export async function openSqlite() {
  const { default: Database } = await import('better-sqlite3');
  const folder = mkdtempSync(join(tmpdir(), 'vs-bench-'));
  const probe = new Database(':memory:');
  const version = `SQLite ${probe.prepare('SELECT sqlite_version() AS v').get().v} (better-sqlite3)`;
  probe.close();
  return {
    dialect: 'sqlite',
    version,
    async newTable() {
      const file = join(folder, `${uniqueName('sessions')}.db`);
      const database = new Database(file);
      database.pragma('journal_mode = WAL');
      const tableOptions = { table: 'sessions', processedTable: 'sessions_processed' };
      await migrate({ dialect: 'sqlite', database, ...tableOptions });
      database.close();
      return { dialect: 'sqlite', location: file, tableOptions, table: '"sessions"' };
    },
    async close() {
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/**
 * Connects to a table made by `newTable` (in this process or a child): the library's store and a
 * repository (`repositoryOptions` such as `perKeyQueue`), plus the raw driver handle the baselines use.
 */
export async function connect(tableInfo, handlers, repositoryOptions = {}) {
  if (tableInfo.dialect === 'postgres') {
    const { default: pg } = await import('pg');
    const { PostgresSessionStore } = await import('../../dist/postgres.js');
    // At most 16 connections a process: the server is shared, and more only queue inside PostgreSQL.
    const pool = new pg.Pool({
      connectionString: tableInfo.location,
      max: Math.min(Math.max(handlers, 1), 16),
      ...(process.env.BENCH_PG_OPTIONS ? { options: process.env.BENCH_PG_OPTIONS } : {}),
    });
    const store = new PostgresSessionStore({ pool, ...tableInfo.tableOptions });
    return { pool, store, repository: new SessionRepository({ store, ...repositoryOptions }), close: () => pool.end() };
  }
  if (tableInfo.dialect === 'mysql') {
    const { default: mysql } = await import('mysql2/promise');
    const { MysqlSessionStore } = await import('../../dist/mysql.js');
    // At most 16 connections a process, as for PostgreSQL.
    const pool = mysql.createPool({ uri: tableInfo.location, connectionLimit: Math.min(Math.max(handlers, 1), 16) });
    const store = new MysqlSessionStore({ pool, ...tableInfo.tableOptions });
    return { pool, store, repository: new SessionRepository({ store, ...repositoryOptions }), close: () => pool.end() };
  }
  if (tableInfo.dialect === 'mssql') {
    const { default: sql } = await import('mssql');
    const { MssqlSessionStore } = await import('../../dist/mssql.js');
    const pool = await new sql.ConnectionPool(tableInfo.location).connect();
    const store = new MssqlSessionStore({ pool, sql, ...tableInfo.tableOptions });
    return {
      pool,
      sql,
      store,
      repository: new SessionRepository({ store, ...repositoryOptions }),
      close: () => pool.close(),
    };
  }
  const { default: Database } = await import('better-sqlite3');
  const { SqliteSessionStore } = await import('../../dist/sqlite.js');
  const database = new Database(tableInfo.location);
  const store = new SqliteSessionStore({ database, ...tableInfo.tableOptions });
  return {
    database,
    store,
    repository: new SessionRepository({ store, ...repositoryOptions }),
    close: async () => database.close(),
  };
}

/**
 * SQL Server through mssql, when VERSIONED_SESSIONS_MSSQL_URL is given; the dialect's default column
 * names (SessionKey, Data, Version …), every table in a schema of its own, dropped at the end.
 */
export async function openMssql(url) {
  const { default: sql } = await import('mssql');
  const admin = await new sql.ConnectionPool(url).connect();
  const version = (await admin.request().query('SELECT @@VERSION AS v')).recordset[0].v.split('\n')[0];
  const schemas = [];
  return {
    dialect: 'mssql',
    version,
    url,
    async newTable() {
      const schema = uniqueName('vs_bench');
      schemas.push(schema);
      const tableOptions = { schema, table: 'Sessions', processedTable: 'Sessions_processed' };
      await migrate({ dialect: 'mssql', pool: admin, ...tableOptions });
      return { dialect: 'mssql', location: url, tableOptions, table: `[${schema}].[Sessions]` };
    },
    async close() {
      for (const schema of schemas) {
        await admin
          .request()
          .batch(
            `DROP TABLE IF EXISTS [${schema}].[Sessions]; DROP TABLE IF EXISTS [${schema}].[Sessions_processed]; DROP TABLE IF EXISTS [${schema}].[VersionedSessionsMigrations]; DROP SCHEMA IF EXISTS [${schema}]`,
          );
      }
      await admin.close();
    },
  };
}

/** Opens every database this run measures: SQLite always, PostgreSQL when reachable, SQL Server and MySQL when given. */
export async function openDatabases({ pgUrl, mssqlUrl, mysqlUrl, only }) {
  const databases = [];
  if (mssqlUrl && (!only || only.includes('mssql'))) databases.push(await openMssql(mssqlUrl));
  if (mysqlUrl && (!only || only.includes('mysql'))) databases.push(await openMysql(mysqlUrl));
  if (!only || only.includes('postgres')) {
    try {
      databases.push(await openPostgres(pgUrl));
    } catch (error) {
      console.warn(`[bench] PostgreSQL skipped: ${error.message}`);
    }
  }
  if (!only || only.includes('sqlite')) databases.push(await openSqlite());
  return databases;
}
