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
  });
}
