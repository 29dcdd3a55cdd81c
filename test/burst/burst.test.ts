/**
 * The webhook burst of bench/burst.mjs as a test: 20 phones × 10 messages, each delivered twice, all
 * at once, into 1 and into 4 processes running the README quick start's handler with the library's
 * default options. Counts are asserted (nothing exhausted, failed, lost, applied twice or applied out of
 * a process's delivery order); times are not. The negative control spells out the defaults as they were
 * (no per-key queue, 3 attempts) and must show the burst failing.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isRequired } from '../support/environment.js';

const SCRIPT = fileURLToPath(new URL('../../bench/burst.mjs', import.meta.url));
const LIB = fileURLToPath(new URL('../.tmp/lib', import.meta.url));
const PG_URL = process.env['VERSIONED_SESSIONS_PG_URL'];

interface BurstResult {
  dialect: string;
  processes: number;
  variant: 'new' | 'old';
  deliveries: number;
  applied: number;
  duplicate: number;
  exhausted: number;
  errors: number;
  errorSamples: string[];
  lost: number;
  appliedTwice: number;
  outOfOrder: number;
  finalStates: Record<string, number>;
}

function burst(args: string[]): Promise<BurstResult[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [SCRIPT, '--lib', LIB, '--json', ...args],
      { timeout: 240_000, maxBuffer: 1 << 24 },
      (error, stdout, stderr) => {
        if (error !== null) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as BurstResult[]);
      },
    );
  });
}

function expectTargetMet(result: BurstResult): void {
  expect({ ...result, finalStates: undefined, elapsedMs: undefined, retries: undefined }).toMatchObject({
    deliveries: 400,
    applied: 200,
    duplicate: 200,
    exhausted: 0,
    errors: 0,
    errorSamples: [],
    lost: 0,
    appliedTwice: 0,
    outOfOrder: 0,
  });
}

describe.skipIf(PG_URL === undefined && !isRequired('postgres'))(
  'the webhook burst on PostgreSQL, default options',
  () => {
    it.each([1, 4])(
      'into %i process(es): 0 exhausted, 0 lost, 0 applied twice, in delivery order',
      { timeout: 240_000 },
      async (processes) => {
        if (PG_URL === undefined) throw new Error('postgres is required but VERSIONED_SESSIONS_PG_URL is not set');
        const [result] = await burst(['--dialect', 'postgres', '--processes', String(processes), '--defaults', 'new']);
        expectTargetMet(result!);
        // One process applies each phone's messages in the order delivered, so every conversation ends where its script does.
        if (processes === 1) expect(result!.finalStates).toEqual({ DONE: 20 });
      },
    );

    it(
      'negative control: the former defaults (no per-key queue, 3 attempts) exhaust retries and lose messages',
      { timeout: 240_000 },
      async () => {
        const [result] = await burst(['--dialect', 'postgres', '--processes', '1', '--defaults', 'old']);
        expect(result!.exhausted).toBeGreaterThan(0);
        expect(result!.lost).toBeGreaterThan(0);
        expect(result!.appliedTwice).toBe(0);
      },
    );
  },
);

describe('the webhook burst on SQLite, default options', () => {
  it.each([1, 4])(
    'into %i process(es): 0 exhausted, 0 lost, 0 applied twice, in delivery order',
    { timeout: 240_000 },
    async (processes) => {
      const [result] = await burst(['--dialect', 'sqlite', '--processes', String(processes), '--defaults', 'new']);
      expectTargetMet(result!);
      if (processes === 1) expect(result!.finalStates).toEqual({ DONE: 20 });
    },
  );
});
