/**
 * One stress scenario: a backend, a key layout, N worker processes × M operations, with faults
 * injected while they run; then the final rows are read back and the history checked.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { maskKey } from '../../src/core/observability/key-mask.js';
import { mssqlBackend, mysqlBackend, postgresBackend, sqliteBackend, type StressBackend } from './backends.js';
import { checkHistory, formatVerdict, type CheckResult } from './checker.js';
import { startCuttingProxy, type CuttingProxy } from './cutting-proxy.js';
import type { HistoryEvent, KeyState } from './history.js';

/** Where the worker processes import the library from: `dist/*.js` or `test/.tmp/lib/*.mjs`. */
export interface LibraryLocation {
  core: string;
  sqlite: string;
  postgres: string;
  mssql: string;
  mysql: string;
}

export interface ScenarioOptions {
  backend: 'sqlite' | 'postgres' | 'mssql' | 'mysql';
  keyMode: 'hot' | 'spread';
  workers: number;
  opsPerWorker: number;
  /** How many keys the spread layout uses. */
  spreadKeys: number;
  /**
   * Operations per hot key: all workers write one key at a time and move on to a fresh one after this
   * many operations in all, as Elle retires keys, so a list (rewritten whole on every write) stays short.
   */
  hotKeyOps: number;
  /** `false` is the negative control: unconditional writes, which must lose updates. */
  versionCheck: boolean;
  /** PostgreSQL / SQL Server / MySQL backends terminated during the run. */
  kills: number;
  /** PostgreSQL connections cut in the middle of a statement by the proxy. */
  cuts: number;
  /** The mean wait between two faults of one kind. */
  faultIntervalMs: number;
  /** Pass each operation's token as its idempotency key, where the library supports them. */
  idempotency: boolean;
  /** SQLite's busy timeout in each worker: short, so that processes really contend. */
  sqliteBusyTimeoutMs: number;
  retry: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };
  /** Workers stop starting operations after this long. */
  timeLimitMs: number;
  pgUrl?: string;
  /** SQL Server connection string (ADO style). */
  mssqlUrl?: string;
  /** MySQL / MariaDB URL. */
  mysqlUrl?: string;
  library: LibraryLocation;
  workerFile: string;
  seed: number;
}

export interface ScenarioReport {
  label: string;
  verdict: string;
  result: CheckResult;
  durationMs: number;
  /** Operations finished per second, over the whole scenario. */
  opsPerSecond: number;
  attempts: number;
  /** Retries after a passing fault (a busy database, a dropped connection) rather than a conflict. */
  transientRetries: number;
  kills: number;
  cuts: { 'before-statement': number; 'after-statement': number };
  /** The most frequent error texts of fail and info operations. */
  errors: { text: string; count: number }[];
  timedOut: boolean;
  /** Whether the workers passed idempotency keys (the library supports them and they were asked to). */
  idempotent: boolean;
  /** Ok operations the library resolved as duplicates of their own earlier, committed attempt. */
  duplicates: number;
}

export const START_VERSION = 41;

function keysFor(options: ScenarioOptions): string[] {
  if (options.keyMode === 'hot') {
    const count = Math.max(1, Math.ceil((options.workers * options.opsPerWorker) / options.hotKeyOps));
    return Array.from({ length: count }, (_, index) => `+52155${String(index).padStart(8, '0')}`);
  }
  return Array.from({ length: options.spreadKeys }, (_, index) => `+52155${String(10_000_000 + index * 7919)}`);
}

