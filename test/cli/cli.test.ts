/**
 * The `versioned-sessions` CLI as users run it: a child process of the bundled executable, with exit
 * codes, output, and no password ever echoed.
 */
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { MigrationRequiredError } from '../../src/core/errors.js';
import type { SessionStore } from '../../src/core/session-store.js';
import { SessionRepository } from '../../src/core/repository/repository.js';
import { renderMigrations } from '../../src/migrations/index.js';
import { migrationsRoot } from '../../src/migrations/templates.js';
import { MysqlSessionStore } from '../../src/mysql/index.js';
import { PostgresSessionStore } from '../../src/postgres/index.js';
import { SqliteSessionStore } from '../../src/sqlite/index.js';
import { describeUnavailable } from '../support/environment.js';
import { uniqueName } from '../support/names.js';

const CLI = fileURLToPath(new URL('../.tmp/lib/cli.mjs', import.meta.url));
const MYSQL_URL = process.env['VERSIONED_SESSIONS_MYSQL_URL'];
const folder = mkdtempSync(join(tmpdir(), 'versioned-sessions-cli-'));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const environment = { ...process.env, ...env };
  if (!('VERSIONED_SESSIONS_DATABASE_URL' in env)) delete environment['VERSIONED_SESSIONS_DATABASE_URL'];
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: environment, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number((error as { code?: unknown }).code ?? -1), stdout, stderr });
    });
  });
}

const file = (name: string): string => join(folder, `${name}.db`);

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

