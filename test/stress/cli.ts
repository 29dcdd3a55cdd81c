/**
 * `npm run stress`: every backend × key layout with faults, then the negative control on each backend.
 * Prints a verdict line and a summary per scenario and a final verdict; exits 1 when any checked run
 * has a violation or when a negative control fails to show lost updates.
 *
 * Usage: npm run stress -- [--workers 8] [--ops 2000] [--backends sqlite,postgres] [--keys hot,spread]
 *   [--spread-keys 32] [--hot-key-ops 1000] [--kills 20] [--cuts 20] [--fault-interval-ms 2000] [--sqlite-busy-ms 2]
 *   [--max-attempts 200] [--time-limit-s 900] [--pg-url postgres://…] [--mssql-url 'Server=127.0.0.1,1433;…']
 *   [--mysql-url mysql://root@127.0.0.1:3306/test] [--no-negative-control]
 *   [--no-idempotency] [--seed n]
 */
import { parseArgs } from 'node:util';
import { redactUrl } from '../support/environment.js';
import {
  formatSummary,
  runScenario,
  type LibraryLocation,
  type ScenarioOptions,
  type ScenarioReport,
} from './run-scenario.js';

export interface StressCliContext {
  library: LibraryLocation;
  workerFile: string;
  argv: string[];
  write(line: string): void;
}

const BACKENDS = ['sqlite', 'postgres', 'mssql', 'mysql'] as const;

function integer(text: string | undefined, fallback: number, name: string, min = 1): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min)
    throw new Error(`--${name} expects an integer of at least ${min}, got ${text}`);
  return value;
}

