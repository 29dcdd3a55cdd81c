/**
 * Conformance cases of the per-key queue (`perKeyQueue: true`), registered inside each dialect's
 * conformance suite: real databases, real worker threads for the cross-process cases.
 */
import { describe, expect, it } from 'vitest';
import { keyQueueOf } from '../../src/core/repository/key-queue.js';
import type { SessionStore } from '../../src/core/session-store.js';
import { SessionRepository, withSessionRetry, type Session } from '../../src/index.js';
import { suiteLog } from '../support/log-sink.js';
import { runParallel } from '../support/parallel.js';
import type { DialectTarget, Fixture } from './target.js';

const PHONE = '+5215512345678';

type Counter = { counter?: number };

/** The fixture's store with a count of the statements each method sent. */
function countingStore(store: SessionStore): { store: SessionStore; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const counted = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls[String(property)] = (calls[String(property)] ?? 0) + 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: counted, calls };
}

function increment(repository: SessionRepository<Counter>, seen: number[] = []) {
  return async (session: Session<Counter>): Promise<Session<Counter>> => {
    seen.push(session.version);
    await new Promise((resolve) => setImmediate(resolve));
    return repository.updateSession(
      PHONE,
      { data: { counter: (session.data.counter ?? 0) + 1 } },
      { expectedVersion: session.version },
    );
  };
}

async function counterOf(fixture: Fixture): Promise<{ counter: number | undefined; version: number }> {
  const session = (await fixture.repository.getSession(PHONE)) as Session<Counter> | null;
  return { counter: session?.data.counter, version: session!.version };
}

