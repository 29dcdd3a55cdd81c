import { metrics as otelMetrics } from '@opentelemetry/api';
import Database from 'better-sqlite3';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { reporterOf, reportDuplicate } from '../../src/core/observability/reporter.js';
import { duplicateOperation } from '../../src/core/repository/duplicate-operation.js';
import {
  ConcurrencyError,
  InvalidArgumentError,
  SessionRepository,
  diagnosticsChannels,
  hmacKeyMasker,
  withRetry,
  type DuplicateContext,
  type Logger,
} from '../../src/index.js';
import { migrate } from '../../src/migrations/index.js';
import { SqliteSessionStore } from '../../src/sqlite/index.js';
import { E164_LIKE } from '../support/log-sink.js';
import { inMemoryMetrics } from '../support/metrics.js';

const PHONE = '+5215512345678';
const MASKED = '+52*******5678';

function conflict(expectedVersion: number): ConcurrencyError {
  return new ConcurrencyError({
    key: PHONE,
    maskedKey: MASKED,
    expectedVersion,
    actualVersion: expectedVersion + 1,
    operation: 'updateSession',
  });
}

async function memoryStore(): Promise<SqliteSessionStore> {
  const database = new Database(':memory:');
  await migrate({ dialect: 'sqlite', database });
  return new SqliteSessionStore({ database });
}

function failThenSucceed(failures: number): (attempt: number) => Promise<string> {
  return async (attempt) => {
    if (attempt <= failures) throw conflict(attempt - 1);
    return 'ok';
  };
}

describe('OpenTelemetry through the global provider', () => {
  afterEach(() => otelMetrics.disable());

  it('withRetry records retries and attempts into the globally registered provider, even one registered late', async () => {
    await withRetry(failThenSucceed(1), { baseDelayMs: 0 }); // before any provider: recorded nowhere, no error
    const metrics = inMemoryMetrics();
    expect(otelMetrics.setGlobalMeterProvider(metrics.meterProvider)).toBe(true);
    await withRetry(failThenSucceed(2), { baseDelayMs: 0, operationName: 'cerrarTicket' });
    const points = await metrics.collect();
    expect(points.get('versioned_sessions.retries')).toEqual([{ attributes: { operation: 'cerrarTicket' }, value: 2 }]);
    expect(points.get('versioned_sessions.attempts')![0]!.value).toMatchObject({ count: 1, sum: 3 });
    await metrics.shutdown();
  });

  it('metrics: false records nothing; a malformed option is an InvalidArgumentError before the first attempt', async () => {
    const metrics = inMemoryMetrics();
    otelMetrics.setGlobalMeterProvider(metrics.meterProvider);
    await withRetry(failThenSucceed(1), { baseDelayMs: 0, metrics: false });
    expect((await metrics.collect()).size).toBe(0);
    let calls = 0;
    const error = await withRetry(async () => ++calls, { metrics: { meterProvider: {} } as never }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: 'InvalidArgumentError', argument: 'metrics' });
    expect(calls).toBe(0);
    const store = await memoryStore();
    expect(() => new SessionRepository({ store, metrics: 'yes' as never })).toThrow(InvalidArgumentError);
    await metrics.shutdown();
  });
});

