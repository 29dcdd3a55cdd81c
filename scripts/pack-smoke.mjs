// Pack smoke test: the package as users get it. Packs the built tree, installs the tarball with
// better-sqlite3, pg and mysql2 into a temporary project, and checks there that the bin runs (migrate
// on SQLite, PostgreSQL and MySQL, print for SQL Server, --help, a password never echoed), that every
// export loads through both import and require(), and that a versioned update works on SQLite and
// MySQL. Run after `npm run build`.
// Usage: node scripts/pack-smoke.mjs   (PostgreSQL from VERSIONED_SESSIONS_PG_URL, MySQL from VERSIONED_SESSIONS_MYSQL_URL)
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pgUrl = process.env.VERSIONED_SESSIONS_PG_URL;
const mysqlUrl = process.env.VERSIONED_SESSIONS_MYSQL_URL;
const work = mkdtempSync(join(tmpdir(), 'versioned-sessions-pack-'));
const app = join(work, 'app');
let checks = 0;
let failures = 0;

function check(name, condition, detail = '') {
  checks += 1;
  if (condition) {
    console.log(`ok   ${name}`);
  } else {
    failures += 1;
    console.error(`FAIL ${name}${detail === '' ? '' : `\n${detail}`}`);
  }
}

function run(command, args, env = {}) {
  const result = spawnSync(command, args, {
    cwd: app,
    encoding: 'utf8',
    env: { ...process.env, VERSIONED_SESSIONS_DATABASE_URL: '', ...env },
  });
  return { code: result.status, stdout: result.stdout ?? '', output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

const bin = (args, env) => run('npx', ['--no-install', 'versioned-sessions', ...args], env);

try {
  if (!existsSync(join(root, 'dist', 'cli.js'))) throw new Error('dist/ is missing: run npm run build first.');
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' }),
  );
  const files = packed.files.map((file) => file.path);
  check(
    'the tarball ships dist/ and the SQL migrations',
    files.includes('dist/cli.js') && files.some((file) => file.startsWith('migrations/postgres/')),
  );
  check('the tarball ships the LICENSE', files.includes('LICENSE'), files.join('\n'));
  // The optional legacy-writer guard lives outside the numbered files: it must still be packaged.
  const optional = ['mssql', 'mysql', 'postgres', 'sqlite'].flatMap((dialect) =>
    ['guard_legacy_writes', 'remove_legacy_guard'].map((name) => `migrations/${dialect}/optional/${name}.sql`),
  );
  check(
    'the tarball ships the optional legacy-writer guard and its removal for the four dialects',
    optional.every((file) => files.includes(file)),
    optional.filter((file) => !files.includes(file)).join('\n'),
  );
  // The registry page shows the README without the repository around it: every link must leave the package.
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const relative = [...readme.matchAll(/\]\(([^)]+)\)/g)]
    .map((match) => match[1])
    .filter((target) => !/^(?:https?:|#)/.test(target));
  check(
    'the README links only absolute URLs or anchors',
    relative.length === 0,
    `relative links: ${relative.join(', ')}`,
  );
  const repository = typeof manifest.repository === 'object' ? manifest.repository.url : manifest.repository;
  check(
    'package.json names the repository, homepage and bugs',
    typeof repository === 'string' &&
      typeof manifest.homepage === 'string' &&
      typeof (manifest.bugs?.url ?? manifest.bugs) === 'string',
    JSON.stringify({ repository: manifest.repository, homepage: manifest.homepage, bugs: manifest.bugs }),
  );

  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'versioned-sessions-pack-smoke', private: true, allowScripts: { 'better-sqlite3': true } }),
  );
  // pg from the registry (or the npm cache). better-sqlite3 is linked from this checkout's own install:
  // a fresh install compiles it from source (prebuilt binaries cannot be downloaded here), minutes of CI,
  // so no install script needs to run (--ignore-scripts).
  const peers = [
    `pg@${manifest.devDependencies.pg}`,
    `mysql2@${manifest.devDependencies.mysql2}`,
    join(root, 'node_modules', 'better-sqlite3'),
    // The bot frameworks whose adapters are checked below, at the versions the tests run.
    `grammy@${manifest.devDependencies.grammy}`,
    `telegraf@${manifest.devDependencies.telegraf}`,
  ];
  const started = Date.now();
  const install = run('npm', [
    'install',
    '--no-audit',
    '--no-fund',
    '--prefer-offline',
    '--ignore-scripts',
    join(work, packed.filename),
    ...peers,
  ]);
  check(
    `npm install of the tarball with pg, mysql2 and better-sqlite3 (${Math.round((Date.now() - started) / 1000)} s)`,
    install.code === 0,
    install.output,
  );
  if (install.code !== 0) throw new Error('the install failed; nothing else can be checked');

  const help = bin(['--help']);
  check('npx versioned-sessions --help', help.code === 0 && help.stdout.includes('migrate'), help.output);
  const migrateHelp = bin(['migrate', '--help']);
  check(
    'npx versioned-sessions migrate --help',
    migrateHelp.code === 0 && migrateHelp.stdout.includes('--dialect'),
    migrateHelp.output,
  );
  const version = bin(['--version']);
  check(
    'npx versioned-sessions --version',
    version.code === 0 && version.stdout.trim() === manifest.version,
    version.output,
  );

  // The README's first command for someone who installed the package.
  const demo = bin(['demo', '--instances', '2', '--phones', '2', '--messages', '5']);
  check('npx versioned-sessions demo', demo.code === 0 && /versioned lost 0 \(/.test(demo.stdout), demo.output);

  const sqlite = bin(['migrate', '--dialect', 'sqlite', '--url', join(app, 'smoke.db')]);
  check(
    'npx versioned-sessions migrate --dialect sqlite',
    sqlite.code === 0 && sqlite.stdout.includes('6 applied'),
    sqlite.output,
  );

  if (pgUrl === undefined || pgUrl === '') {
    check('npx versioned-sessions migrate --dialect postgres: VERSIONED_SESSIONS_PG_URL is not set', false);
  } else {
    const schema = `vs_pack_${randomBytes(4).toString('hex')}`;
    const postgres = bin(['migrate', '--dialect', 'postgres', '--schema', schema], {
      VERSIONED_SESSIONS_DATABASE_URL: pgUrl,
    });
    const again = bin(['migrate', '--dialect', 'postgres', '--schema', schema, '--url', pgUrl]);
    run(
      'node',
      [
        '-e',
        `const pg = require('pg'); const c = new pg.Client(process.env.U); c.connect().then(() => c.query('DROP SCHEMA IF EXISTS "${schema}" CASCADE')).then(() => c.end());`,
      ],
      { U: pgUrl },
    );
    check(
      'npx versioned-sessions migrate --dialect postgres (URL from VERSIONED_SESSIONS_DATABASE_URL)',
      postgres.code === 0 && postgres.stdout.includes('6 applied'),
      postgres.output,
    );
    check(
      'npx versioned-sessions migrate --dialect postgres again is a no-op',
      again.code === 0 && again.stdout.includes('Up to date'),
      again.output,
    );
  }

  if (mysqlUrl === undefined || mysqlUrl === '') {
    check('npx versioned-sessions migrate --dialect mysql: VERSIONED_SESSIONS_MYSQL_URL is not set', false);
  } else {
    const suffix = randomBytes(4).toString('hex');
    const names = [
      '--table',
      `vs_pack_${suffix}`,
      '--processed-table',
      `vs_pack_processed_${suffix}`,
      '--history-table',
      `vs_pack_history_${suffix}`,
    ];
    const mysql = bin(['migrate', '--dialect', 'mysql', '--url', mysqlUrl, ...names]);
    check(
      'npx versioned-sessions migrate --dialect mysql',
      mysql.code === 0 && mysql.stdout.includes('6 applied'),
      mysql.output,
    );
    const versionedMysql = `
      import mysql from 'mysql2/promise';
      import { SessionRepository, isConcurrencyError } from 'versioned-sessions';
      import { MysqlSessionStore } from 'versioned-sessions/mysql';
      const pool = mysql.createPool(process.env.U);
      const sessions = new SessionRepository({ store: new MysqlSessionStore({ pool, table: 'vs_pack_${suffix}', processedTable: 'vs_pack_processed_${suffix}' }) });
      const session = await sessions.getOrCreateSession('+5215512345678', { state: 'INICIO' });
      const updated = await sessions.updateSession(session.key, { state: 'REFRI_ESPERA_SAP' }, { expectedVersion: session.version });
      const stale = await sessions.updateSession(session.key, { state: 'MENU' }, { expectedVersion: session.version }).catch((error) => error);
      // The history table is the one named, and the tracking table is derived from the sessions table.
      await pool.query('DROP TABLE vs_pack_${suffix}, vs_pack_processed_${suffix}, vs_pack_history_${suffix}, versioned_sessions_migrations_vs_pack_${suffix}');
      await pool.end();
      console.log(JSON.stringify({ version: updated.version, conflict: isConcurrencyError(stale), actual: stale.actualVersion }));`;
    const updateMysql = run('node', ['--input-type=module', '-e', versionedMysql], { U: mysqlUrl });
    check(
      'a versioned update on MySQL / MariaDB through import()',
      updateMysql.code === 0 && updateMysql.stdout.trim() === JSON.stringify({ version: 1, conflict: true, actual: 1 }),
      updateMysql.output,
    );
    // A refused login: the message names the server, never the password.
    const secret = `pw-${suffix}-secret`;
    const wrong = new URL(mysqlUrl);
    wrong.username = 'versioned_sessions_nobody';
    wrong.password = secret;
    const refused = bin(['status', '--dialect', 'mysql', '--url', wrong.toString()]);
    check(
      'a refused mysql:// login fails without echoing the password',
      refused.code !== 0 && refused.output.length > 0 && !refused.output.includes(secret),
      refused.output,
    );
  }

  const mssql = bin(['print', '--dialect', 'mssql']);
  check(
    'npx versioned-sessions print --dialect mssql',
    mssql.code === 0 && /^GO$/m.test(mssql.stdout) && !mssql.stdout.includes('$('),
    mssql.output,
  );

  const entries = Object.keys(manifest.exports)
    .filter((entry) => entry !== './package.json')
    .map((entry) => entry.replace(/^\./, 'versioned-sessions'));
  for (const entry of entries) {
    const esm = run('node', [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(entry)}); if (Object.keys(m).length === 0) process.exit(3);`,
    ]);
    check(`import('${entry}')`, esm.code === 0, esm.output);
    const cjs = run('node', [
      '-e',
      `const m = require(${JSON.stringify(entry)}); if (Object.keys(m).length === 0) process.exit(3);`,
    ]);
    check(`require('${entry}')`, cjs.code === 0, cjs.output);
  }

  const versioned = `
    const Database = require('better-sqlite3');
    const { SessionRepository, isConcurrencyError } = require('versioned-sessions');
    const { SqliteSessionStore } = require('versioned-sessions/sqlite');
    const { migrate } = require('versioned-sessions/migrations');
    (async () => {
      const database = new Database('versioned.db');
      const names = { table: 'SesionesChat', columns: { key: 'Telefono' } };
      const report = await migrate({ dialect: 'sqlite', database, ...names });
      const sessions = new SessionRepository({ store: new SqliteSessionStore({ database, ...names }) });
      const session = await sessions.getOrCreateSession('+5215512345678', { state: 'INICIO' });
      const updated = await sessions.updateSession(session.key, { state: 'REFRI_ESPERA_SAP' }, { expectedVersion: session.version });
      const stale = await sessions.updateSession(session.key, { state: 'MENU' }, { expectedVersion: session.version }).catch((error) => error);
      console.log(JSON.stringify({ applied: report.applied.length, version: updated.version, conflict: isConcurrencyError(stale), actual: stale.actualVersion }));
    })();`;
  const guarded = run('node', [
    '-e',
    `const Database = require('better-sqlite3');
    const { migrate } = require('versioned-sessions/migrations');
    migrate({ dialect: 'sqlite', database: new Database('guarded.db'), guardLegacyWrites: true }).then((report) =>
      console.log(JSON.stringify(report.applied.map((migration) => migration.id).at(-1))));`,
  ]);
  check(
    'migrate({ guardLegacyWrites: true }) applies the numbered packaged migrations and then the optional guard',
    guarded.code === 0 && guarded.stdout.trim() === JSON.stringify('guard_legacy_writes'),
    guarded.output,
  );
  const update = run('node', ['-e', versioned]);
  check(
    'a versioned update on SQLite through require(), migrated by the CommonJS build',
    update.code === 0 && update.stdout.trim() === JSON.stringify({ applied: 6, version: 1, conflict: true, actual: 1 }),
    update.output,
  );

  // The README's quick start as a new user runs it: the message id given once, each message delivered twice.
  const quickStart = `
    import Database from 'better-sqlite3';
    import { SessionRepository, withSessionRetry } from 'versioned-sessions';
    import { SqliteSessionStore } from 'versioned-sessions/sqlite';
    import { migrate } from 'versioned-sessions/migrations';
    const database = new Database('quick-start.db');
    await migrate({ dialect: 'sqlite', database });
    const sessions = new SessionRepository({ store: new SqliteSessionStore({ database }) });
    const onMessage = (message) => withSessionRetry(sessions, message.from, (session) =>
      sessions.updateSession(message.from, { data: { count: (session.data.count ?? 0) + 1 } }, { expectedVersion: session.version }),
      { idempotencyKey: message.id });
    const messages = ['wamid.1', 'wamid.2', 'wamid.3'].map((id) => ({ id, from: '+5215512345678' }));
    const results = await Promise.all([...messages, ...messages].map(onMessage));
    const session = await sessions.getSession('+5215512345678');
    console.log(JSON.stringify({ statuses: results.map((result) => result.status).sort(), count: session.data.count, version: session.version }));`;
  const quick = run('node', ['--input-type=module', '-e', quickStart]);
  check(
    'the quick start: each message applied once, its redelivery a duplicate, with the key given once',
    quick.code === 0 &&
      quick.stdout.trim() ===
        JSON.stringify({
          statuses: ['applied', 'applied', 'applied', 'duplicate', 'duplicate', 'duplicate'],
          count: 3,
          version: 3,
        }),
    quick.output,
  );
  // The framework adapters as users wire them: grammY's Bot with versionedSession (a redelivered
  // update skipped), Telegraf's session() with VersionedSessionStore, both through require(); the
  // Agents SDK storage through import, without the SDK installed (it is typed by shape only).
  const frameworks = `
    const Database = require('better-sqlite3');
    const { Bot } = require('grammy');
    const { Telegraf, session } = require('telegraf');
    const { SessionRepository } = require('versioned-sessions');
    const { SqliteSessionStore } = require('versioned-sessions/sqlite');
    const { migrate } = require('versioned-sessions/migrations');
    const { versionedSession } = require('versioned-sessions/grammy');
    const { VersionedSessionStore } = require('versioned-sessions/telegraf');
    const update = (id) => ({ update_id: id, message: { message_id: id, date: 0, chat: { id: 7, type: 'private', first_name: 'u' },
      from: { id: 7, is_bot: false, first_name: 'u' }, text: 'hi' } });
    (async () => {
      const database = new Database('frameworks.db');
      await migrate({ dialect: 'sqlite', database });
      const repository = new SessionRepository({ store: new SqliteSessionStore({ database }) });
      const botInfo = { id: 1, is_bot: true, first_name: 'smoke', username: 'smoke_bot' };
      const grammy = new Bot('0:offline', { botInfo });
      grammy.use(versionedSession({ repository, keyPrefix: 'g:', initial: () => ({ count: 0 }) }));
      grammy.on('message', (ctx) => { ctx.session.count += 1; });
      for (const id of [1, 1, 2]) await grammy.handleUpdate(update(id));
      const telegraf = new Telegraf('0:offline');
      telegraf.botInfo = botInfo;
      telegraf.use(session({ store: new VersionedSessionStore({ repository, keyPrefix: 't:' }), defaultSession: () => ({ count: 0 }) }));
      telegraf.on('message', (ctx) => { ctx.session.count += 1; });
      for (const id of [3, 4]) await telegraf.handleUpdate(update(id));
      const g = await repository.getSession('g:7');
      const t = await repository.getSession('t:7:7');
      console.log(JSON.stringify({ grammy: g.data.count, telegraf: t.data.count, version: t.version }));
    })();`;
  const adapters = run('node', ['-e', frameworks]);
  check(
    'grammY versionedSession and Telegraf session() with VersionedSessionStore through require(), on SQLite',
    adapters.code === 0 && adapters.stdout.trim() === JSON.stringify({ grammy: 2, telegraf: 2, version: 2 }),
    adapters.output,
  );
  const agents = `
    import Database from 'better-sqlite3';
    import { SessionRepository, isConcurrencyError } from 'versioned-sessions';
    import { SqliteSessionStore } from 'versioned-sessions/sqlite';
    import { migrate } from 'versioned-sessions/migrations';
    import { VersionedAgentStorage } from 'versioned-sessions/agents';
    const database = new Database('agents.db');
    await migrate({ dialect: 'sqlite', database });
    const storage = new VersionedAgentStorage({ repository: new SessionRepository({ store: new SqliteSessionStore({ database }) }) });
    await storage.write({ 'test/conversations/1': { count: 1 } });
    const { 'test/conversations/1': read } = await storage.read(['test/conversations/1']);
    await storage.write({ 'test/conversations/1': { ...read, count: 2 } });
    const stale = await storage.write({ 'test/conversations/1': { ...read, count: 3 } }).catch((error) => error);
    console.log(JSON.stringify({ eTag: read.eTag, conflict: isConcurrencyError(stale), now: (await storage.read(['test/conversations/1']))['test/conversations/1'] }));`;
  const agentsRun = run('node', ['--input-type=module', '-e', agents]);
  check(
    'VersionedAgentStorage through import, without the Agents SDK installed: a stale eTag is refused',
    agentsRun.code === 0 &&
      agentsRun.stdout.trim() === JSON.stringify({ eTag: '1', conflict: true, now: { count: 2, eTag: '2' } }),
    agentsRun.output,
  );
} catch (error) {
  failures += 1;
  console.error(`FAIL ${error instanceof Error ? error.message : String(error)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`pack-smoke: ${checks - failures} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
