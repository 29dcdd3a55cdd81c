/**
 * What the migration tests need from a dialect: a fresh, isolated place to migrate, raw SQL on it,
 * and separate connections for concurrent migrators.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { Dialect } from '../../src/core/dialect.js';
import type { MigrateOptions } from '../../src/migrations/index.js';
import { reachDatabase, startPostgresContainer, type Availability } from '../support/environment.js';
import { uniqueName } from '../support/names.js';

export interface MigrationPlace {
  /** The connection and names for migrate(): a unique schema (PostgreSQL) or a new file (SQLite). */
  readonly options: MigrateOptions;
  /** The PostgreSQL URL or the SQLite file. */
  readonly location: string;
  exec(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** A quoted, qualified name in this place. */
  qualified(name: string): string;
  /** Runs a whole script as the dialect's own tool would (psql, the sqlite3 shell). */
  runScript(sql: string): Promise<void>;
  /** Column names of a table, lower-cased. */
  columns(table: string): Promise<string[]>;
  /** Another connection to the same place, with its own close. */
  connect(): Promise<{ options: MigrateOptions; close(): Promise<void> }>;
}

export interface MigrationTarget {
  readonly dialect: Dialect;
  availability(): Promise<Availability>;
  place(): Promise<MigrationPlace>;
  close(): Promise<void>;
}

export function postgresMigrationTarget(): MigrationTarget {
  let url: string | undefined;
  let admin: pg.Pool | undefined;
  let stopContainer: (() => Promise<unknown>) | undefined;
  const schemas: string[] = [];
  return {
    dialect: 'postgres',
    async availability() {
      const reached = await reachDatabase('VERSIONED_SESSIONS_PG_URL', startPostgresContainer, async (reachedUrl) => {
        url = reachedUrl;
        admin = new pg.Pool({ connectionString: reachedUrl, max: 4 });
        await admin.query('SELECT 1');
      });
      stopContainer = reached.stop;
      return reached.availability;
    },
    async place() {
      const pool = admin!;
      const schema = uniqueName('vsm');
      schemas.push(schema);
      const qualified = (name: string): string => `"${schema}"."${name}"`;
      return {
        options: { dialect: 'postgres', pool, schema },
        location: url!,
        exec: async (sql, params = []) => (await pool.query(sql, params)).rows,
        qualified,
        runScript: async (sql) => void (await pool.query(sql)),
        async columns(table) {
          const { rows } = await pool.query(
            'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
            [schema, table],
          );
          return rows.map((row: { column_name: string }) => row.column_name.toLowerCase()).sort();
        },
        async connect() {
          const client = new pg.Client({ connectionString: url });
          await client.connect();
          return { options: { dialect: 'postgres', pool: client, schema }, close: () => client.end() };
        },
      };
    },
    async close() {
      if (admin !== undefined) {
        for (const schema of schemas.splice(0)) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await admin.end();
      }
      await stopContainer?.();
    },
  };
}

export function sqliteMigrationTarget(): MigrationTarget {
  const folders: string[] = [];
  const databases: Database.Database[] = [];
  const open = (file: string): Database.Database => {
    const database = new Database(file);
    database.pragma('journal_mode = WAL');
    databases.push(database);
    return database;
  };
  return {
    dialect: 'sqlite',
    availability: () => Promise.resolve({ available: true, url: 'better-sqlite3 temp files' }),
    place() {
      const folder = mkdtempSync(join(tmpdir(), 'versioned-sessions-migrations-'));
      folders.push(folder);
      const file = join(folder, 'sessions.db');
      const database = open(file);
      return Promise.resolve({
        options: { dialect: 'sqlite', database },
        location: file,
        async exec(sql, params = []) {
          const statement = database.prepare(sql);
          if (statement.reader) return statement.all(...params) as Record<string, unknown>[];
          statement.run(...params);
          return [];
        },
        qualified: (name) => `"${name}"`,
        runScript: (sql) => Promise.resolve(void database.exec(sql)),
        columns: (table) =>
          Promise.resolve(
            (database.prepare('SELECT name FROM pragma_table_info(?)').all(table) as { name: string }[])
              .map((row) => row.name.toLowerCase())
              .sort(),
          ),
        connect() {
          const other = open(file);
          return Promise.resolve({
            options: { dialect: 'sqlite', database: other },
            close: () => Promise.resolve(void other.close()),
          });
        },
      });
    },
    close() {
      for (const database of databases.splice(0)) if (database.open) database.close();
      for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

/** Runs `script` through the `mysql` command-line client, as a DBA applying the printed SQL would. */
function mysqlClient(url: string, script: string): Promise<void> {
  const parsed = new URL(url);
  const args = [
    '--host',
    parsed.hostname,
    '--port',
    parsed.port || '3306',
    '--user',
    decodeURIComponent(parsed.username),
    '--batch',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('mysql', args, {
      env: { ...process.env, MYSQL_PWD: decodeURIComponent(parsed.password) },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mysql exited with ${code}: ${stderr}`))));
    child.stdin.end(script);
  });
}

export function mysqlMigrationTarget(): MigrationTarget {
  let url: string | undefined;
  let admin: mysql.Pool | undefined;
  let raw: mysql.Pool | undefined;
  const databases: string[] = [];
  return {
    dialect: 'mysql',
    async availability() {
      // No MySQL container: the server comes from VERSIONED_SESSIONS_MYSQL_URL only.
      const reached = await reachDatabase('VERSIONED_SESSIONS_MYSQL_URL', undefined, async (reachedUrl) => {
        url = reachedUrl;
        admin = mysql.createPool({ uri: reachedUrl, connectionLimit: 4 });
        // The suite's raw SQL quotes identifiers with double quotes, as standard SQL does.
        raw = mysql.createPool({ uri: reachedUrl, connectionLimit: 2 });
        raw.on(
          'connection',
          (connection) => void connection.query("SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES')"),
        );
        await admin.query('SELECT 1');
      });
      return reached.availability;
    },
    async place() {
      const pool = admin!;
      const database = uniqueName('vsm');
      databases.push(database);
      await pool.query(`CREATE DATABASE \`${database}\``);
      const qualified = (name: string): string => `\`${database}\`.\`${name}\``;
      return {
        options: { dialect: 'mysql', pool, schema: database },
        location: url!,
        async exec(sql, params = []) {
          const [result] = await raw!.query(sql, params);
          return Array.isArray(result) ? (result as Record<string, unknown>[]) : [];
        },
        qualified,
        runScript: (sql) => mysqlClient(url!, sql),
        async columns(table) {
          const [rows] = await pool.query(
            'SELECT COLUMN_NAME AS column_name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
            [database, table],
          );
          return (rows as { column_name: string }[]).map((row) => row.column_name.toLowerCase()).sort();
        },
        async connect() {
          const connection = await mysql.createConnection({ uri: url! });
          return { options: { dialect: 'mysql', pool: connection, schema: database }, close: () => connection.end() };
        },
      };
    },
    async close() {
      if (admin === undefined) return;
      for (const database of databases.splice(0)) await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await admin.end();
      await raw?.end();
    },
  };
}