describe('hooks', () => {
  it('are checked at construction: unknown names and non-functions are InvalidArgumentErrors', async () => {
    const store = await memoryStore();
    expect(() => new SessionRepository({ store, hooks: { onConflit: () => undefined } as never })).toThrow(
      'Expected `hooks.onConflit` to name a hook (onConflict, onRetry, onExhausted, onDuplicate), got an unknown name.',
    );
    expect(() => new SessionRepository({ store, hooks: { onRetry: 'log' } as never })).toThrow(
      'Expected `hooks.onRetry` to be a function, got a string of 3 characters.',
    );
    await expect(withRetry(async () => 1, { hooks: 5 as never })).rejects.toMatchObject({ argument: 'hooks' });
  });

  it('withRetry hooks get a context without key or dialect', async () => {
    const contexts: unknown[] = [];
    await withRetry(failThenSucceed(1), {
      baseDelayMs: 0,
      jitter: 'none',
      hooks: { onRetry: (context) => contexts.push(context) },
    });
    expect(contexts).toEqual([
      expect.objectContaining({
        event: 'retry',
        operation: 'operation',
        key: undefined,
        maskedKey: undefined,
        dialect: undefined,
        attempt: 1,
        maxAttempts: 10,
        delayMs: 0,
        expectedVersion: 0,
        actualVersion: 1,
      }),
    ]);
  });

  it('reportDuplicate reaches onDuplicate, the duplicate channel, the duplicates counter and the log (masked), once each', async () => {
    const metrics = inMemoryMetrics();
    const contexts: DuplicateContext[] = [];
    const lines: string[] = [];
    const repository = new SessionRepository({
      store: await memoryStore(),
      hooks: { onDuplicate: (context) => contexts.push(context) },
      logger: { info: (line: string) => lines.push(line) },
      metrics: { meterProvider: metrics.meterProvider },
    });
    const published: unknown[] = [];
    const listener = (message: unknown): void => {
      published.push(message);
    };
    subscribe(diagnosticsChannels.duplicate, listener);
    try {
      const processedAt = new Date('2026-01-02T03:04:05.000Z');
      const session = {
        key: PHONE,
        state: 'PAGADO',
        data: {},
        version: 4,
        createdAt: processedAt,
        updatedAt: processedAt,
      };
      const duplicate = duplicateOperation(repository, 'updateSession', PHONE, 'wamid.HBgM', {
        id: 'wamid.HBgM',
        key: PHONE,
        session,
        commitToken: 'token',
        processedAt,
      });
      reportDuplicate(reporterOf(repository)!, duplicate, { expectedVersion: 3, startedAt: performance.now() });
    } finally {
      unsubscribe(diagnosticsChannels.duplicate, listener);
    }
    expect(contexts).toEqual([
      expect.objectContaining({
        event: 'duplicate',
        key: PHONE,
        maskedKey: MASKED,
        idempotencyKey: 'wamid.HBgM',
        maskedIdempotencyKey: 'wam***HBgM',
        dialect: 'sqlite',
        expectedVersion: 3,
        actualVersion: 4,
      }),
    ]);
    expect(published[0]).toBe(contexts[0]);
    expect(lines).toEqual([
      '[DuplicateOperation] Duplicate operation wam***HBgM for +52*******5678 (updateSession): it was already ' +
        'applied (committed as version 4 at 2026-01-02T03:04:05.000Z), so nothing was written. This is a ' +
        'repeated delivery, not a conflict: acknowledge it and do not retry.',
    ]);
    return metrics.collect().then((points) => {
      expect(points.get('versioned_sessions.duplicates')).toEqual([
        { attributes: { operation: 'updateSession', dialect: 'sqlite', locking_mode: 'enforce' }, value: 1 },
      ]);
    });
  });
});

describe('loggers', () => {
  async function retryOnceWith(logger: Logger): Promise<void> {
    await withRetry(failThenSucceed(3), {
      maxAttempts: 3,
      baseDelayMs: 0,
      jitter: 'none',
      logger,
      operationName: `updateSession(${MASKED})`,
    }).catch(() => undefined);
  }

  it('pino: each line at its level, as msg', async () => {
    const written: { level: number; msg: string }[] = [];
    const logger = pino(
      { level: 'debug' },
      { write: (line: string) => written.push(JSON.parse(line) as { level: number; msg: string }) },
    );
    await retryOnceWith(logger);
    expect(written.map(({ level, msg }) => [level, msg])).toEqual([
      [
        40,
        `[ConcurrencyRetry] updateSession(${MASKED}) - attempt 1/3 failed: version conflict (expected 0, found 1), retrying in 0ms`,
      ],
      [
        40,
        `[ConcurrencyRetry] updateSession(${MASKED}) - attempt 2/3 failed: version conflict (expected 1, found 2), retrying in 0ms`,
      ],
      [
        50,
        `[ConcurrencyRetry] updateSession(${MASKED}) - gave up after 3/3 attempts: version conflict (expected 2, found 3)`,
      ],
    ]);
  });

  it('an Azure Functions v3-style context: context.log.warn and context.log.error', async () => {
    const calls: [string, string][] = [];
    const log = Object.assign((line: string) => calls.push(['log', line]), {
      warn: (line: string) => calls.push(['warn', line]),
      error: (line: string) => calls.push(['error', line]),
      info: (line: string) => calls.push(['info', line]),
      verbose: (line: string) => calls.push(['verbose', line]),
    });
    await retryOnceWith({ log });
    expect(calls.map(([level]) => level)).toEqual(['warn', 'warn', 'error']);
  });

  it('a logger with only log() gets every line there', async () => {
    const calls: string[] = [];
    await retryOnceWith({ log: (line: string) => calls.push(line) });
    expect(calls).toHaveLength(3);
    expect(calls.every((line) => line.startsWith('[ConcurrencyRetry]'))).toBe(true);
  });
});

describe('key masking in messages', () => {
  it('hmacKeyMasker refuses a short secret and bad options', () => {
    expect(() => hmacKeyMasker('short')).toThrow(
      'Expected `secret` to be a string or bytes of at least 16 bytes, got 5 bytes. Use e.g. 32 random bytes from your secret store.',
    );
    expect(() => hmacKeyMasker('a test secret of at least 16 bytes', { keepLast: 9 })).toThrow(
      'Expected `keepLast` to be an integer from 0 to 4, got 9.',
    );
    expect(hmacKeyMasker(new Uint8Array(32).fill(7), { keepLast: 0 })(PHONE)).toMatch(/^#[\w-]{12}$/);
  });

  it('a key given as a number is refused without echoing it', async () => {
    const repository = new SessionRepository({ store: await memoryStore() });
    const error = await repository.getSession(5215512345678 as never).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'InvalidArgumentError', argument: 'key' });
    expect(E164_LIKE.test((error as Error).message)).toBe(false);
  });
});
