/**
 * Round trips per message, counted at the driver on the real database: how many statements each way of
 * writing one chat message sends when nothing conflicts. A change that adds a round trip to a path
 * fails here. Times are the bench's business (`npm run bench`); counts are stable, so they are asserted.
 */
import { describe, expect, it } from 'vitest';
import type { Dialect } from '../../src/core/dialect.js';
import { SessionRepository, withSessionRetry } from '../../src/index.js';
import { suiteLog } from '../support/log-sink.js';
import { PHONE } from './shared.js';
import type { DialectTarget } from './target.js';

type Counter = { count?: number };

/** The paths of issue #15, each counted for one uncontended message. */
export interface RoundTrips {
  /** The store's conditional UPDATE alone: what a hand-written statement costs. */
  readonly conditionalUpdate: number;
  /** `updateSession` with the version the caller holds. */
  readonly updateSession: number;
  /** `updateSession` with an idempotency key. */
  readonly updateSessionWithKey: number;
  /** `withSessionRetry`, the session read from the database. */
  readonly withSessionRetry: number;
  /** `withSessionRetry`, the session the per-key queue cached from the previous message of the key. */
  readonly withSessionRetryCached: number;
  /** `withSessionRetry` with an idempotency key, the session read from the database. */
  readonly withSessionRetryKeyed: number;
  /** The same, the per-key queue's cached session. */
  readonly withSessionRetryKeyedCached: number;
  /** A redelivery of a message already applied (keyed): answered as a duplicate. */
  readonly keyedDuplicate: number;
}

/** The counts each dialect is held to. SQL Server has no server here: its batches are pinned as text. */
export const EXPECTED_ROUND_TRIPS: Partial<Record<Dialect, RoundTrips>> = {
  postgres: {
    conditionalUpdate: 1,
    updateSession: 1,
    updateSessionWithKey: 1,
    withSessionRetry: 2,
    withSessionRetryCached: 1,
    withSessionRetryKeyed: 2,
    withSessionRetryKeyedCached: 1,
    keyedDuplicate: 1,
  },
  sqlite: {
    conditionalUpdate: 1,
    updateSession: 1,
    updateSessionWithKey: 4,
    withSessionRetry: 2,
    withSessionRetryCached: 1,
    withSessionRetryKeyed: 5,
    withSessionRetryKeyedCached: 4,
    keyedDuplicate: 1,
  },
  mysql: {
    conditionalUpdate: 4,
    updateSession: 4,
    updateSessionWithKey: 5,
    withSessionRetry: 5,
    withSessionRetryCached: 4,
    withSessionRetryKeyed: 6,
    withSessionRetryKeyedCached: 5,
    keyedDuplicate: 1,
  },
};

const bump = (repository: SessionRepository<Counter>) => (session: { data: Counter; version: number }) =>
  repository.updateSession(
    PHONE,
    { data: { count: (session.data.count ?? 0) + 1 } },
    { expectedVersion: session.version },
  );

