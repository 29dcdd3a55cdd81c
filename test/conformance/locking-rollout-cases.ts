/**
 * Per-session rollout of the locking modes: a share decided by a stable hash of the key, or a function
 * of the key; the mode each write used in its hooks, log lines and metrics.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ConcurrencyError,
  InvalidArgumentError,
  SessionRepository,
  isDuplicateOperationError,
  type ConflictContext,
  type DuplicateContext,
  type LockingMode,
  type LockingModeOption,
} from '../../src/index.js';
import { E164_LIKE, suiteLog } from '../support/log-sink.js';
import { inMemoryMetrics } from '../support/metrics.js';
import { MASKED, PHONE } from './shared.js';
import type { DialectTarget, Fixture } from './target.js';

/** The documented hash, computed here independently of the library: SHA-256, first 4 bytes, over 2^32. */
function fractionOf(key: string): number {
  return createHash('sha256').update(key, 'utf8').digest().readUInt32BE(0) / 2 ** 32;
}

const POPULATION = Array.from({ length: 400 }, (_, i) => `+52155${String(i).padStart(8, '0')}`);

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

interface Recording {
  repository: SessionRepository;
  conflicts: ConflictContext[];
  duplicates: DuplicateContext[];
  lines: string[];
}

function recordingRepository(fixture: Fixture, lockingMode: LockingModeOption, extra: object = {}): Recording {
  const conflicts: ConflictContext[] = [];
  const duplicates: DuplicateContext[] = [];
  const lines: string[] = [];
  const local = {
    debug: (line: string) => lines.push(line),
    info: (line: string) => lines.push(line),
    warn: (line: string) => lines.push(line),
    error: (line: string) => lines.push(line),
  };
  const repository = new SessionRepository({
    store: fixture.store,
    lockingMode,
    logger: suiteLog.tee(local),
    hooks: { onConflict: (context) => conflicts.push(context), onDuplicate: (context) => duplicates.push(context) },
    ...extra,
  });
  return { repository, conflicts, duplicates, lines };
}

/** Writes over version 0 of `key` (at version 1): `enforce` refuses it, `observe` writes it. */
async function staleWrite(repository: SessionRepository, key: string): Promise<'refused' | 'written'> {
  try {
    await repository.updateSession(key, { state: 'STALE' }, { expectedVersion: 0 });
    return 'written';
  } catch (error) {
    if (error instanceof ConcurrencyError) return 'refused';
    throw error;
  }
}

async function versionOf(fixture: Fixture, key: string): Promise<number | null> {
  return (await fixture.repository.getSession(key))?.version ?? null;
}

