/** Hooks, diagnostics channels, OpenTelemetry metrics and logging, seen through real conflicts. */
import { InvocationContext } from '@azure/functions';
import type { Histogram } from '@opentelemetry/sdk-metrics';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import {
  ConcurrencyError,
  SessionRepository,
  type SessionRepositoryOptions,
  diagnosticsChannels,
  hmacKeyMasker,
  isDuplicateOperationError,
  withSessionRetry,
  type SessionEventContext,
  type SessionHooks,
} from '../../src/index.js';
import { E164_LIKE, suiteLog } from '../support/log-sink.js';
import { inMemoryMetrics } from '../support/metrics.js';
import { MASKED, PHONE } from './shared.js';
import type { DialectTarget, Fixture } from './target.js';

type Recorded = { hook: string; context: SessionEventContext };

function recordingHooks(into: Recorded[], tag = ''): SessionHooks {
  const push = (hook: string) => (context: SessionEventContext) => into.push({ hook: `${tag}${hook}`, context });
  return {
    onConflict: push('onConflict'),
    onRetry: push('onRetry'),
    onExhausted: push('onExhausted'),
    onDuplicate: push('onDuplicate'),
  };
}

/** Runs withSessionRetry where another writer always gets in first: every attempt conflicts. */
async function alwaysLosing(
  repository: SessionRepository,
  options: Parameters<typeof withSessionRetry>[3] = {},
): Promise<unknown> {
  return withSessionRetry(
    repository,
    PHONE,
    async (session) => {
      await repository.updateSession(PHONE, { state: `INTRUSO_${session.version}` });
      return repository.updateSession(PHONE, { state: 'MIO' }, { expectedVersion: session.version });
    },
    // Three attempts unless told otherwise: the counts the cases assert.
    { baseDelayMs: 1, jitter: 'none', maxAttempts: 3, ...options },
  ).catch((error: unknown) => error);
}

function repositoryWith(fixture: Fixture, options: Partial<SessionRepositoryOptions>): SessionRepository {
  return new SessionRepository({ store: fixture.store, logger: suiteLog.logger, ...options });
}

