import { describe, expect, it } from 'vitest';
import { ConcurrencyError, InvalidArgumentError, withRetry } from '../../src/index.js';
import { resolvePolicy, retryDelay } from '../../src/core/retry/retry-policy.js';

function conflict(expectedVersion = 0): ConcurrencyError {
  return new ConcurrencyError({
    key: '+5215512345678',
    maskedKey: '+52*******5678',
    expectedVersion,
    actualVersion: expectedVersion + 1,
    operation: 'updateSession',
  });
}

describe('withRetry', () => {
  it('retries ConcurrencyError with 50 → 100 ms waits and returns the first success', async () => {
    const waits: [number, number][] = [];
    const lines: string[] = [];
    let calls = 0;
    const result = await withRetry(
      async (attempt) => {
        calls++;
        if (attempt < 3) throw conflict(attempt);
        return `done on ${attempt}`;
      },
      {
        random: () => 0,
        onRetry: (attempt, delayMs) => waits.push([attempt, delayMs]),
        operationName: 'cerrarTicket',
        logger: { warn: (line: string) => lines.push(line) },
      },
    );
    expect(result).toBe('done on 3');
    expect(calls).toBe(3);
    expect(waits).toEqual([
      [1, 50],
      [2, 100],
    ]);
    expect(lines).toEqual([
      '[ConcurrencyRetry] cerrarTicket - attempt 1/10 failed: version conflict (expected 1, found 2), retrying in 50ms',
      '[ConcurrencyRetry] cerrarTicket - attempt 2/10 failed: version conflict (expected 2, found 3), retrying in 100ms',
    ]);
  });

  it('the defaults: 10 attempts, waits doubling from 50 ms and capped at 1 s', () => {
    const policy = resolvePolicy({ random: () => 0 }, 'operation');
    expect(policy).toMatchObject({ maxAttempts: 10, baseDelayMs: 50, maxDelayMs: 1000, jitter: 'proportional' });
    const waits: number[] = [];
    for (let attempt = 1; attempt < policy.maxAttempts; attempt++)
      waits.push(retryDelay(policy, attempt, waits.at(-1) ?? policy.baseDelayMs));
    expect(waits).toEqual([50, 100, 200, 400, 800, 1000, 1000, 1000, 1000]);
  });

  it('a retry line names an error by class and code, never by its message', async () => {
    const lines: string[] = [];
    await withRetry(
      async (attempt) => {
        if (attempt === 1)
          throw Object.assign(new Error('connect ECONNREFUSED for +5215512345678'), { code: 'ECONNREFUSED' });
        if (attempt === 2) throw new RangeError('bad +5215512345678');
        return 'ok';
      },
      {
        shouldRetry: () => true,
        baseDelayMs: 0,
        random: () => 0,
        logger: { warn: (line: string) => lines.push(line) },
      },
    );
    expect(lines).toEqual([
      '[ConcurrencyRetry] operation - attempt 1/10 failed: Error ECONNREFUSED, retrying in 0ms',
      '[ConcurrencyRetry] operation - attempt 2/10 failed: RangeError, retrying in 0ms',
    ]);
  });

  it('throws the last ConcurrencyError unchanged after maxAttempts and logs that it gave up', async () => {
    const thrown: ConcurrencyError[] = [];
    const lines: string[] = [];
    const error = await withRetry(
      async (attempt) => {
        const next = conflict(attempt);
        thrown.push(next);
        throw next;
      },
      {
        maxAttempts: 4,
        baseDelayMs: 1,
        logger: { warn: (l: string) => lines.push(l), error: (l: string) => lines.push(l) },
      },
    ).catch((e: unknown) => e);
    expect(thrown).toHaveLength(4);
    expect(error).toBe(thrown[3]);
    expect(lines.at(-1)).toBe(
      '[ConcurrencyRetry] operation - gave up after 4/4 attempts: version conflict (expected 4, found 5)',
    );
  });

  it('does not retry other errors by default', async () => {
    let calls = 0;
    const failure = new Error('network down');
    await expect(
      withRetry(async () => {
        calls++;
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(calls).toBe(1);
  });

  it('retries what shouldRetry accepts', async () => {
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 2) throw Object.assign(new Error('deadlock'), { code: '40P01' });
        return calls;
      },
      { baseDelayMs: 1, shouldRetry: (error) => (error as { code?: string }).code === '40P01' },
    );
    expect(result).toBe(2);
  });

  it('maxAttempts 1 runs once and never waits', async () => {
    let retries = 0;
    const error = await withRetry(async () => Promise.reject(conflict()), {
      maxAttempts: 1,
      onRetry: () => retries++,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConcurrencyError);
    expect(retries).toBe(0);
  });

  it('an AbortSignal stops the waiting and rejects with its reason', async () => {
    const controller = new AbortController();
    let calls = 0;
    const reason = new Error('webhook timed out');
    const pending = withRetry(
      async () => {
        calls++;
        throw conflict();
      },
      { baseDelayMs: 60_000, signal: controller.signal, onRetry: () => controller.abort(reason) },
    );
    await expect(pending).rejects.toBe(reason);
    expect(calls).toBe(1);
  });

  it('an already aborted signal runs nothing', async () => {
    let calls = 0;
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await expect(withRetry(async () => ++calls, { signal: controller.signal })).rejects.toThrow('gone');
    expect(calls).toBe(0);
  });

  const badOptions: [string, Record<string, unknown>, string][] = [
    ['maxAttempts 0', { maxAttempts: 0 }, 'maxAttempts'],
    ['maxAttempts fractional', { maxAttempts: 2.5 }, 'maxAttempts'],
    ['maxAttempts a string', { maxAttempts: '3' }, 'maxAttempts'],
    ['baseDelayMs negative', { baseDelayMs: -1 }, 'baseDelayMs'],
    ['maxDelayMs below baseDelayMs', { baseDelayMs: 100, maxDelayMs: 10 }, 'maxDelayMs'],
    ['an unknown jitter', { jitter: 'random' }, 'jitter'],
    ['onRetry not a function', { onRetry: 'log' }, 'onRetry'],
    ['shouldRetry not a function', { shouldRetry: true }, 'shouldRetry'],
    ['signal not an AbortSignal', { signal: {} }, 'signal'],
    ['an empty operationName', { operationName: '' }, 'operationName'],
  ];
  it.each(badOptions)('rejects %s up front, before running anything', async (_label, options, argument) => {
    let calls = 0;
    const error = await withRetry(async () => ++calls, options as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe(argument);
    expect((error as Error).message).toMatch(new RegExp(`^Expected \`${argument}\` to .*, got .*\\.$`));
    expect(calls).toBe(0);
  });

  it('words a refusal with the expected range and the value given', async () => {
    await expect(withRetry(async () => 1, { maxAttempts: 0 })).rejects.toThrow(
      'Expected `maxAttempts` to be an integer ≥ 1, got 0.',
    );
    await expect(withRetry(async () => 1, { baseDelayMs: 100, maxDelayMs: 10 })).rejects.toThrow(
      'Expected `maxDelayMs` to be ≥ `baseDelayMs` (100), got 10.',
    );
    await expect(withRetry(async () => 1, null as never)).rejects.toThrow(
      'Expected `options` to be an object, got null.',
    );
  });
});

describe('retryDelay', () => {
  const base = { baseDelayMs: 50, maxDelayMs: 5000 };
  it('none: exactly base × 2^(attempt − 1), capped by maxDelayMs', () => {
    const policy = { ...base, jitter: 'none' as const, random: () => 0.9 };
    expect([1, 2, 3, 4].map((attempt) => retryDelay(policy, attempt, 0))).toEqual([50, 100, 200, 400]);
    expect(retryDelay({ ...policy, maxDelayMs: 150 }, 3, 0)).toBe(150);
  });
  it('proportional: between the exponential delay and 25% more', () => {
    expect(retryDelay({ ...base, jitter: 'proportional', random: () => 0 }, 3, 0)).toBe(200);
    expect(retryDelay({ ...base, jitter: 'proportional', random: () => 0.999999 }, 3, 0)).toBe(250);
  });
  it('full: between 0 and the exponential delay', () => {
    expect(retryDelay({ ...base, jitter: 'full', random: () => 0 }, 2, 0)).toBe(0);
    expect(retryDelay({ ...base, jitter: 'full', random: () => 0.5 }, 2, 0)).toBe(50);
  });
  it('decorrelated: between base and three times the previous wait', () => {
    expect(retryDelay({ ...base, jitter: 'decorrelated', random: () => 0 }, 2, 80)).toBe(50);
    expect(retryDelay({ ...base, jitter: 'decorrelated', random: () => 0.999999 }, 2, 80)).toBe(240);
  });
});