export function defineRoundTripCases(target: DialectTarget): void {
  const expected = EXPECTED_ROUND_TRIPS[target.dialect];
  describe('round trips per message (statements counted at the driver)', () => {
    it.skipIf(expected === undefined)(
      `each path sends the pinned number of statements on ${target.dialect}`,
      async () => {
        const fixture = await target.createFixture();
        const counting = fixture.countingStore!();
        const statements = counting.statements;
        const repository = new SessionRepository<Counter>({ store: counting.store, logger: suiteLog.logger });
        const seeded = await repository.getOrCreateSession(PHONE, { state: 'MENU', data: { count: 0 } });
        const measure = async (work: () => Promise<unknown>): Promise<number> => {
          const before = statements.length;
          await work();
          return statements.length - before;
        };
        let version = seeded.version;
        const conditionalUpdate = await measure(async () => {
          const outcome = await counting.store.update(PHONE, { state: 'MENU' }, version);
          expect(outcome.status).toBe('done');
          version++;
        });
        const updateSession = await measure(() =>
          repository.updateSession(PHONE, { state: 'MENU' }, { expectedVersion: version++ }),
        );
        const updateSessionWithKey = await measure(() =>
          repository.updateSession(
            PHONE,
            { state: 'MENU' },
            { expectedVersion: version++, idempotencyKey: 'wamid.rt-0' },
          ),
        );
        const withSessionRetryOnce = await measure(() => withSessionRetry(repository, PHONE, bump(repository)));
        // Two messages of one key queued together: the second is served the session the first wrote.
        const twoQueued = await measure(() =>
          Promise.all([
            withSessionRetry(repository, PHONE, bump(repository)),
            withSessionRetry(repository, PHONE, bump(repository)),
          ]),
        );
        const keyed = (id: string) => withSessionRetry(repository, PHONE, bump(repository), { idempotencyKey: id });
        const keyedFrom = statements.length;
        const withSessionRetryKeyed = await measure(async () => {
          expect((await keyed('wamid.rt-1')).status).toBe('applied');
        });
        const twoKeyedQueued = await measure(async () => {
          const results = await Promise.all([keyed('wamid.rt-2'), keyed('wamid.rt-3')]);
          expect(results.map((result) => result.status)).toEqual(['applied', 'applied']);
        });
        const keyedDuplicate = await measure(async () => {
          expect((await keyed('wamid.rt-1')).status).toBe('duplicate');
        });
        // One key, one shard: every statement of the keyed paths that reads or writes the processed
        // operations finds them by the session key as well as the id, or inserts a row that carries it.
        const processedTable = fixture.names.processedTable;
        const keyedStatements = statements.slice(keyedFrom).filter((text) => text.includes(processedTable));
        expect(keyedStatements.length).toBeGreaterThan(0);
        for (const text of keyedStatements) expect(text).toMatch(/session_key = |\(id, session_key, /);
        const counts: RoundTrips = {
          conditionalUpdate,
          updateSession,
          updateSessionWithKey,
          withSessionRetry: withSessionRetryOnce,
          withSessionRetryCached: twoQueued - withSessionRetryOnce,
          withSessionRetryKeyed,
          withSessionRetryKeyedCached: twoKeyedQueued - withSessionRetryKeyed,
          keyedDuplicate,
        };
        expect(counts).toEqual(expected);
        // Every message above was applied once: 9 writes after the seed, 6 of them counting.
        const stored = await repository.getSessionWithVersion(PHONE);
        expect(stored?.version).toBe(seeded.version + 9);
        expect(stored?.data.count).toBe(6);
      },
    );

    it('a stale cached session on the keyed path ends as a conflict and a re-read: never a lost update', async () => {
      const fixture = await target.createFixture();
      const repository = new SessionRepository<Counter>({ store: fixture.store, logger: suiteLog.logger });
      // Another process's writer: its own repository, so its own per-key queue and no cache shared.
      const other = new SessionRepository<Counter>({
        store: fixture.newStore({ ...fixture.tableOptions }),
        logger: suiteLog.logger,
      });
      await repository.getOrCreateSession(PHONE, { data: { count: 0 } });
      const seen: number[] = [];
      const first = withSessionRetry(
        repository,
        PHONE,
        async (session) => {
          const written = await bump(repository)(session);
          // Lands after this process cached the session it wrote, before the next message reads it.
          const current = await other.getSessionWithVersion(PHONE);
          await other.updateSession(
            PHONE,
            { data: { count: current!.data.count! + 1 } },
            { expectedVersion: current!.version },
          );
          return written;
        },
        { idempotencyKey: 'wamid.stale-1' },
      );
      const second = withSessionRetry(
        repository,
        PHONE,
        (session) => {
          seen.push(session.version);
          return bump(repository)(session);
        },
        { idempotencyKey: 'wamid.stale-2' },
      );
      const results = await Promise.all([first, second]);
      expect(results.map((result) => result.status)).toEqual(['applied', 'applied']);
      // The second handler first got the cached version 1, which the other writer had moved to 2: the
      // write was refused and the session read again (a negative control of the cache: it was used).
      expect(seen).toEqual([1, 2]);
      const stored = await repository.getSessionWithVersion(PHONE);
      expect(stored?.data.count).toBe(3);
      expect(stored?.version).toBe(3);
    });

    it('an id recorded without its session key (markProcessed, or before migration 0007) is still a duplicate: nothing written', async () => {
      const fixture = await target.createFixture();
      const repository = new SessionRepository<Counter>({ store: fixture.store, logger: suiteLog.logger });
      const created = await repository.getOrCreateSession(PHONE, { data: { count: 0 } });
      expect(await repository.markProcessed('wamid.legacy')).toBe(true);
      const result = await withSessionRetry(repository, PHONE, bump(repository), { idempotencyKey: 'wamid.legacy' });
      expect(result.status).toBe('duplicate');
      if (result.status === 'duplicate') expect(result.session).toBeNull();
      const stored = await repository.getSessionWithVersion(PHONE);
      expect(stored?.version).toBe(created.version);
      expect(stored?.data.count).toBe(0);
    });
  });
}