describe('versioned-sessions CLI: help, version and usage errors', () => {
  it('--version prints the package version', async () => {
    const version = (
      JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
    ).version;
    expect(await cli(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('--help lists the commands; every command has its own --help', async () => {
    const general = await cli(['--help']);
    expect(general.code).toBe(0);
    for (const command of ['migrate', 'status', 'print', 'check', 'demo']) {
      expect(general.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
      const help = await cli([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout.startsWith(`Usage: versioned-sessions ${command}`)).toBe(true);
    }
    expect((await cli(['migrate', '-h'])).stdout).toContain('--version-column <name>');
  });

  it.each([
    [[], /a command is required/],
    [['upgrade'], /unknown command "upgrade"/],
    [
      ['migrate', '--dialect', 'oracle', '--url', 'x.db'],
      /Expected `--dialect` to be one of 'mssql', 'postgres', 'sqlite', 'mysql', got a string of 6 characters\./,
    ],
    [['migrate', '--url', 'x.db'], /Expected `--dialect` to be one of .*, got undefined\./],
    [
      ['migrate', '--dialect', 'sqlite'],
      /Expected `--url` to be a database URL or, for sqlite, a file path, got undefined\. Or set VERSIONED_SESSIONS_DATABASE_URL\./,
    ],
    [['migrate', '--dialect', 'sqlite', '--url', 'x.db', '--colour'], /Unknown option '--colour'/],
    [
      ['print', '--dialect', 'postgres', '--table', 'sessions; DROP TABLE x'],
      /Expected `table` to be a plain postgres identifier, got a string of 22 characters\. Use letters/,
    ],
    [['print', '--dialect', 'sqlite', '--schema', 'main'], /SQLite stores take no schema/],
    [
      ['demo', '--instances', 'many'],
      /Expected `--instances` to be a whole number from 1 to 9999, got a string of 4 characters\./,
    ],
  ])('exits 2 on %j', async (args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('a usage error touches nothing: no SQLite file is created for an invalid name', async () => {
    const target = file('untouched');
    expect((await cli(['migrate', '--dialect', 'sqlite', '--url', target, '--table', 'bad-name'])).code).toBe(2);
    expect(existsSync(target)).toBe(false);
  });
});

describe('versioned-sessions CLI on SQLite', () => {
  it('migrates, then is up to date, and status lists the applied migrations', async () => {
    const target = file('migrate');
    const first = await cli(['migrate', '--dialect', 'sqlite', '--url', target]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(
      'applied  0001_create_sessions\napplied  0002_adopt_existing_table\napplied  0003_processed_operations\napplied  0005_session_history\napplied  0006_session_listing_index\napplied  0007_processed_by_session_key\n6 applied, 0 already applied.',
    );
    const again = await cli(['migrate', '--dialect', 'sqlite', '--url', target]);
    expect(again.stdout).toContain('Up to date: 6 migrations already applied.');
    const status = await cli(['status', '--dialect', 'sqlite', '--url', target]);
    expect(status.code).toBe(0);
    expect(
      status.stdout.match(/^applied {2}\d{4}_\w+ {2}\d{4}-\d\d-\d\dT[\d:.]+Z {2}sha256 [0-9a-f]{12}$/gm),
    ).toHaveLength(6);
    expect(status.stdout).toContain('6 applied, 0 pending.');
  });

  it('takes the connection from VERSIONED_SESSIONS_DATABASE_URL', async () => {
    const target = file('from-env');
    const run = await cli(['migrate', '--dialect', 'sqlite'], { VERSIONED_SESSIONS_DATABASE_URL: target });
    expect(run.code).toBe(0);
    const database = new Database(target);
    expect(database.prepare('SELECT COUNT(*) AS n FROM versioned_sessions_migrations').get()).toEqual({ n: 6 });
    database.close();
  });

  it('status of a missing file, and of a database ahead of the package, exits 1', async () => {
    expect((await cli(['status', '--dialect', 'sqlite', '--url', file('missing')])).code).toBe(1);
    expect(existsSync(file('missing'))).toBe(false);
    const target = file('ahead');
    await cli(['migrate', '--dialect', 'sqlite', '--url', target]);
    const database = new Database(target);
    database.prepare("INSERT INTO versioned_sessions_migrations (id, checksum) VALUES ('0009_later', 'x')").run();
    database.close();
    const status = await cli(['status', '--dialect', 'sqlite', '--url', target]);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain('unknown  0009_later');
    const migrate = await cli(['migrate', '--dialect', 'sqlite', '--url', target]);
    expect(migrate.code).toBe(1);
    expect(migrate.stderr).toMatch(/migration 0009_later: .*Upgrade versioned-sessions/);
  });

  it('a failed migration exits 1 with its id and the reason', async () => {
    const target = file('failing');
    const database = new Database(target);
    database.exec('CREATE TABLE processed_operations (id TEXT PRIMARY KEY)');
    database.close();
    const run = await cli(['migrate', '--dialect', 'sqlite', '--url', target]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /migration 0003_processed_operations: Migration 0003_processed_operations failed .*processed_at/,
    );
  });

  it('the command in MigrationRequiredError is one the CLI runs, and it fixes the schema', async () => {
    const target = file('required');
    const database = new Database(target);
    const store = new SqliteSessionStore({
      database,
      table: 'SesionesChat',
      processedTable: 'Procesados',
      columns: {
        key: 'Telefono',
        state: 'Estado',
        data: 'DatosTemp',
        version: 'Version',
        createdAt: 'Creado',
        updatedAt: 'Actualizado',
      },
    });
    const repository = new SessionRepository({ store });
    const error = (await repository.verifySchema().catch((caught: unknown) => caught)) as MigrationRequiredError;
    expect(error).toBeInstanceOf(MigrationRequiredError);
    const args = error.command.replace('<connection>', target).split(' ');
    expect(args.slice(0, 2)).toEqual(['npx', 'versioned-sessions']);
    const run = await cli(args.slice(2));
    expect(run.code).toBe(0);
    await repository.verifySchema();
    database.close();
  });

  it('print renders what renderMigrations renders', async () => {
    const run = await cli([
      'print',
      '--dialect',
      'postgres',
      '--schema',
      'bot',
      '--table',
      'SesionesChat',
      '--key-column',
      'Telefono',
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      renderMigrations({ dialect: 'postgres', schema: 'bot', table: 'SesionesChat', columns: { key: 'Telefono' } }),
    );
  });

  it('demo runs the naive and the versioned handler and shows the versioned one losing nothing', async () => {
    const run = await cli(['demo', '--instances', '2', '--phones', '2', '--messages', '6']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/naive lost \d+ of 12 updates; versioned lost 0/);
  });
});

const mssqlShipped = existsSync(join(migrationsRoot(), 'mssql'));
if (!mssqlShipped)
  console.warn('[versioned-sessions tests] skipping print --dialect mssql: migrations/mssql is not in this tree yet');

describe('versioned-sessions CLI: check', () => {
  it('sqlite: lists the rows whose data cannot be read, by masked key, and exits 1; a clean table exits 0', async () => {
    const target = file(uniqueName('check'));
    expect((await cli(['migrate', '--dialect', 'sqlite', '--url', target, '--data-column', 'datos_temp'])).code).toBe(
      0,
    );
    const clean = await cli(['check', '--dialect', 'sqlite', '--url', target, '--data-column', 'datos_temp']);
    expect(clean).toMatchObject({ code: 0, stderr: '' });
    expect(clean.stdout).toContain('0 rows checked, 0 unreadable.');
    const database = new Database(target);
    const insert = database.prepare('INSERT INTO sessions (key, state, datos_temp) VALUES (?, ?, ?)');
    insert.run('+5215512345678', 'MENU', 'not json');
    insert.run('+5215500000001', 'MENU', '[1,2]');
    insert.run('+5215500000002', 'MENU', '{"ok":true}');
    database.close();
    const run = await cli(['check', '--dialect', 'sqlite', '--url', target, '--data-column', 'datos_temp']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('unreadable  +52*******0001  column "datos_temp": not-object\n');
    expect(run.stdout).toContain('unreadable  +52*******5678  column "datos_temp": not-json\n');
    expect(run.stdout).toContain('3 rows checked, 2 unreadable.');
    expect(run.stdout + run.stderr).not.toContain('5215512345678');
  });

  it('a table that is not migrated exits 1 naming the command that fixes it', async () => {
    const target = file(uniqueName('check-empty'));
    new Database(target).close();
    const run = await cli(['check', '--dialect', 'sqlite', '--url', target]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/npx versioned-sessions migrate --dialect sqlite/);
  });
});

describe('versioned-sessions CLI: the forms --url takes', () => {
  it.each([
    ['a plain path', (path: string) => path],
    ['file:<path>', (path: string) => `file:${path}`],
    ['file://<absolute path>', (path: string) => `file://${path}`],
    ['sqlite://<absolute path>', (path: string) => `sqlite://${path}`],
    ['sqlite:<path>', (path: string) => `sqlite:${path}`],
  ])('sqlite: %s opens that file, and no file is named after the URL', async (_form, url) => {
    const target = file(uniqueName('form'));
    const run = await cli(['migrate', '--dialect', 'sqlite', '--url', url(target)]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('6 applied');
    expect(existsSync(target)).toBe(true);
    expect(readdirSync(process.cwd()).filter((name) => name.startsWith('file:') || name.startsWith('sqlite:'))).toEqual(
      [],
    );
  });

  it.each([
    [
      'sqlite',
      'postgres://bot@127.0.0.1:5432/sessions',
      /--url for sqlite expects a file path .*; got a postgres: URL/,
    ],
    ['sqlite', 'sqlite://server/x.db', /--url for sqlite expects a file path .*; got a URL with a host \("server"\)/],
    ['sqlite', 'file:x.db?mode=ro', /--url for sqlite takes no query string/],
    [
      'postgres',
      'bot:secret@base.example:5432/sessions',
      /--url for postgres expects a URL that starts with postgres:\/\/ or postgresql:\/\//,
    ],
    [
      'postgres',
      'mysql://root@127.0.0.1:3306/test',
      /--url for postgres expects a URL that starts with postgres:\/\/ or postgresql:\/\/ .*; got a mysql: URL/,
    ],
    [
      'mssql',
      'postgres://bot@127.0.0.1/x',
      /--url for mssql expects mssql:\/\/ or sqlserver:\/\/ .* or an ADO connection string/,
    ],
    [
      'mysql',
      'bot:secret@db.example:3306/sessions',
      /--url for mysql expects a URL that starts with mysql:\/\/ .*; got one without a scheme/,
    ],
    [
      'mysql',
      'postgres://bot:secret@127.0.0.1:5432/test',
      /--url for mysql expects a URL that starts with mysql:\/\/ .*; got a postgres: URL/,
    ],
  ])('%s refuses %s with exit 2 and a sentence saying what it expected', async (dialect, url, message) => {
    const run = await cli(['status', '--dialect', dialect, '--url', url]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toContain('secret');
    expect(run.stderr).not.toContain('ENOTFOUND');
  });
});

describe('versioned-sessions CLI: print --dialect mssql', () => {
  it.skipIf(!mssqlShipped)('prints the T-SQL script for sqlcmd (pinned)', async () => {
    const run = await cli(['print', '--dialect', 'mssql']);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/^:setvar/m);
    expect(run.stdout).not.toContain('$(');
    // 0001–0003 as before (their part of the script still hashes to fe07d75e…), then 0004 and 0005
    // (up to there 5f754f3a…, as before 0006 was added), then 0006 (up to there 3919b917…), then 0007.
    expect(createHash('sha256').update(run.stdout).digest('hex')).toBe(
      '6f22a747aedfb8c4bf4f168481df4150c7a9204a63373f3603955592b601927c',
    );
    const before0007 = run.stdout.slice(0, run.stdout.indexOf('\n-- ==== versioned-sessions migration 0007'));
    expect(createHash('sha256').update(before0007).digest('hex')).toBe(
      '3919b9172a0705a807b110ddbc62bdc3ff1e5b08ab199f47d188666000b78e9e',
    );
    const before0006 = run.stdout.slice(0, run.stdout.indexOf('\n-- ==== versioned-sessions migration 0006'));
    expect(createHash('sha256').update(before0006).digest('hex')).toBe(
      '5f754f3a457f225a65cde4380ab0e35c244e866eca40294a0bdcc6bb1d681e94',
    );
    const before0004 = run.stdout.slice(0, run.stdout.indexOf('\n-- ==== versioned-sessions migration 0004'));
    expect(createHash('sha256').update(before0004).digest('hex')).toBe(
      'fe07d75e5947c9814219d30b4ff322b6facee09bc9220f09f727d8ec124af75f',
    );
  });
});

describe('versioned-sessions CLI: passwords are never echoed', () => {
  const password = 'Sup3r-S3cret-pw';
  it.each([
    ['postgres', `postgres://bot:${password}@127.0.0.1:1/sessions`],
    ['postgres', `postgres://bot:${password}@no-such-host.invalid:5432/sessions`],
    ['postgres', `postgres://bot:${encodeURIComponent(`${password}@x`)}@127.0.0.1:1/sessions`],
    ['mysql', `mysql://bot:${password}@127.0.0.1:1/sessions`],
    ['mysql', `mysql://bot:${encodeURIComponent(`${password}@x`)}@no-such-host.invalid:3306/sessions`],
    // A server that answers and refuses the login: the driver's own message, redacted.
    ...(MYSQL_URL === undefined
      ? []
      : [['mysql', `mysql://versioned_sessions_nobody:${password}@${new URL(MYSQL_URL).host}/test`]]),
    ...(mssqlShipped
      ? [
          ['mssql', `mssql://sa:${password}@127.0.0.1:1/sessions?encrypt=false`],
          ['mssql', `Server=127.0.0.1,1;Database=sessions;User Id=sa;Password=${password};Encrypt=false`],
        ]
      : []),
  ])('%s %#: exit 1, and neither stdout nor stderr holds the password', async (dialect, url) => {
    for (const run of [
      await cli(['migrate', '--dialect', dialect, '--url', url]),
      await cli(['status', '--dialect', dialect], { VERSIONED_SESSIONS_DATABASE_URL: url }),
    ]) {
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/cannot connect/);
      expect(run.stdout + run.stderr).not.toContain(password);
      expect(run.stdout + run.stderr).not.toContain('S3cret');
    }
  });
});

/** A database server the CLI runs against: its URL variable and a schema of its own to migrate. */
interface ServerCli {
  readonly dialect: 'postgres' | 'mysql';
  readonly title: string;
  readonly variable: string;
  /** What a `--schema` names on this server: a `schema` (PostgreSQL) or a `database` (MySQL). */
  readonly schemaWord: string;
  /** A store on a new, empty schema of its own, with the CLI test's names, and how to drop the schema. */
  emptySchema(url: string): Promise<{ schema: string; store: SessionStore; drop(): Promise<void> }>;
}

const CLI_NAMES = {
  table: 'SesionesChat',
  columns: { key: 'Telefono', version: 'Version' },
  processedTable: 'procesados',
};

function defineServerCli(spec: ServerCli, more?: (url: string) => void): void {
  const url = process.env[spec.variable];
  if (url === undefined || url === '') {
    describeUnavailable(spec.dialect, spec.title, `${spec.variable} is not set`);
    return;
  }
  describe(spec.title, () => {
    it(`the command in MigrationRequiredError migrates a configured ${spec.schemaWord}, then status is clean`, async () => {
      const { schema, store, drop } = await spec.emptySchema(url);
      try {
        const repository = new SessionRepository({ store });
        const error = (await repository.verifySchema().catch((caught: unknown) => caught)) as MigrationRequiredError;
        expect(error.command).toBe(
          `npx versioned-sessions migrate --dialect ${spec.dialect} --url <connection> --schema ${schema} --table SesionesChat --key-column Telefono --version-column Version --processed-table procesados`,
        );
        const run = await cli(error.command.replace('<connection>', url).split(' ').slice(2));
        expect(run.code).toBe(0);
        expect(run.stdout).toContain('6 applied, 0 already applied.');
        await repository.verifySchema();
        const status = await cli(
          [
            'status',
            '--dialect',
            spec.dialect,
            '--schema',
            schema,
            '--table',
            'SesionesChat',
            '--key-column',
            'Telefono',
            '--version-column',
            'Version',
            '--processed-table',
            'procesados',
          ],
          { VERSIONED_SESSIONS_DATABASE_URL: url },
        );
        expect(status.code).toBe(0);
        expect(status.stdout).toContain('6 applied, 0 pending.');
      } finally {
        await drop();
      }
    });
    more?.(url);
  });
}

defineServerCli(
  {
    dialect: 'postgres',
    title: 'versioned-sessions CLI on PostgreSQL',
    variable: 'VERSIONED_SESSIONS_PG_URL',
    schemaWord: 'schema',
    async emptySchema(url) {
      const schema = uniqueName('vscli');
      const pool = new pg.Pool({ connectionString: url, max: 2 });
      return {
        schema,
        store: new PostgresSessionStore({ pool, schema, ...CLI_NAMES }),
        async drop() {
          await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          await pool.end();
        },
      };
    },
  },
  (url) => {
    it('demo --url runs on PostgreSQL and leaves no schema behind', async () => {
      const demoSchemas = async (): Promise<string[]> => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          const { rows } = await client.query<{ name: string }>(
            "SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name LIKE 'versioned_sessions_demo_%'",
          );
          return rows.map((row) => row.name);
        } finally {
          await client.end();
        }
      };
      const before = await demoSchemas();
      const run = await cli(['demo', '--url', url, '--instances', '2', '--phones', '2', '--messages', '6']);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('on PostgreSQL');
      expect(run.stdout).toMatch(/naive lost \d+ of 12 updates; versioned lost 0/);
      expect(await demoSchemas()).toEqual(before);
    });
  },
);

defineServerCli(
  {
    dialect: 'mysql',
    title: 'versioned-sessions CLI on MySQL / MariaDB',
    variable: 'VERSIONED_SESSIONS_MYSQL_URL',
    schemaWord: 'database',
    async emptySchema(url) {
      const database = uniqueName('vscli');
      const pool = mysql.createPool({ uri: url, connectionLimit: 2 });
      await pool.query(`CREATE DATABASE \`${database}\``);
      return {
        schema: database,
        store: new MysqlSessionStore({ pool, database, ...CLI_NAMES }),
        async drop() {
          await pool.query(`DROP DATABASE IF EXISTS \`${database}\``);
          await pool.end();
        },
      };
    },
  },
  (url) => {
    it('migrate --history-table creates the history table under that name, and a second sessions table in the same database just works', async () => {
      const database = uniqueName('vscli');
      const pool = mysql.createPool({ uri: url, connectionLimit: 2 });
      await pool.query(`CREATE DATABASE \`${database}\``);
      const tables = async (): Promise<string[]> => {
        const [rows] = await pool.query(
          'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME',
          [database],
        );
        return (rows as { name: string }[]).map((row) => row.name);
      };
      try {
        const base = ['migrate', '--dialect', 'mysql', '--url', url, '--schema', database];
        const first = await cli([...base, '--history-table', 'chat_history']);
        expect(first.code).toBe(0);
        expect(await tables()).toEqual([
          'chat_history',
          'processed_operations',
          'sessions',
          'versioned_sessions_migrations',
        ]);
        const second = await cli([
          ...base,
          '--table',
          'sesiones_chat',
          '--key-column',
          'telefono',
          '--processed-table',
          'sesiones_procesadas',
          '--history-table',
          'sesiones_historial',
        ]);
        expect(second.code).toBe(0);
        expect(second.stdout).toContain(
          `tracking table \`${database}\`.\`versioned_sessions_migrations_sesiones_chat\``,
        );
        expect(second.stdout).toContain('6 applied, 0 already applied.');
        const again = await cli([...base, '--history-table', 'chat_history']);
        expect(again.stdout).toContain('Up to date: 6 migrations already applied.');
        expect(await tables()).toEqual([
          'chat_history',
          'processed_operations',
          'sesiones_chat',
          'sesiones_historial',
          'sesiones_procesadas',
          'sessions',
          'versioned_sessions_migrations',
          'versioned_sessions_migrations_sesiones_chat',
        ]);
      } finally {
        await pool.query(`DROP DATABASE IF EXISTS \`${database}\``);
        await pool.end();
      }
    });
  },
);
