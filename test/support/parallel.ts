/**
 * Runs a workload in several worker threads at once, each with its own database connection, so the
 * operations really run in parallel (for SQLite, several connections on one WAL file).
 */
import { Worker } from 'node:worker_threads';
import type { WorkerConnection } from '../conformance/target.js';
import { suiteLog, type LoggedLine } from './log-sink.js';

export interface OperationResult {
  ok: boolean;
  /** For deliveries: whether this one applied the message or found it applied. */
  status?: 'applied' | 'duplicate';
  attempts?: number;
  /** Retries after a ConcurrencyError (waits taken by withSessionRetry). */
  retries?: number;
  version?: number;
  createdAt?: string;
  error?: {
    name: string;
    message: string;
    expectedVersion?: number;
    actualVersion?: number | null;
    operation?: string;
    isConcurrencyError: boolean;
    isDuplicateOperationError: boolean;
    committedVersion?: number | null;
  };
}

export interface ParallelRun {
  connection: WorkerConnection;
  workload:
    | 'retryIncrement'
    | 'naiveIncrement'
    | 'sameVersion'
    | 'getOrCreate'
    | 'deliverOnce'
    | 'deliverWithoutKey'
    | 'updateOnce'
    | 'observeSameVersion'
    | 'naiveObserve'
    | 'handleMessages';
  key: string;
  workers: number;
  tasksPerWorker: number;
  expectedVersion?: number;
  /** PostgreSQL connections per worker (default: one per task). */
  poolSize?: number;
  /** The webhook message id the delivery workloads use as idempotency key. */
  messageId?: string;
  retry?: Record<string, unknown>;
  /** Give each worker's repository the per-key queue. */
  perKeyQueue?: boolean;
  /** The keys the `handleMessages` workload writes, each once per round. */
  keys?: string[];
  /** Rounds of `handleMessages` over `keys` (default 1). */
  rounds?: number;
  /** Options of each worker's repository, e.g. `{ lockingMode: 'observe' }`. */
  repositoryOptions?: Record<string, unknown>;
}

/** A conflict a worker saw (through its repository's onConflict hook, or the naive detector). */
export interface SeenConflict {
  expectedVersion: number | null;
  actualVersion: number | null;
  enforced?: boolean;
}

interface WorkerReport {
  results: OperationResult[];
  logs: LoggedLine[];
  conflicts: SeenConflict[];
}

export async function runParallel(run: ParallelRun): Promise<OperationResult[]> {
  return (await runParallelDetailed(run)).results;
}

/** Like {@link runParallel}, with the conflicts the workers saw; their log lines go to the suite's sink. */
export async function runParallelDetailed(
  run: ParallelRun,
): Promise<{ results: OperationResult[]; conflicts: SeenConflict[] }> {
  const workerUrl = new URL('./concurrency-worker.mjs', import.meta.url);
  const workers = Array.from(
    { length: run.workers },
    (_, worker) =>
      new Worker(workerUrl, {
        workerData: {
          connection: run.connection,
          workload: run.workload,
          key: run.key,
          tasks: run.tasksPerWorker,
          expectedVersion: run.expectedVersion,
          messageId: run.messageId,
          poolSize: run.poolSize,
          retry: run.retry ?? {},
          perKeyQueue: run.perKeyQueue ?? false,
          repositoryOptions: run.repositoryOptions ?? {},
          keys: run.keys ?? [],
          rounds: run.rounds ?? 1,
          worker,
        },
      }),
  );
  const finished = workers.map(
    (worker) =>
      new Promise<{ ready: Promise<void>; done: Promise<WorkerReport> }>((resolveOuter) => {
        let markReady!: () => void;
        const ready = new Promise<void>((resolve) => (markReady = resolve));
        const done = new Promise<WorkerReport>((resolve, reject) => {
          worker.on('message', (message: { type: string } & Partial<WorkerReport>) => {
            if (message.type === 'ready') markReady();
            if (message.type === 'done')
              resolve({ results: message.results!, logs: message.logs!, conflicts: message.conflicts! });
          });
          worker.on('error', reject);
          worker.on('exit', (code) => {
            if (code !== 0) reject(new Error(`worker exited with code ${code}`));
          });
        });
        resolveOuter({ ready, done });
      }),
  );
  const handles = await Promise.all(finished);
  await Promise.all(handles.map((handle) => handle.ready));
  for (const worker of workers) worker.postMessage('go');
  const reports = await Promise.all(handles.map((handle) => handle.done));
  for (const report of reports) suiteLog.add(report.logs);
  return {
    results: reports.flatMap((report) => report.results),
    conflicts: reports.flatMap((report) => report.conflicts),
  };
}
