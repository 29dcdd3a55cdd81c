/** Real parallel workers on one key, and withSessionRetry against the database. */
import { describe, expect, it } from 'vitest';
import { SessionNotFoundError, SessionRepository, withSessionRetry } from '../../src/index.js';
import { suiteLog } from '../support/log-sink.js';
import { runParallel } from '../support/parallel.js';
import { MASKED, PHONE, rowCount, type Counter } from './shared.js';
import type { DialectTarget } from './target.js';

export function defineConcurrencyCases(target: DialectTarget): void {
  describe('concurrency with real parallel workers', () => {
    it('getOrCreateSession: 20 concurrent callers for a new key get one row at version 0', async () => {
      const fixture = await target.createFixture();
      const results = await runParallel({
        connection: fixture.connection,
        workload: 'getOrCreate',
        key: PHONE,
        workers: 4,
        tasksPerWorker: 5,
      });
      expect(results.filter((result) => !result.ok)).toEqual([]);
      expect(results.map((result) => result.version)).toEqual(Array(20).fill(0));
      expect(new Set(results.map((result) => result.createdAt)).size).toBe(1);
      expect(await rowCount(fixture)).toBe(1);
    });

    it('50 concurrent withSessionRetry increments on one key → counter 50, version 50', async () => {
      const fixture = await target.createFixture();
      await fixture.repository.getOrCreateSession(PHONE, { data: { counter: 0 } });
      const results = await runParallel({
        connection: fixture.connection,
        workload: 'retryIncrement',
        key: PHONE,
        workers: 5,
        tasksPerWorker: 10,
        retry: { maxAttempts: 500, baseDelayMs: 1, maxDelayMs: 20 },
      });
      expect(results.filter((result) => !result.ok)).toEqual([]);
      const final = await fixture.repository.getSession(PHONE);
      expect(final).toMatchObject({ data: { counter: 50 }, version: 50 });
      expect(new Set(results.map((result) => result.version)).size).toBe(50);
      const attempts = results.reduce((sum, result) => sum + result.attempts!, 0);
      expect(attempts).toBeGreaterThan(50); // the workers really collided and retried
    });

    it('negative control: the same workload read-then-write without the version check loses updates', async () => {
      const fixture = await target.createFixture();
      await fixture.repository.getOrCreateSession(PHONE, { data: { counter: 0 } });
      const results = await runParallel({
        connection: fixture.connection,
        workload: 'naiveIncrement',
        key: PHONE,
        workers: 5,
        tasksPerWorker: 10,
      });
      expect(results.filter((result) => !result.ok)).toEqual([]);
      const final = (await fixture.repository.getSession(PHONE)) as { data: Counter; version: number } | null;
      expect(final!.version).toBe(50);
      expect(final!.data.counter).toBeLessThan(50);
    });

    it('20 concurrent updates with the same expectedVersion → exactly one wins, 19 ConcurrencyErrors', async () => {
      const fixture = await target.createFixture();
      await fixture.repository.getOrCreateSession(PHONE);
      await fixture.repository.updateSession(PHONE, { state: 'INICIO' }, { expectedVersion: 0 });
      const results = await runParallel({
        connection: fixture.connection,
        workload: 'sameVersion',
        key: PHONE,
        workers: 4,
        tasksPerWorker: 5,
        expectedVersion: 1,
      });
      const winners = results.filter((result) => result.ok);
      const losers = results.filter((result) => !result.ok);
      expect(winners).toHaveLength(1);
      expect(winners[0]!.version).toBe(2);
      expect(losers).toHaveLength(19);
      for (const loser of losers) {
        expect(loser.error).toMatchObject({
          name: 'ConcurrencyError',
          isConcurrencyError: true,
          expectedVersion: 1,
          actualVersion: 2,
          operation: 'updateSession',
        });
      }
      expect(await fixture.repository.getSession(PHONE)).toMatchObject({ version: 2 });
    });
  });

  describe('withSessionRetry against the database', () => {
    it('re-reads and re-runs after a conflict, logging the masked key', async () => {
      const fixture = await target.createFixture();
      const lines: string[] = [];
      const sink = { warn: (line: string) => lines.push(line), error: (line: string) => lines.push(line) };
      const repository = new SessionRepository<Counter>({ store: fixture.store, logger: suiteLog.tee(sink) });
      await repository.getOrCreateSession(PHONE, { data: { counter: 0 } });
      const seen: number[] = [];
      const result = await withSessionRetry(
        repository,
        PHONE,
        async (session) => {
          seen.push(session.version);
          if (seen.length === 1) {
            // Another instance writes between this handler's read and its write.
            await repository.updateSession(PHONE, { data: { counter: 10 } });
          }
          return repository.updateSession(
            PHONE,
            { data: { counter: (session.data.counter ?? 0) + 1 } },
            { expectedVersion: session.version },
          );
        },
        { random: () => 0 },
      );
      expect(seen).toEqual([0, 1]);
      expect(result).toMatchObject({ data: { counter: 11 }, version: 2 });
      expect(lines).toEqual([
        `[ConcurrencyRetry] updateSession(${MASKED}) - attempt 1/10 failed: version conflict (expected 0, found 1), retrying in 50ms`,
      ]);
    });

    it('throws the last ConcurrencyError unchanged after the last attempt', async () => {
      const fixture = await target.createFixture();
      const lines: string[] = [];
      const repository = new SessionRepository({
        store: fixture.store,
        logger: suiteLog.tee({ warn: (l: string) => lines.push(l), error: (l: string) => lines.push(l) }),
      });
      let calls = 0;
      const thrown: unknown[] = [];
      const error = await withSessionRetry(
        repository,
        PHONE,
        async (session) => {
          calls++;
          await repository.updateSession(PHONE, { state: `INTRUSO_${calls}` });
          return repository
            .updateSession(PHONE, { state: 'MIO' }, { expectedVersion: session.version })
            .catch((e: unknown) => {
              thrown.push(e);
              throw e;
            });
        },
        { baseDelayMs: 1, maxAttempts: 3 },
      ).catch((e: unknown) => e);
      expect(calls).toBe(3);
      expect(error).toBe(thrown[2]);
      expect(error).toMatchObject({ name: 'ConcurrencyError', expectedVersion: 2, actualVersion: 3 });
      expect(lines).toHaveLength(3);
      expect(lines[2]).toBe(
        `[ConcurrencyRetry] updateSession(${MASKED}) - gave up after 3/3 attempts: version conflict (expected 2, found 3)`,
      );
    });

    it('with createIfMissing false, a missing session is a SessionNotFoundError and nothing is created', async () => {
      const fixture = await target.createFixture();
      const error = await withSessionRetry(fixture.repository, PHONE, async () => 'never', {
        createIfMissing: false,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SessionNotFoundError);
      expect(await rowCount(fixture)).toBe(0);
    });
  });
}
