/**
 * The short stress run: real worker processes on real SQLite and PostgreSQL, with busy contention,
 * terminated backends and cut connections, checked by the history checker; and the negative control,
 * which must show the lost updates the version check prevents. `npm run stress` is the full run.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isRequired } from '../support/environment.js';
import { runScenario, type ScenarioOptions, type ScenarioReport } from './run-scenario.js';

const lib = (name: string): string => pathToFileURL(fileURLToPath(new URL(`../.tmp/lib/${name}.mjs`, import.meta.url))).href;
const pgUrl = process.env['VERSIONED_SESSIONS_PG_URL'];

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
  library: { core: lib('index'), sqlite: lib('sqlite'), postgres: lib('postgres') },
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

const describePostgres = pgUrl === undefined && !isRequired('postgres') ? describe.skip : describe;
if (pgUrl === undefined) console.warn('[versioned-sessions tests] skipping the PostgreSQL stress run: VERSIONED_SESSIONS_PG_URL is not set');

describePostgres('stress: PostgreSQL with terminated backends and connections cut mid-statement', () => {
  it.each(['hot', 'spread'] as const)('%s keys: nothing acknowledged is lost or doubled', async (keyMode) => {
    if (pgUrl === undefined) throw new Error('postgres is required but VERSIONED_SESSIONS_PG_URL is not set');
    const report = await runScenario({ ...base, backend: 'postgres', keyMode });
    expectValid(report);
    expectContention(report);
    expect(report.kills).toBeGreaterThan(0);
    expect(report.cuts['before-statement'] + report.cuts['after-statement']).toBeGreaterThan(0);
    // Operations whose connection died are recorded with an unknown outcome, not as failures.
    expect(report.result.operations.info).toBeGreaterThan(0);
  });

  it('negative control: with the version check off the checker reports lost updates', async () => {
    if (pgUrl === undefined) throw new Error('postgres is required but VERSIONED_SESSIONS_PG_URL is not set');
    expectLostUpdates(await runScenario({ ...base, backend: 'postgres', keyMode: 'hot', versionCheck: false, kills: 0, cuts: 0 }));
  });
});