/** Registers the per-key queue cases for `target` (called inside its conformance `describe`). */
export function defineKeyQueueCases(target: DialectTarget): void {
  describe('per-key queue (perKeyQueue: true)', () => {
    it('rejects a non-boolean perKeyQueue with InvalidArgumentError', async () => {
      const fixture = await target.createFixture();
      expect(() => new SessionRepository({ store: fixture.store, perKeyQueue: 'yes' as never })).toThrow(
        expect.objectContaining({ name: 'InvalidArgumentError', argument: 'perKeyQueue' }),
      );
    });

    it('30 concurrent handlers in one process: 30 increments, no conflict, one statement each after the first read', async () => {
      const fixture = await target.createFixture();
      const { store, calls } = countingStore(fixture.store);
      const repository = new SessionRepository<Counter>({ store, logger: suiteLog.logger, perKeyQueue: true });
      const seen: number[] = [];
      let retries = 0;
      const results = await Promise.all(
        Array.from({ length: 30 }, () =>
          withSessionRetry(repository, PHONE, increment(repository, seen), { onRetry: () => retries++ }),
        ),
      );
      expect(results.map((session) => session.version)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i)); // each handler ran once, on the version before it
      expect(retries).toBe(0);
      expect(calls).toEqual({ read: 1, createIfAbsent: 1, update: 30 });
      expect(await counterOf(fixture)).toEqual({ counter: 30, version: 30 });
      expect(keyQueueOf(repository)!.activeKeys).toBe(0); // the entry went when the queue drained
    });

    it('without the queue the same handlers in one process conflict and retry (control)', async () => {
      const fixture = await target.createFixture();
      const repository = new SessionRepository<Counter>({
        store: fixture.store,
        logger: suiteLog.logger,
        perKeyQueue: false,
      });
      let retries = 0;
      await Promise.all(
        Array.from({ length: 10 }, () =>
          withSessionRetry(repository, PHONE, increment(repository), {
            maxAttempts: 100,
            baseDelayMs: 1,
            maxDelayMs: 5,
            onRetry: () => retries++,
          }),
        ),
      );
      expect(retries).toBeGreaterThan(0);
      expect(await counterOf(fixture)).toEqual({ counter: 10, version: 10 });
    });

    it('a write by another instance between the cached read and the write is refused, and the session re-read', async () => {
      const fixture = await target.createFixture();
      const repository = new SessionRepository<Counter>({
        store: fixture.store,
        logger: suiteLog.logger,
        perKeyQueue: true,
      });
      const otherInstance = new SessionRepository<Counter>({
        store: fixture.newStore(fixture.tableOptions as Record<string, unknown>),
        logger: suiteLog.logger,
      });
      const secondSeen: number[] = [];
      let retries = 0;
      const first = withSessionRetry(repository, PHONE, async (session) => {
        const written = await increment(repository)(session);
        // Another instance increments after this process cached version 1 for the queued handler.
        const current = (await otherInstance.getSession(PHONE))!;
        await otherInstance.updateSession(
          PHONE,
          { data: { counter: current.data.counter! + 1 } },
          { expectedVersion: current.version },
        );
        return written;
      });
      const second = withSessionRetry(repository, PHONE, increment(repository, secondSeen), {
        onRetry: () => retries++,
      });
      await Promise.all([first, second]);
      expect(secondSeen).toEqual([1, 2]); // the cached version 1 first, then version 2 read again
      expect(retries).toBe(0); // a stale cache costs a read, not a backoff
      expect(await counterOf(fixture)).toEqual({ counter: 3, version: 3 });
    });

    it('negative control: the same stale cached session written without the version check loses the other write', async () => {
      const fixture = await target.createFixture();
      const repository = new SessionRepository<Counter>({
        store: fixture.store,
        logger: suiteLog.logger,
        perKeyQueue: true,
      });
      const otherInstance = new SessionRepository<Counter>({
        store: fixture.newStore(fixture.tableOptions as Record<string, unknown>),
        logger: suiteLog.logger,
      });
      const first = withSessionRetry(repository, PHONE, async (session) => {
        const written = await increment(repository)(session);
        const current = (await otherInstance.getSession(PHONE))!;
        await otherInstance.updateSession(
          PHONE,
          { data: { counter: current.data.counter! + 1 } },
          { expectedVersion: current.version },
        );
        return written;
      });
      const second = withSessionRetry(repository, PHONE, (session) =>
        repository.updateSession(
          PHONE,
          { data: { counter: (session.data.counter ?? 0) + 1 } },
          { expectedVersion: null },
        ),
      );
      await Promise.all([first, second]);
      expect(await counterOf(fixture)).toEqual({ counter: 2, version: 3 }); // the other instance's increment is gone
    });

    it('an error drops the cached session: the next queued handler reads from the database', async () => {
      const fixture = await target.createFixture();
      const { store, calls } = countingStore(fixture.store);
      const repository = new SessionRepository<Counter>({ store, logger: suiteLog.logger, perKeyQueue: true });
      const failing = withSessionRetry(repository, PHONE, async (session) => {
        await increment(repository)(session);
        throw new Error('handler failed after its write');
      });
      const next = withSessionRetry(repository, PHONE, increment(repository));
      await expect(failing).rejects.toThrow('handler failed after its write');
      await next;
      expect(calls).toEqual({ read: 2, createIfAbsent: 1, update: 2 }); // the second handler read again
      expect(await counterOf(fixture)).toEqual({ counter: 2, version: 2 });
      expect(keyQueueOf(repository)!.activeKeys).toBe(0);
    });

    it('a handler that changes its session in place and writes nothing cannot change the cache', async () => {
      const fixture = await target.createFixture();
      const repository = new SessionRepository<Counter>({
        store: fixture.store,
        logger: suiteLog.logger,
        perKeyQueue: true,
      });
      const first = withSessionRetry(repository, PHONE, increment(repository));
      const meddler = withSessionRetry(repository, PHONE, (session) => {
        session.data.counter = 100;
        return Promise.resolve(session);
      });
      const third = withSessionRetry(repository, PHONE, increment(repository));
      await Promise.all([first, meddler, third]);
      expect(await counterOf(fixture)).toEqual({ counter: 2, version: 2 });
    });

    /** `workers` worker threads (processes' stand-ins), each running `tasks` queued increments at once. */
    async function queuedIncrements(fixture: Fixture, workers: number, tasks: number) {
      await fixture.repository.getOrCreateSession(PHONE, { data: { counter: 0 } });
      const retry = { maxAttempts: 500, baseDelayMs: 1, maxDelayMs: 20 };
      const results = await runParallel({
        connection: fixture.connection,
        workload: 'retryIncrement',
        key: PHONE,
        workers,
        tasksPerWorker: tasks,
        perKeyQueue: true,
        retry,
      });
      expect(results.filter((result) => !result.ok)).toEqual([]);
      return results;
    }

    it('one worker, 20 concurrent handlers: 20 increments, every handler on its first attempt', async () => {
      const fixture = await target.createFixture();
      const results = await queuedIncrements(fixture, 1, 20);
      expect(results.map((result) => [result.attempts, result.retries])).toEqual(Array(20).fill([1, 0]));
      expect(await counterOf(fixture)).toEqual({ counter: 20, version: 20 });
    });

    it('4 workers × 10 handlers with queues: still no lost update across processes', async () => {
      const fixture = await target.createFixture();
      const results = await queuedIncrements(fixture, 4, 10);
      expect(new Set(results.map((result) => result.version)).size).toBe(40);
      expect(await counterOf(fixture)).toEqual({ counter: 40, version: 40 });
    });
  });
}
