/**
 * Runs a workload in several worker threads at once, each with its own database connection, so the
 * operations really run in parallel (for SQLite, several connections on one WAL file).
 */
import { Worker } from 'node:worker_threads';
import type { WorkerConnection } from '../conformance/target.js';

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
  workload: 'retryIncrement' | 'naiveIncrement' | 'sameVersion' | 'getOrCreate' | 'deliverOnce' | 'deliverWithoutKey' | 'updateOnce';
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
}

export async function runParallel(run: ParallelRun): Promise<OperationResult[]> {
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
          worker,
        },
      }),
  );
  const finished = workers.map(
    (worker) =>
      new Promise<{ ready: Promise<void>; done: Promise<OperationResult[]> }>((resolveOuter) => {
        let markReady!: () => void;
        const ready = new Promise<void>((resolve) => (markReady = resolve));
        const done = new Promise<OperationResult[]>((resolve, reject) => {
          worker.on('message', (message: { type: string; results?: OperationResult[] }) => {
            if (message.type === 'ready') markReady();
            if (message.type === 'done') resolve(message.results!);
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
  const results = await Promise.all(handles.map((handle) => handle.done));
  return results.flat();
}