export function defineObservabilityCases(target: DialectTarget): void {
  describe('observability', () => {
    it('onConflict gets a frozen context with masked key, versions and timing; the channel gets the same object', async () => {
      const fixture = await target.createFixture();
      const recorded: Recorded[] = [];
      const repository = repositoryWith(fixture, { hooks: recordingHooks(recorded) });
      const published: unknown[] = [];
      const listener = (message: unknown): void => {
        published.push(message);
      };
      await repository.getOrCreateSession(PHONE);
      await repository.updateSession(PHONE, { state: 'A' }, { expectedVersion: 0 });
      subscribe(diagnosticsChannels.conflict, listener);
      try {
        await expect(repository.updateSession(PHONE, { state: 'B' }, { expectedVersion: 0 })).rejects.toBeInstanceOf(
          ConcurrencyError,
        );
        await expect(repository.deleteSession(PHONE, { expectedVersion: 0 })).rejects.toBeInstanceOf(ConcurrencyError);
      } finally {
        unsubscribe(diagnosticsChannels.conflict, listener);
      }
      expect(recorded.map((entry) => entry.hook)).toEqual(['onConflict', 'onConflict']);
      const [update, remove] = recorded.map((entry) => entry.context);
      expect(update).toEqual({
        event: 'conflict',
        operation: 'updateSession',
        key: PHONE,
        maskedKey: MASKED,
        dialect: target.dialect,
        attempt: 1,
        maxAttempts: 1,
        delayMs: 0,
        expectedVersion: 0,
        actualVersion: 1,
        elapsedMs: expect.any(Number),
        lockingMode: 'enforce',
        enforced: true,
      });
      expect(update!.elapsedMs).toBeGreaterThanOrEqual(0);
      expect(Object.isFrozen(update)).toBe(true);
      expect(remove).toMatchObject({ operation: 'deleteSession', expectedVersion: 0, actualVersion: 1 });
      expect(published).toHaveLength(2);
      expect(published[0]).toBe(update);
      expect(published[1]).toBe(remove);
    });

    it('withSessionRetry reports each conflict, retry and the exhaustion with attempt, wait and versions', async () => {
      const fixture = await target.createFixture();
      const recorded: Recorded[] = [];
      const repository = repositoryWith(fixture, { hooks: recordingHooks(recorded) });
      const channelMessages: string[] = [];
      const listeners = Object.entries(diagnosticsChannels).map(([event, name]) => {
        const listener = (): void => {
          channelMessages.push(event);
        };
        subscribe(name, listener);
        return () => unsubscribe(name, listener);
      });
      const error = await alwaysLosing(repository, { hooks: recordingHooks(recorded, 'call.') }).finally(() =>
        listeners.forEach((stop) => stop()),
      );
      expect(error).toMatchObject({ name: 'ConcurrencyError', expectedVersion: 2, actualVersion: 3 });
      const summary = recorded.map(({ hook, context }) => [
        hook,
        context.attempt,
        context.maxAttempts,
        context.delayMs,
        context.expectedVersion,
        context.actualVersion,
      ]);
      expect(summary).toEqual([
        ['onConflict', 1, 3, 0, 0, 1],
        ['onRetry', 1, 3, 1, 0, 1],
        ['call.onRetry', 1, 3, 1, 0, 1],
        ['onConflict', 2, 3, 0, 1, 2],
        ['onRetry', 2, 3, 2, 1, 2],
        ['call.onRetry', 2, 3, 2, 1, 2],
        ['onConflict', 3, 3, 0, 2, 3],
        ['onExhausted', 3, 3, 0, 2, 3],
        ['call.onExhausted', 3, 3, 0, 2, 3],
      ]);
      const exhausted = recorded.find((entry) => entry.hook === 'onExhausted')!.context as SessionEventContext & {
        error: unknown;
      };
      expect(exhausted.error).toBe(error);
      expect(exhausted).toMatchObject({
        operation: 'updateSession',
        key: PHONE,
        maskedKey: MASKED,
        dialect: target.dialect,
      });
      // Elapsed time runs from the start of the retry loop, so it never goes down.
      const elapsed = recorded.map((entry) => entry.context.elapsedMs);
      expect(elapsed).toEqual([...elapsed].sort((a, b) => a - b));
      expect(channelMessages).toEqual(['conflict', 'retry', 'conflict', 'retry', 'conflict', 'exhausted']);
    });

    it('counts conflicts, retries, exhausted retries and attempts in OpenTelemetry, by operation and dialect only', async () => {
      const fixture = await target.createFixture();
      const metrics = inMemoryMetrics();
      const repository = repositoryWith(fixture, { metrics: { meterProvider: metrics.meterProvider } });
      await repository.getOrCreateSession(PHONE, { data: { n: 0 } });
      await alwaysLosing(repository); // 3 conflicts, 2 retries, 1 exhausted, 3 attempts
      let first = true;
      await withSessionRetry(
        repository,
        PHONE,
        async (session) => {
          if (first) {
            first = false;
            await repository.updateSession(PHONE, { state: 'INTRUSO' });
          }
          return repository.updateSession(PHONE, { state: 'MIO' }, { expectedVersion: session.version });
        },
        { baseDelayMs: 1 },
      ); // 1 conflict, 1 retry, 2 attempts
      const points = await metrics.collect();
      const attributes = { operation: 'updateSession', dialect: target.dialect };
      expect(points.get('versioned_sessions.conflicts')).toEqual([
        { attributes: { ...attributes, locking_mode: 'enforce' }, value: 4 },
      ]);
      expect(points.get('versioned_sessions.retries')).toEqual([{ attributes, value: 3 }]);
      expect(points.get('versioned_sessions.retries.exhausted')).toEqual([{ attributes, value: 1 }]);
      const attempts = points.get('versioned_sessions.attempts')!;
      expect(attempts.map((point) => point.attributes)).toEqual([attributes]);
      const histogram = attempts[0]!.value as Histogram;
      expect({ count: histogram.count, sum: histogram.sum, min: histogram.min, max: histogram.max }).toEqual({
        count: 2,
        sum: 5,
        min: 2,
        max: 3,
      });
      expect(histogram.buckets.boundaries.slice(0, 3)).toEqual([1, 2, 3]);
      const everyValue = [...points.values()].flat().flatMap((point) => Object.values(point.attributes).map(String));
      expect(everyValue.filter((value) => E164_LIKE.test(value) || value.includes('5678'))).toEqual([]);
      await metrics.shutdown();
    });

    it('a repeated idempotency key reaches onDuplicate and the duplicates counter, from updateSession and withSessionRetry', async () => {
      const fixture = await target.createFixture();
      const recorded: Recorded[] = [];
      const metrics = inMemoryMetrics();
      const repository = repositoryWith(fixture, {
        hooks: recordingHooks(recorded),
        metrics: { meterProvider: metrics.meterProvider },
      });
      await repository.getOrCreateSession(PHONE);
      await repository.updateSession(PHONE, { state: 'PAGADO' }, { expectedVersion: 0, idempotencyKey: 'wamid.PAGO1' });
      const error = await repository
        .updateSession(PHONE, { state: 'PAGADO' }, { expectedVersion: 0, idempotencyKey: 'wamid.PAGO1' })
        .catch((e: unknown) => e);
      expect(isDuplicateOperationError(error)).toBe(true);
      const result = await withSessionRetry(repository, PHONE, async () => 'never', { idempotencyKey: 'wamid.PAGO1' });
      expect(result).toMatchObject({ status: 'duplicate', committedVersion: 1 });
      expect(
        recorded.map(({ hook, context }) => [hook, context.operation, context.expectedVersion, context.actualVersion]),
      ).toEqual([
        ['onDuplicate', 'updateSession', 0, 1],
        ['onDuplicate', 'withSessionRetry', null, 1],
      ]);
      expect(recorded[0]!.context).toMatchObject({
        event: 'duplicate',
        key: PHONE,
        maskedKey: MASKED,
        idempotencyKey: 'wamid.PAGO1',
        dialect: target.dialect,
        lockingMode: 'enforce',
      });
      expect(Object.isFrozen(recorded[0]!.context)).toBe(true);
      const points = await metrics.collect();
      expect(points.get('versioned_sessions.duplicates')).toEqual([
        { attributes: { operation: 'updateSession', dialect: target.dialect, locking_mode: 'enforce' }, value: 1 },
        { attributes: { operation: 'withSessionRetry', dialect: target.dialect, locking_mode: 'enforce' }, value: 1 },
      ]);
      expect(await repository.getSession(PHONE)).toMatchObject({ state: 'PAGADO', version: 1 });
      await metrics.shutdown();
    });

    it('a hook that throws or rejects is logged by name only and changes no outcome', async () => {
      const fixture = await target.createFixture();
      const lines: string[] = [];
      const repository = new SessionRepository({
        store: fixture.store,
        logger: suiteLog.tee({ error: (line: string) => lines.push(line) }),
        hooks: {
          onConflict: (context) => {
            throw new TypeError(`boom for ${context.key}`);
          },
          onRetry: (context) => Promise.reject(new RangeError(`later for ${context.key}`)),
        },
      });
      await repository.getOrCreateSession(PHONE);
      const error = await alwaysLosing(repository, { maxAttempts: 2 });
      expect(error).toMatchObject({ name: 'ConcurrencyError', expectedVersion: 1, actualVersion: 2 });
      await new Promise((resolve) => setImmediate(resolve));
      expect(lines).toEqual(
        expect.arrayContaining([
          "[versioned-sessions] the onConflict hook failed (TypeError); the operation's outcome is unchanged.",
          "[versioned-sessions] the onRetry hook failed (RangeError); the operation's outcome is unchanged.",
          `[ConcurrencyRetry] updateSession(${MASKED}) - gave up after 2/2 attempts: version conflict (expected 1, found 2)`,
        ]),
      );
      expect(lines.filter((line) => line.includes('onConflict'))).toHaveLength(2);
      expect(await repository.getSession(PHONE)).toMatchObject({ state: 'INTRUSO_1', version: 2 });
    });

    it('logs through a real Azure Functions v4 InvocationContext at the right levels, with the greppable words', async () => {
      const fixture = await target.createFixture();
      const logged: [string, string][] = [];
      const context = new InvocationContext({
        functionName: 'onMessage',
        logHandler: (level, ...args) => {
          logged.push([level, String(args[0])]);
          suiteLog.add([{ level, line: String(args[0]) }]);
        },
      });
      const repository = new SessionRepository({ store: fixture.store, logger: context });
      await repository.getOrCreateSession(PHONE);
      await alwaysLosing(repository, { maxAttempts: 2 });
      expect(logged).toEqual([
        [
          'debug',
          expect.stringMatching(
            new RegExp(
              `^\\[ConcurrencyError\\] Concurrency conflict detected for \\+52\\*+5678\\. Expected version: 0\\.`,
            ),
          ),
        ],
        [
          'warning',
          `[ConcurrencyRetry] updateSession(${MASKED}) - attempt 1/2 failed: version conflict (expected 0, found 1), retrying in 1ms`,
        ],
        [
          'debug',
          expect.stringContaining(
            '[ConcurrencyError] Concurrency conflict detected for +52*******5678. Expected version: 1.',
          ),
        ],
        [
          'error',
          `[ConcurrencyRetry] updateSession(${MASKED}) - gave up after 2/2 attempts: version conflict (expected 1, found 2)`,
        ],
      ]);
    });

    it('hmacKeyMasker: errors, log lines and contexts carry the same correlatable digest, never the number', async () => {
      const fixture = await target.createFixture();
      const masker = hmacKeyMasker('a test secret of at least 16 bytes');
      const recorded: Recorded[] = [];
      const lines: string[] = [];
      const repository = new SessionRepository({
        store: fixture.store,
        maskKey: masker,
        hooks: recordingHooks(recorded),
        logger: suiteLog.tee({ warn: (line: string) => lines.push(line), error: (line: string) => lines.push(line) }),
      });
      await repository.getOrCreateSession(PHONE);
      const error = (await alwaysLosing(repository, { maxAttempts: 2 })) as ConcurrencyError;
      const masked = masker(PHONE);
      expect(masked).toMatch(/^#[\w-]{12}~5678$/);
      expect(masked).toBe(hmacKeyMasker('a test secret of at least 16 bytes')(PHONE));
      expect(masked).not.toBe(hmacKeyMasker('another secret, also 16+ bytes')(PHONE));
      expect(masked).not.toBe(masker('+5215599995678'));
      expect(error.message.startsWith(`Concurrency conflict detected for ${masked}. Expected version: 1.`)).toBe(true);
      expect(lines).toEqual([
        `[ConcurrencyRetry] updateSession(${masked}) - attempt 1/2 failed: version conflict (expected 0, found 1), retrying in 1ms`,
        `[ConcurrencyRetry] updateSession(${masked}) - gave up after 2/2 attempts: version conflict (expected 1, found 2)`,
      ]);
      expect(new Set(recorded.map((entry) => entry.context.maskedKey))).toEqual(new Set([masked]));
    });

    it('negative control: with an identity masker the raw number reaches the log, and the PII check sees it', async () => {
      const fixture = await target.createFixture();
      const leaked: string[] = []; // deliberately not the suite's sink
      const repository = new SessionRepository({
        store: fixture.store,
        maskKey: (key) => key,
        logger: { warn: (line: string) => leaked.push(line) },
      });
      await repository.getOrCreateSession(PHONE);
      await alwaysLosing(repository, { maxAttempts: 2 });
      expect(leaked.filter((line) => E164_LIKE.test(line))).toEqual([
        `[ConcurrencyRetry] updateSession(${PHONE}) - attempt 1/2 failed: version conflict (expected 0, found 1), retrying in 1ms`,
      ]);
    });
  });
}