function spawnWorker(
  options: ScenarioOptions,
  backend: StressBackend,
  location: string,
  keys: string[],
  historyFile: string,
  index: number,
): ChildProcess {
  const config = {
    process: index,
    ops: options.opsPerWorker,
    keys,
    keyMode: options.keyMode,
    opsPerKey: Math.max(1, Math.floor(options.hotKeyOps / options.workers)),
    historyFile,
    retry: options.retry,
    versionCheck: options.versionCheck,
    connection: { ...backend.connection, location },
    library: options.library,
    seed: options.seed + index * 7_919,
    sqliteBusyTimeoutMs: options.sqliteBusyTimeoutMs,
    applicationName: backend.applicationName,
    idempotency: options.idempotency,
    timeLimitMs: options.timeLimitMs,
  };
  return fork(options.workerFile, [], {
    env: { ...process.env, STRESS_WORKER_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** Fires `fault` up to `count` times at jittered intervals until `done` resolves. */
async function injectFaults(
  count: number,
  intervalMs: number,
  done: { finished: boolean },
  fault: () => Promise<boolean>,
): Promise<number> {
  let made = 0;
  while (made < count && !done.finished) {
    await sleep(Math.round(intervalMs * (0.5 + Math.random())));
    if (done.finished) break;
    try {
      if (await fault()) made++;
    } catch {
      // A fault that could not be made (no backend to kill at that instant) is simply tried again.
    }
  }
  return made;
}

function readHistory(folder: string): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  for (const file of readdirSync(folder).sort()) {
    for (const line of readFileSync(join(folder, file), 'utf8').split('\n')) {
      // A worker killed in the middle of a write can leave a torn last line; its operation stays incomplete.
      if (line.length === 0) continue;
      try {
        events.push(JSON.parse(line) as HistoryEvent);
      } catch {
        continue;
      }
    }
  }
  return events;
}

function topErrors(events: HistoryEvent[]): { text: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const event of events) {
    if (event.type === 'invoke' || event.error === undefined) continue;
    const text = event.error.replace(/\d+/g, 'N');
    counts.set(text, (counts.get(text) ?? 0) + 1);
  }
  return [...counts]
    .map(([text, count]) => ({ text, count }))
    .sort((a, b) => b.count - a.count)
    .slice(0, 4);
}

/** Runs one scenario from set-up to verdict, and removes its table and files. */
export async function runScenario(options: ScenarioOptions): Promise<ScenarioReport> {
  const label = `${options.backend} ${options.keyMode}${options.versionCheck ? '' : ' (version check off)'}`;
  const backend =
    options.backend === 'sqlite'
      ? await sqliteBackend()
      : options.backend === 'postgres'
        ? await postgresBackend(options.pgUrl ?? '')
        : options.backend === 'mysql'
          ? await mysqlBackend(options.mysqlUrl ?? '')
          : await mssqlBackend(options.mssqlUrl ?? '');
  const folder = mkdtempSync(join(tmpdir(), 'versioned-sessions-history-'));
  let proxy: CuttingProxy | undefined;
  const children: ChildProcess[] = [];
  try {
    const keys = keysFor(options);
    await backend.seedKeys(keys, START_VERSION);
    let location = backend.connection.location;
    if (options.backend === 'postgres' && options.cuts > 0) {
      const url = new URL(location);
      proxy = await startCuttingProxy({ host: url.hostname, port: Number(url.port || 5432) });
      url.hostname = '127.0.0.1';
      url.port = String(proxy.port);
      location = url.toString();
    }
    let idempotent = false;
    const exits: Promise<void>[] = [];
    const ready: Promise<void>[] = [];
    for (let index = 0; index < options.workers; index++) {
      const child = spawnWorker(
        options,
        backend,
        location,
        keys,
        join(folder, `worker-${String(index).padStart(3, '0')}.jsonl`),
        index,
      );
      children.push(child);
      ready.push(
        new Promise((resolve, reject) => {
          child.once('message', (message: { idempotent?: boolean }) => {
            idempotent = message.idempotent === true;
            resolve();
          });
          child.once('exit', (code) =>
            reject(new Error(`stress worker ${index} exited with code ${code} before it was ready`)),
          );
        }),
      );
      exits.push(new Promise((resolve) => child.once('exit', () => resolve())));
    }
    // One worker failing to start rejects the run; the others' rejections (they are killed) are expected.
    for (const promise of ready) promise.catch(() => undefined);
    await Promise.all(ready);
    const started = performance.now();
    for (const child of children) child.send('go');

    const done = { finished: false };
    // Bounded in time as well as count: a worker still running after the limit plus a grace period is killed.
    let timedOut = false;
    const watchdog = setTimeout(() => {
      timedOut = true;
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    }, options.timeLimitMs + 30_000);
    const faults = Promise.all([
      backend.terminateBackend === undefined
        ? 0
        : injectFaults(options.kills, options.faultIntervalMs, done, () => backend.terminateBackend!()),
      proxy === undefined
        ? 0
        : injectFaults(options.cuts, options.faultIntervalMs, done, () => {
            proxy!.armCut();
            return Promise.resolve(true);
          }),
    ]);
    await Promise.all(exits);
    done.finished = true;
    clearTimeout(watchdog);
    const durationMs = performance.now() - started;
    const [kills] = await faults;

    const events = readHistory(folder);
    const stored = new Map((await backend.readKeys()).map((row) => [row.key, row]));
    const states: KeyState[] = keys.map((key) => ({
      key,
      startVersion: START_VERSION,
      version: stored.get(key)?.version ?? Number.NaN,
      list: stored.get(key)?.data.list,
      counter: stored.get(key)?.data.counter,
    }));
    const result = checkHistory({ events, keys: states });
    const attempts = events.reduce(
      (sum, event) => sum + (event.type !== 'invoke' && event.attempts !== undefined ? event.attempts : 0),
      0,
    );
    const transientRetries = events.reduce(
      (sum, event) => sum + (event.type !== 'invoke' ? (event.transientRetries ?? 0) : 0),
      0,
    );
    return {
      label,
      verdict: formatVerdict(label, result),
      result,
      durationMs,
      opsPerSecond: result.operations.total / (durationMs / 1000),
      attempts,
      transientRetries,
      kills,
      cuts: proxy === undefined ? { 'before-statement': 0, 'after-statement': 0 } : { ...proxy.cuts },
      errors: topErrors(events),
      timedOut,
      idempotent,
      duplicates: events.filter((event) => event.type === 'ok' && event.duplicate === true).length,
    };
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await proxy?.close();
    await backend.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

/** The summary printed under a verdict. */
export function formatSummary(report: ScenarioReport): string {
  const lines = [
    `  ${report.result.operations.total} ops in ${(report.durationMs / 1000).toFixed(1)} s (${report.opsPerSecond.toFixed(0)} ops/s), ` +
      `${report.attempts} attempts (${(report.attempts / Math.max(1, report.result.operations.total)).toFixed(2)} per op), ${report.transientRetries} retries after a passing fault (busy database, dropped connection)`,
    `  idempotency keys: ${report.idempotent ? `on (${report.duplicates} writes resolved as already committed)` : 'off'}`,
    `  faults: ${report.kills} backends terminated, ${report.cuts['before-statement']} cuts before a statement, ` +
      `${report.cuts['after-statement']} cuts after a statement${report.timedOut ? '; TIMED OUT, workers killed' : ''}`,
  ];
  for (const { text, count } of report.errors) lines.push(`  ${count}× ${text}`);
  for (const violation of report.result.violations.slice(0, 5)) {
    lines.push(
      `  ! ${violation.kind} key=${violation.key === undefined ? '-' : maskKey(violation.key)} token=${violation.token ?? '-'}: ${violation.detail}`,
    );
  }
  return lines.join('\n');
}
