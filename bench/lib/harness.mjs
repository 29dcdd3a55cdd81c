// Rounds, warm-up and statistics shared by every scenario family.
import { cpus, totalmem } from 'node:os';

/** How long each mode measures: a warm-up round that is thrown away, then `rounds` measured rounds. */
export const MODES = {
  quick: { warmupMs: 300, roundMs: 700, rounds: 2, keys: 300, concurrencies: [4, 16], processHandlers: [16] },
  default: { warmupMs: 300, roundMs: 800, rounds: 3, keys: 1000, concurrencies: [4, 16, 64], processHandlers: [16] },
  full: { warmupMs: 1000, roundMs: 3000, rounds: 5, keys: 1000, concurrencies: [4, 16, 64], processHandlers: [16, 64] },
};

export function median(values) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * Runs `round(durationMs)` once to warm up and `rounds` times to measure; each numeric field of the
 * rounds' results becomes its median across rounds (counts such as lost updates are summed instead).
 */
export async function measure(mode, round, { sum = ['lost', 'exhausted', 'committed', 'operations'] } = {}) {
  await round(mode.warmupMs);
  const results = [];
  for (let i = 0; i < mode.rounds; i++) results.push(await round(mode.roundMs));
  const summary = {};
  for (const field of Object.keys(results[0])) {
    const values = results.map((result) => result[field]);
    summary[field] = sum.includes(field) ? values.reduce((a, b) => a + b, 0) : median(values);
  }
  summary.rounds = mode.rounds;
  return summary;
}

/**
 * Starts `handlers` loops that call `operation()` until `durationMs` has passed, and tallies what
 * each call reported: `{ ok, attempts, exhausted }`. Latency is per call, retries and waits included.
 */
export async function runHandlers(handlers, durationMs, operation) {
  const latencies = [];
  let operations = 0;
  let committed = 0;
  let attempts = 0;
  let exhausted = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: handlers }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const outcome = await operation();
        latencies.push(performance.now() - t0);
        operations++;
        attempts += outcome.attempts;
        if (outcome.ok) committed++;
        else if (outcome.exhausted) exhausted++;
        else throw outcome.error;
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, latencies, operations, committed, attempts, exhausted };
}

/** The summary of one hot-key round: goodput from the counter the database holds, not from what calls said. */
export function hotKeyRound(tally, counterDelta) {
  return {
    goodput: counterDelta / tally.seconds,
    p50: percentile(tally.latencies, 50),
    p99: percentile(tally.latencies, 99),
    attemptsPerCommit: tally.committed === 0 ? Number.NaN : tally.attempts / tally.committed,
    committed: tally.committed,
    exhausted: tally.exhausted,
    lost: tally.committed - counterDelta,
  };
}

/** The machine and software the numbers were measured on. */
export function machineInfo(databases) {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    databases: Object.fromEntries(databases.map((database) => [database.dialect, database.version])),
  };
}

/**
 * Measures each hot-key variant with `measureOne(variant)` and adds the ratios against the two
 * baselines measured in the same run: pessimistic locking and the single-statement ceiling.
 */
export async function compareVariants(variants, measureOne, fields) {
  const byVariant = {};
  for (const variant of variants) byVariant[variant] = await measureOne(variant);
  return variants.map((variant) => ({
    ...fields,
    variant,
    ...byVariant[variant],
    vsPessimistic: byVariant[variant].goodput / byVariant.pessimistic.goodput,
    vsCeiling: byVariant[variant].goodput / byVariant['single-statement'].goodput,
  }));
}