/** Runs the stress scenarios; resolves to the process exit code. */
export async function runStressCli(context: StressCliContext): Promise<number> {
  const { values } = parseArgs({
    args: context.argv,
    options: {
      workers: { type: 'string' },
      ops: { type: 'string' },
      backends: { type: 'string' },
      keys: { type: 'string' },
      'spread-keys': { type: 'string' },
      'hot-key-ops': { type: 'string' },
      kills: { type: 'string' },
      cuts: { type: 'string' },
      'fault-interval-ms': { type: 'string' },
      'sqlite-busy-ms': { type: 'string' },
      'max-attempts': { type: 'string' },
      'time-limit-s': { type: 'string' },
      'pg-url': { type: 'string' },
      'mssql-url': { type: 'string' },
      'mysql-url': { type: 'string' },
      'no-negative-control': { type: 'boolean' },
      'no-idempotency': { type: 'boolean' },
      seed: { type: 'string' },
    },
  });
  const pgUrl =
    values['pg-url'] ?? process.env['VERSIONED_SESSIONS_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
  const mssqlUrl = values['mssql-url'] ?? process.env['VERSIONED_SESSIONS_MSSQL_URL'];
  const mysqlUrl = values['mysql-url'] ?? process.env['VERSIONED_SESSIONS_MYSQL_URL'];
  const given = (value: string | undefined): value is string => value !== undefined && value !== '';
  // SQL Server and MySQL join the default run when a connection is given.
  const backends = (
    values.backends ??
    ['sqlite', 'postgres', ...(given(mssqlUrl) ? ['mssql'] : []), ...(given(mysqlUrl) ? ['mysql'] : [])].join(',')
  )
    .split(',')
    .map((name) => name.trim());
  for (const name of backends) {
    if (!(BACKENDS as readonly string[]).includes(name))
      throw new Error(`--backends: unknown backend ${name}; known: ${BACKENDS.join(', ')}`);
  }
  const keyModes = (values.keys ?? 'hot,spread').split(',').map((name) => name.trim()) as ScenarioOptions['keyMode'][];
  for (const mode of keyModes) {
    if (mode !== 'hot' && mode !== 'spread')
      throw new Error(`--keys: unknown layout ${String(mode)}; known: hot, spread`);
  }
  const seed = integer(values.seed, Date.now() % 1_000_000_007, 'seed', 0);
  const base: Omit<ScenarioOptions, 'backend' | 'keyMode' | 'versionCheck'> = {
    workers: integer(values.workers, 8, 'workers'),
    opsPerWorker: integer(values.ops, 2000, 'ops'),
    spreadKeys: integer(values['spread-keys'], 32, 'spread-keys'),
    hotKeyOps: integer(values['hot-key-ops'], 1000, 'hot-key-ops'),
    kills: integer(values.kills, 20, 'kills', 0),
    cuts: integer(values.cuts, 20, 'cuts', 0),
    faultIntervalMs: integer(values['fault-interval-ms'], 2000, 'fault-interval-ms'),
    idempotency: values['no-idempotency'] !== true,
    sqliteBusyTimeoutMs: integer(values['sqlite-busy-ms'], 2, 'sqlite-busy-ms', 0),
    retry: { maxAttempts: integer(values['max-attempts'], 200, 'max-attempts'), baseDelayMs: 1, maxDelayMs: 50 },
    timeLimitMs: integer(values['time-limit-s'], 900, 'time-limit-s') * 1000,
    pgUrl,
    ...(mssqlUrl === undefined ? {} : { mssqlUrl }),
    ...(mysqlUrl === undefined ? {} : { mysqlUrl }),
    library: context.library,
    workerFile: context.workerFile,
    seed,
  };
  context.write(
    `stress: ${base.workers} workers × ${base.opsPerWorker} ops, backends ${backends.join(', ')}, keys ${keyModes.join(', ')}, ` +
      `hot keys retired after ${base.hotKeyOps} ops, ${base.kills} kills and ${base.cuts} cuts per PostgreSQL run (kills only on SQL Server and MySQL), SQLite busy timeout ${base.sqliteBusyTimeoutMs} ms, seed ${seed}` +
      (backends.includes('postgres') ? `, PostgreSQL at ${redactUrl(pgUrl)}` : '') +
      (backends.includes('mssql') ? ', SQL Server from VERSIONED_SESSIONS_MSSQL_URL / --mssql-url' : '') +
      (backends.includes('mysql') && given(mysqlUrl) ? `, MySQL at ${redactUrl(mysqlUrl)}` : ''),
  );

  // Ctrl-C reaches the workers too; the scenario then ends, checks what was recorded and drops its
  // schema and files, and no further scenario starts.
  let interrupted = false;
  const onInterrupt = (): void => {
    interrupted = true;
    context.write('stress: interrupted; finishing the current scenario and cleaning up');
  };
  process.on('SIGINT', onInterrupt);
  try {
    return await runScenarios(
      context,
      base,
      backends as ScenarioOptions['backend'][],
      keyModes,
      values['no-negative-control'] !== true,
      () => interrupted,
    );
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

async function runScenarios(
  context: StressCliContext,
  base: Omit<ScenarioOptions, 'backend' | 'keyMode' | 'versionCheck'>,
  backends: ScenarioOptions['backend'][],
  keyModes: ScenarioOptions['keyMode'][],
  negativeControl: boolean,
  interrupted: () => boolean,
): Promise<number> {
  let failures = 0;
  const print = (report: ScenarioReport): void => {
    context.write(report.verdict);
    context.write(formatSummary(report));
  };
  for (const backend of backends) {
    for (const keyMode of keyModes) {
      if (interrupted()) break;
      const report = await runScenario({ ...base, backend, keyMode, versionCheck: true });
      print(report);
      if (!report.result.valid || report.timedOut) failures++;
    }
  }
  if (negativeControl) {
    for (const backend of backends) {
      if (interrupted()) break;
      // The negative control runs without faults: its point is that the checker sees lost updates.
      const report = await runScenario({
        ...base,
        backend,
        keyMode: 'hot',
        versionCheck: false,
        kills: 0,
        cuts: 0,
        opsPerWorker: Math.min(base.opsPerWorker, 200),
      });
      print(report);
      const sawLostUpdates = report.result.counts['lost-update'] > 0;
      context.write(
        `  negative control ${sawLostUpdates ? 'OK: the checker saw the lost updates' : 'FAILED: no lost update was seen'}`,
      );
      if (!sawLostUpdates) failures++;
    }
  }
  if (interrupted()) {
    context.write('stress: INTERRUPTED');
    return 130;
  }
  context.write(failures === 0 ? 'stress: PASS' : `stress: FAIL (${failures} scenario(s))`);
  return failures === 0 ? 0 : 1;
}
