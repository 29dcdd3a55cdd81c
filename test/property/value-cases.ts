/**
 * Property cases for the values callers pass: keys, data, states, versions, and the masking of keys
 * in what the library reports.
 */
import fc from 'fast-check';
import { it, expect } from 'vitest';
import { SessionRepository, isConcurrencyError, withSessionRetry } from '../../src/index.js';
import type { DialectTarget } from '../conformance/target.js';
import {
  anyData,
  anyKey,
  anyVersion,
  canonicalJson,
  dataIsValid,
  hostileString,
  keyIsValid,
  versionIsValid,
} from './arbitraries.js';
import {
  KEY_ENTRY_POINTS,
  RUNS,
  attempt,
  callWithKey,
  expectRefused,
  snapshot,
  storedKeys,
  unwrap,
} from './support.js';

/** Registers the value cases for `target` (inside its describe block). */
export function defineValueCases(target: DialectTarget): void {
  it('keys: every key-taking entry point round-trips a valid key and refuses any other, writing nothing', async () => {
    const fixture = await target.createFixture();
    await fc.assert(
      fc.asyncProperty(anyKey, fc.constantFrom(...KEY_ENTRY_POINTS), async (key, entry) => {
        const before = await snapshot(fixture);
        const existed = keyIsValid(key) && (await fixture.repository.getSession(key)) !== null;
        const result = await attempt(() => callWithKey(fixture.repository, entry, key));
        if (!keyIsValid(key)) {
          expectRefused(result, /^(key|id)$/);
          expect(await snapshot(fixture)).toBe(before);
          return;
        }
        if (entry === 'updateSession' && !existed) {
          expect((result as { error?: { name?: string } }).error?.name).toBe('SessionNotFoundError');
          expect(await snapshot(fixture)).toBe(before);
          return;
        }
        const value = unwrap(result);
        if (entry === 'getOrCreateSession' || entry === 'withSessionRetry') {
          expect((value as { key: string }).key).toBe(key);
          expect((await fixture.repository.getSession(key))!.key).toBe(key);
          expect(await storedKeys(fixture, key)).toEqual([key]);
        }
        if (entry === 'markProcessed') {
          expect(await fixture.repository.isProcessed(key)).toBe(true);
          expect(await fixture.repository.markProcessed(key)).toBe(false);
        }
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('data: a faithful JSON object round-trips exactly; anything else is refused and nothing is written', async () => {
    const fixture = await target.createFixture();
    const maxDataLength = 4096;
    const repository = new SessionRepository({ store: fixture.store, maxDataLength });
    let counter = 0;
    await fc.assert(
      fc.asyncProperty(
        anyData,
        fc.constantFrom('updateSession', 'getOrCreateSession', 'withSessionRetry'),
        async (data, entry) => {
          const key = `+52155${String(++counter).padStart(8, '0')}`;
          if (entry !== 'getOrCreateSession')
            await repository.getOrCreateSession(key, { state: 'INICIO', data: { before: true } });
          const before = await snapshot(fixture);
          const write = (): Promise<unknown> => {
            if (entry === 'getOrCreateSession')
              return repository.getOrCreateSession(key, { data: data as Record<string, unknown> });
            if (entry === 'updateSession')
              return repository.updateSession(key, { data: data as Record<string, unknown> }, { expectedVersion: 0 });
            return withSessionRetry(repository, key, (session) =>
              repository.updateSession(
                key,
                { data: data as Record<string, unknown> },
                { expectedVersion: session.version },
              ),
            );
          };
          const result = await attempt(write);
          if (!dataIsValid(data, maxDataLength)) {
            expectRefused(result, /^(changes|initial)\.data/);
            expect(await snapshot(fixture)).toBe(before);
            return;
          }
          unwrap(result);
          const stored = await repository.getSession(key);
          expect(canonicalJson(stored!.data)).toBe(canonicalJson(data));
          expect(stored!.version).toBe(entry === 'getOrCreateSession' ? 0 : 1);
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it('data: near the default 1,000,000-character limit, stored whole or refused whole', async () => {
    const fixture = await target.createFixture();
    await fixture.repository.getOrCreateSession('+5215512345678');
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 999_970, max: 1_000_010 }), async (length) => {
        const data = { huge: 'ü'.repeat(length - '{"huge":""}'.length) };
        const before = await snapshot(fixture);
        const current = await fixture.repository.getSession('+5215512345678');
        const result = await attempt(() =>
          fixture.repository.updateSession('+5215512345678', { data }, { expectedVersion: current!.version }),
        );
        if (length > 1_000_000) {
          expectRefused(result, /^changes\.data$/);
          expect(await snapshot(fixture)).toBe(before);
        } else {
          unwrap(result);
          expect(((await fixture.repository.getSession('+5215512345678'))!.data as { huge: string }).huge.length).toBe(
            data.huge.length,
          );
        }
      }),
      { numRuns: 4 },
    );
  });

  it('states: a string or null round-trips; anything else is refused and nothing is written', async () => {
    const fixture = await target.createFixture();
    await fixture.repository.getOrCreateSession('+5215512345678');
    const anyState = fc.oneof(hostileString, fc.constant(null), fc.integer(), fc.constant(undefined), fc.constant({}));
    await fc.assert(
      fc.asyncProperty(anyState, async (state) => {
        const before = await snapshot(fixture);
        const result = await attempt(() =>
          fixture.repository.updateSession('+5215512345678', { state: state as string }),
        );
        const valid =
          state === undefined ||
          state === null ||
          (typeof state === 'string' && state.length <= 255 && !state.includes('\u0000') && state.isWellFormed());
        if (!valid) {
          expectRefused(result, /^changes\.state$/);
          expect(await snapshot(fixture)).toBe(before);
          return;
        }
        unwrap(result);
        const stored = await fixture.repository.getSession('+5215512345678');
        if (state !== undefined) expect(stored!.state).toBe(state);
      }),
      { numRuns: RUNS },
    );
  });

  it('versions: updateSession and deleteSession accept only null or an integer 0…2^31−1, and honour it', async () => {
    const fixture = await target.createFixture();
    let counter = 0;
    await fc.assert(
      fc.asyncProperty(
        anyVersion,
        fc.integer({ min: 0, max: 3 }),
        fc.boolean(),
        async (expectedVersion, bumps, deleting) => {
          const key = `+52155${String(++counter).padStart(8, '0')}`;
          await fixture.repository.getOrCreateSession(key, { data: { n: 0 } });
          for (let version = 0; version < bumps; version++)
            await fixture.repository.updateSession(key, { data: { n: version + 1 } }, { expectedVersion: version });
          const before = await snapshot(fixture);
          const options = { expectedVersion: expectedVersion as number };
          const result = await attempt(() =>
            deleting
              ? fixture.repository.deleteSession(key, options)
              : fixture.repository.updateSession(key, { data: { n: 99 } }, options),
          );
          if (!versionIsValid(expectedVersion)) {
            expectRefused(result, /^options\.expectedVersion$/);
            expect(await snapshot(fixture)).toBe(before);
            return;
          }
          const matches = expectedVersion === null || expectedVersion === undefined || expectedVersion === bumps;
          if (!matches) {
            expect(result.ok).toBe(false);
            expect(isConcurrencyError((result as { error: unknown }).error)).toBe(true);
            expect((result as { error: { actualVersion: number } }).error.actualVersion).toBe(bumps);
            expect(await snapshot(fixture)).toBe(before);
            return;
          }
          unwrap(result);
          const stored = await fixture.repository.getSession(key);
          if (deleting) expect(stored).toBeNull();
          else expect(stored).toMatchObject({ version: bumps + 1, data: { n: 99 } });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('masking: a conflict names the key only masked, whatever the key', async () => {
    const fixture = await target.createFixture();
    const phoneLike = fc.string({ unit: fc.constantFrom(...'+0123456789 abcñ用🙂'), minLength: 9, maxLength: 40 });
    await fc.assert(
      fc.asyncProperty(phoneLike, async (key) => {
        const session = await fixture.repository.getOrCreateSession(key);
        const result = await attempt(() =>
          fixture.repository.updateSession(key, { state: 'X' }, { expectedVersion: session.version + 1 }),
        );
        expect(isConcurrencyError((result as { error: unknown }).error)).toBe(true);
        const error = (result as { error: Error & { maskedKey: string } }).error;
        expect(error.message).not.toContain(key);
        expect(error.message).toContain(error.maskedKey);
        // At most seven characters of the key stay visible, the rest are '*'.
        expect(Array.from(error.maskedKey).filter((character) => character !== '*').length).toBeLessThanOrEqual(7);
        expect(Array.from(error.maskedKey)).toHaveLength(Array.from(key).length);
      }),
      { numRuns: RUNS },
    );
  });
}