export function defineLockingRolloutCases(target: DialectTarget): void {
  describe('lockingMode rollout by session', () => {
    it('the documented hash places keys at fixed fractions (pinned: a change would move chats between modes)', async () => {
      const fixture = await target.createFixture();
      expect(fractionOf(PHONE)).toBeCloseTo(0.461085, 6);
      expect(fractionOf('+5215500000001')).toBeCloseTo(0.29843, 6);
      const half = new SessionRepository({ store: fixture.store, lockingMode: { enforce: 0.46 } });
      expect(half.lockingModeFor(PHONE)).toBe('observe'); // 0.461085 is not below 0.46
      expect(half.lockingModeFor('+5215500000001')).toBe('enforce');
      expect(
        new SessionRepository({ store: fixture.store, lockingMode: { enforce: 0.462 } }).lockingModeFor(PHONE),
      ).toBe('enforce');
      expect(half.lockingMode).toEqual({ enforce: 0.46 });
      expect(Object.isFrozen(half.lockingMode)).toBe(true);
    });

    it('a share { enforce: 0.25 } splits 400 sessions near 25% by the hash, the same in a second repository on another store; hooks, log lines and metrics carry each write’s mode', async () => {
      const fixture = await target.createFixture();
      const metrics = inMemoryMetrics();
      const first = recordingRepository(
        fixture,
        { enforce: 0.25 },
        { metrics: { meterProvider: metrics.meterProvider } },
      );
      for (const key of POPULATION) {
        await fixture.repository.getOrCreateSession(key);
        await fixture.repository.updateSession(key, { state: 'A' }, { expectedVersion: 0 });
      }
      const refusedByFirst: string[] = [];
      for (const key of POPULATION)
        if ((await staleWrite(first.repository, key)) === 'refused') refusedByFirst.push(key);

      const expected = POPULATION.filter((key) => fractionOf(key) < 0.25);
      expect(refusedByFirst).toEqual(expected);
      expect(refusedByFirst.length).toBe(97); // near 400 × 0.25 = 100 (binomial sd ≈ 8.7), and pinned
      // Refused writes left version 1; observed ones were written over it.
      for (const key of POPULATION) expect(await versionOf(fixture, key)).toBe(expected.includes(key) ? 1 : 2);

      // Every stale write was reported with the mode it used.
      expect(first.conflicts).toHaveLength(400);
      for (const conflict of first.conflicts) {
        const mode = expected.includes(conflict.key!) ? 'enforce' : 'observe';
        expect(conflict).toMatchObject({ lockingMode: mode, enforced: mode === 'enforce', expectedVersion: 0 });
      }
      const points = await metrics.collect();
      expect(points.get('versioned_sessions.conflicts')).toEqual(
        expect.arrayContaining([
          { attributes: { operation: 'updateSession', dialect: target.dialect, locking_mode: 'enforce' }, value: 97 },
          { attributes: { operation: 'updateSession', dialect: target.dialect, locking_mode: 'observe' }, value: 303 },
        ]),
      );
      expect(points.get('versioned_sessions.conflicts')).toHaveLength(2);
      await metrics.shutdown();
      expect(first.lines.filter((line) => line.endsWith("Refused: lockingMode is 'enforce'."))).toHaveLength(97);
      expect(first.lines.filter((line) => line.endsWith("Written anyway: lockingMode is 'observe'."))).toHaveLength(
        303,
      );
      expect(first.lines.filter((line) => E164_LIKE.test(line))).toEqual([]);

      // Another repository, on another store over the same table: the same sessions are enforced.
      const second = new SessionRepository({
        store: fixture.newStore({ ...fixture.tableOptions }),
        lockingMode: { enforce: 0.25 },
      });
      const refusedBySecond: string[] = [];
      for (const key of POPULATION) if ((await staleWrite(second, key)) === 'refused') refusedBySecond.push(key);
      expect(refusedBySecond).toEqual(refusedByFirst);
    });

    it('growing the share only moves sessions from observe to enforce: 0 observes all, 1 enforces all', async () => {
      const fixture = await target.createFixture();
      const keys = Array.from({ length: 2000 }, (_, i) => `+52155${String(i).padStart(8, '0')}`);
      const enforcedAt = (share: number): Set<string> => {
        const repository = new SessionRepository({ store: fixture.store, lockingMode: { enforce: share } });
        return new Set(keys.filter((key) => repository.lockingModeFor(key) === 'enforce'));
      };
      const steps = [0, 0.1, 0.25, 0.5, 1].map(enforcedAt);
      // Near each share (binomial sd over 2000 keys: 13 at 0.1, 19 at 0.25, 22 at 0.5), and pinned.
      expect(steps.map((set) => set.size)).toEqual([0, 184, 521, 1022, 2000]);
      for (let i = 1; i < steps.length; i += 1) {
        expect([...steps[i - 1]!].filter((key) => !steps[i]!.has(key))).toEqual([]);
      }
      const none = new SessionRepository({ store: fixture.store, lockingMode: { enforce: 0 } });
      expect(new Set(keys.map((key) => none.lockingModeFor(key)))).toEqual(new Set(['observe']));
    });

    it('a function of the key: enforce, observe and off per session, for updates, deletes and duplicates alike', async () => {
      const fixture = await target.createFixture();
      const [enforced, observed, unchecked] = ['+5215500000011', '+5215500000012', '+5215500000013'];
      const asked: string[] = [];
      const modeOf = (key: string): LockingMode => {
        asked.push(key);
        return key === enforced ? 'enforce' : key === observed ? 'observe' : 'off';
      };
      const metrics = inMemoryMetrics();
      const { repository, conflicts, duplicates } = recordingRepository(fixture, modeOf, {
        metrics: { meterProvider: metrics.meterProvider },
      });
      expect(repository.lockingMode).toBe(modeOf);
      for (const key of [enforced!, observed!, unchecked!]) {
        await repository.getOrCreateSession(key);
        await repository.updateSession(key, { state: 'A' }, { expectedVersion: 0 });
      }
      expect(await staleWrite(repository, enforced!)).toBe('refused');
      expect(await staleWrite(repository, observed!)).toBe('written');
      expect(await staleWrite(repository, unchecked!)).toBe('written');
      expect(asked).toEqual(expect.arrayContaining([enforced, observed, unchecked]));
      expect(conflicts.map((c) => [c.key, c.lockingMode, c.enforced])).toEqual([
        [enforced, 'enforce', true],
        [observed, 'observe', false],
      ]);
      await expect(repository.deleteSession(enforced!, { expectedVersion: 0 })).rejects.toBeInstanceOf(
        ConcurrencyError,
      );
      expect(await repository.deleteSession(observed!, { expectedVersion: 0 })).toBe(true);
      expect(await repository.deleteSession(unchecked!, { expectedVersion: 0 })).toBe(true);
      expect(conflicts.slice(2).map((c) => [c.operation, c.lockingMode])).toEqual([
        ['deleteSession', 'enforce'],
        ['deleteSession', 'observe'],
      ]);
      expect(await versionOf(fixture, enforced!)).toBe(1);

      // A duplicate delivery is reported with the session's mode.
      await repository.getOrCreateSession(observed!);
      await repository.updateSession(observed!, { state: 'PAGADO' }, { idempotencyKey: 'wamid.ROLLOUT1' });
      const again = await repository
        .updateSession(observed!, { state: 'PAGADO' }, { idempotencyKey: 'wamid.ROLLOUT1' })
        .catch((error: unknown) => error);
      expect(isDuplicateOperationError(again)).toBe(true);
      expect(duplicates.map((d) => [d.key, d.lockingMode])).toEqual([[observed, 'observe']]);
      const points = await metrics.collect();
      expect(points.get('versioned_sessions.duplicates')).toEqual([
        { attributes: { operation: 'updateSession', dialect: target.dialect, locking_mode: 'observe' }, value: 1 },
      ]);
      await metrics.shutdown();
    });

    it('a function that returns no mode is an InvalidArgumentError naming lockingMode, before any statement', async () => {
      const fixture = await target.createFixture();
      await fixture.repository.getOrCreateSession(PHONE);
      await fixture.repository.updateSession(PHONE, { state: 'A' }, { expectedVersion: 0 });
      for (const result of ['shadow', undefined, 1, Promise.resolve('enforce')]) {
        const repository = new SessionRepository({
          store: fixture.store,
          lockingMode: (() => result) as unknown as (key: string) => LockingMode,
        });
        const writes = [
          () => repository.updateSession(PHONE, { state: 'B' }, { expectedVersion: 1 }),
          () => repository.updateSession(PHONE, { state: 'B' }, { expectedVersion: 1, idempotencyKey: 'wamid.BAD1' }),
          () => repository.deleteSession(PHONE, { expectedVersion: 1 }),
        ];
        for (const write of writes) {
          const error = await write().catch((e: unknown) => e);
          expect(error).toBeInstanceOf(InvalidArgumentError);
          expect(error).toMatchObject({ argument: 'lockingMode' });
          expect((error as Error).message).toContain(`for ${MASKED}.`);
          expect((error as Error).message).not.toContain(PHONE);
        }
        expect(caught(() => repository.lockingModeFor(PHONE))).toBeInstanceOf(InvalidArgumentError);
      }
      expect(await fixture.repository.getSession(PHONE)).toMatchObject({ state: 'A', version: 1 });
      expect(await fixture.repository.isProcessed('wamid.BAD1')).toBe(false);
    });

    it('bad shares are refused at construction with an InvalidArgumentError naming the argument', async () => {
      const fixture = await target.createFixture();
      const cases: [unknown, string][] = [
        [{ enforce: -0.01 }, 'lockingMode.enforce'],
        [{ enforce: 1.01 }, 'lockingMode.enforce'],
        [{ enforce: Number.NaN }, 'lockingMode.enforce'],
        [{ enforce: Number.POSITIVE_INFINITY }, 'lockingMode.enforce'],
        [{ enforce: '0.1' }, 'lockingMode.enforce'],
        [{}, 'lockingMode.enforce'],
        [{ enforce: 0.1, observe: 0.5 }, 'lockingMode.observe'],
        [{ observe: 0.1 }, 'lockingMode.observe'],
        [[0.1], 'lockingMode'],
        [null, 'lockingMode'],
      ];
      for (const [lockingMode, argument] of cases) {
        const error = caught(
          () => new SessionRepository({ store: fixture.store, lockingMode: lockingMode as LockingModeOption }),
        );
        expect(error, JSON.stringify(lockingMode)).toBeInstanceOf(InvalidArgumentError);
        expect(error).toMatchObject({ argument });
      }
      expect(
        (caught(() => new SessionRepository({ store: fixture.store, lockingMode: { enforce: 2 } })) as Error).message,
      ).toContain('to be a finite number from 0 to 1');
    });
  });
}
