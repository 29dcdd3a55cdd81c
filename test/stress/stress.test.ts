/**
 * The short stress run: real worker processes on real SQLite, PostgreSQL and MariaDB, with busy
 * contention, terminated backends and cut connections, checked by the history checker; and the negative
 * control, which must show the lost updates the version check prevents. `npm run stress` is the full run.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeUnavailable } from '../support/environment.js';
import { runScenario, type ScenarioOptions, type ScenarioReport } from './run-scenario.js';

const lib = (name: string): string =>
  pathToFileURL(fileURLToPath(new URL(`../.tmp/lib/${name}.mjs`, import.meta.url))).href;
const pgUrl = process.env['VERSIONED_SESSIONS_PG_URL'];
const mssqlUrl = process.env['VERSIONED_SESSIONS_MSSQL_URL'];
const mysqlUrl = process.env['VERSIONED_SESSIONS_MYSQL_URL'];

const base: Omit<ScenarioOptions, 'backend' | 'keyMode'> = {
  workers: 4,
  opsPerWorker: 75,
  spreadKeys: 8,
  hotKeyOps: 150,
  versionCheck: true,
  kills: 3,
  cuts: 4,
  faultIntervalMs: 80,
  idempotency: true,
  sqliteBusyTimeoutMs: 0,
  retry: { maxAttempts: 100, baseDelayMs: 1, maxDelayMs: 20 },
  timeLimitMs: 120_000,
  ...(pgUrl === undefined ? {} : { pgUrl }),
  ...(mssqlUrl === undefined ? {} : { mssqlUrl }),
  ...(mysqlUrl === undefined ? {} : { mysqlUrl }),
  library: {
    core: lib('index'),
    sqlite: lib('sqlite'),
    postgres: lib('postgres'),
    mssql: lib('mssql'),
    mysql: lib('mysql'),
  },
  workerFile: fileURLToPath(new URL('./stress-worker.mjs', import.meta.url)),
  seed: 20_261_128,
};

function expectValid(report: ScenarioReport): void {
  expect(report.result.violations, report.verdict).toEqual([]);
  expect(report.result.valid).toBe(true);
  expect(report.verdict.startsWith('VALID ')).toBe(true);
  expect(report.timedOut).toBe(false);
  // Every operation was recorded and completed.
  expect(report.result.operations.total).toBe(base.workers * base.opsPerWorker);
  expect(report.result.operations.incomplete).toBe(0);
  expect(report.result.operations.ok).toBeGreaterThan(0);
}

/** The workers really met: on hot keys (two, one after the other) conflicts forced retries. */
function expectContention(report: ScenarioReport): void {
  if (report.label.includes('hot')) {
    expect(report.result.keys).toBe(2);
    expect(report.attempts).toBeGreaterThan(report.result.operations.total);
  } else {
    expect(report.result.keys).toBe(base.spreadKeys);
  }
}

function expectLostUpdates(report: ScenarioReport): void {
  expect(report.result.valid).toBe(false);
  expect(report.result.counts['lost-update']).toBeGreaterThan(0);
  expect(report.result.counts['duplicate-read']).toBeGreaterThan(0);
  expect(report.verdict).toMatch(/^INVALID .*lost-update×\d+/);
}

describe('stress: SQLite, worker processes contending for one WAL file', () => {
  it.each(['hot', 'spread'] as const)('%s keys: nothing acknowledged is lost or doubled', async (keyMode) => {
    const report = await runScenario({ ...base, backend: 'sqlite', keyMode });
    expectValid(report);
    expectContention(report);
    // A busy timeout of 0 makes the processes collide on the write lock: those retries are the contention.
    expect(report.transientRetries).toBeGreaterThan(0);
  });

  it('negative control: with the version check off the checker reports lost updates', async () => {
    expectLostUpdates(await runScenario({ ...base, backend: 'sqlite', keyMode: 'hot', versionCheck: false }));
  });
});

const postgresTitle = 'stress: PostgreSQL with terminated backends and connections cut mid-statement';
if (pgUrl === undefined) describeUnavailable('postgres', postgresTitle, 'VERSIONED_SESSIONS_PG_URL is not set');
else
  describe(postgresTitle, () => {
    it.each(['hot', 'spread'] as const)('%s keys: nothing acknowledged is lost or doubled', async (keyMode) => {
      const report = await runScenario({ ...base, backend: 'postgres', keyMode });
      expectValid(report);
      expectContention(report);
      expect(report.kills).toBeGreaterThan(0);
      expect(report.cuts['before-statement'] + report.cuts['after-statement']).toBeGreaterThan(0);
      // An operation whose connection died ends as info (outcome unknown), never as a failure; with
      // idempotency keys it is retried instead, and the key resolves whether it had committed.
      if (report.idempotent) expect(report.transientRetries).toBeGreaterThan(0);
      else expect(report.result.operations.info).toBeGreaterThan(0);
    });

    it('negative control: with the version check off the checker reports lost updates', async () => {
      expectLostUpdates(
        await runScenario({ ...base, backend: 'postgres', keyMode: 'hot', versionCheck: false, kills: 0, cuts: 0 }),
      );
    });
  });

const mssqlTitle = 'stress: SQL Server with killed sessions';
if (mssqlUrl === undefined || mssqlUrl === '')
  describeUnavailable('mssql', mssqlTitle, 'VERSIONED_SESSIONS_MSSQL_URL is not set');
else
  describe(mssqlTitle, () => {
    it.each(['hot', 'spread'] as const)('%s keys: nothing acknowledged is lost or doubled', async (keyMode) => {
      const report = await runScenario({ ...base, backend: 'mssql', keyMode, cuts: 0 });
      expectValid(report);
      expectContention(report);
      expect(report.kills).toBeGreaterThan(0);
    });

    it('negative control: with the version check off the checker reports lost updates', async () => {
      expectLostUpdates(
        await runScenario({ ...base, backend: 'mssql', keyMode: 'hot', versionCheck: false, kills: 0, cuts: 0 }),
      );
    });
  });

const mysqlTitle = 'stress: MySQL / MariaDB with connections ended by KILL CONNECTION';
if (mysqlUrl === undefined || mysqlUrl === '')
  describeUnavailable('mysql', mysqlTitle, 'VERSIONED_SESSIONS_MYSQL_URL is not set');
else
  describe(mysqlTitle, () => {
    it.each(['hot', 'spread'] as const)('%s keys: nothing acknowledged is lost or doubled', async (keyMode) => {
      const report = await runScenario({ ...base, backend: 'mysql', keyMode, cuts: 0 });
      expectValid(report);
      expectContention(report);
      expect(report.kills).toBeGreaterThan(0);
      // A killed connection fails its statement with a transient error: with idempotency keys the
      // operation is retried and the key resolves whether it had committed.
      if (report.idempotent) expect(report.transientRetries).toBeGreaterThan(0);
      else expect(report.result.operations.info).toBeGreaterThan(0);
    });

    it('negative control: with the version check off the checker reports lost updates', async () => {
      expectLostUpdates(
        await runScenario({ ...base, backend: 'mysql', keyMode: 'hot', versionCheck: false, kills: 0, cuts: 0 }),
      );
    });
  });
