/**
 * The rollout modes: how a repository's writes treat `expectedVersion`. `enforce` is the conditional
 * write; `observe` writes unconditionally but learns, from the write itself, whether the version it
 * replaced was the expected one; `off` ignores `expectedVersion`. The option may also give each session
 * its own mode: a share enforced by a stable hash of the key, or a function of the key.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { describeValue, invalidArgument } from '../validate.js';
import type { SessionRecord, SessionStore, StoredChanges, WriteOutcome } from '../session-store.js';

/**
 * How a repository treats `expectedVersion`, for rolling optimistic locking out gradually.
 * - `enforce`: a stale version is refused with a `ConcurrencyError` (the default).
 * - `observe`: every write goes through as unversioned code would, but each write whose
 *   `expectedVersion` was stale is reported (hooks, logs, metrics, diagnostics channel), so the
 *   conflict rate can be measured in production before enforcing.
 * - `off`: `expectedVersion` is ignored entirely; nothing is detected.
 *
 * @example
 * ```ts
 * const lockingMode: LockingMode = process.env.SESSION_LOCKING === 'enforce' ? 'enforce' : 'observe';
 * new SessionRepository({ store, lockingMode });
 * ```
 */
export type LockingMode = 'enforce' | 'observe' | 'off';

/**
 * A share of sessions whose writes are enforced; every other session's writes are observed. Which
 * sessions are in the share is decided by a fixed hash of the key, the same in every process and
 * release: the first four bytes of the SHA-256 of the key's UTF-8 bytes, read as a big-endian
 * unsigned integer and divided by 2^32, give the key a fraction in [0, 1); the key is enforced when
 * its fraction is below `enforce`. So a chat keeps its mode while the share stays, and growing the
 * share only moves chats from `observe` to `enforce`, never back.
 *
 * @example
 * ```ts
 * new SessionRepository({ store, lockingMode: { enforce: 0.1 } }); // 10% of chats enforced, the rest observed
 * ```
 */
export interface LockingModeShare {
  /** The share of sessions enforced, from 0 (none: all observed) to 1 (all). */
  readonly enforce: number;
}

/**
 * What the `lockingMode` option accepts: one mode for every session, a {@link LockingModeShare}, or a
 * function of the session key (called before each write; it must return a {@link LockingMode}
 * synchronously).
 *
 * @example
 * ```ts
 * const pilot = new Set(['+5215512345678']);
 * const lockingMode: LockingModeOption = (key) => (pilot.has(key) ? 'enforce' : 'observe');
 * new SessionRepository({ store, lockingMode });
 * ```
 */
export type LockingModeOption = LockingMode | LockingModeShare | ((key: string) => LockingMode);

const LOCKING_MODES: readonly LockingMode[] = ['enforce', 'observe', 'off'];
const MODE_LIST = LOCKING_MODES.map((mode) => `'${mode}'`).join(', ');

/**
 * The key's place in a {@link LockingModeShare}: the first four bytes of SHA-256(key as UTF-8), big
 * endian, divided by 2^32. Fixed forever: changing it would move chats between modes on upgrade.
 */
export function rolloutFraction(key: string): number {
  return createHash('sha256').update(key, 'utf8').digest().readUInt32BE(0) / 2 ** 32;
}

/** The `lockingMode` option, checked, and the mode it gives each key. */
export interface LockingModeRule {
  /** The option as given (a share is copied and frozen). */
  readonly option: LockingModeOption;
  /** The mode of `key`'s writes; throws `InvalidArgumentError` when a mode function returns no mode. */
  modeFor(key: string, maskedKey: () => string): LockingMode;
}

function canObserve(store: SessionStore): boolean {
  return typeof store.updateObserved === 'function' && typeof store.deleteObserved === 'function';
}

function observeNeeded(): Error {
  return invalidArgument(
    'lockingMode',
    "be 'observe' only with a store that has updateObserved() and deleteObserved()",
    "'observe' (or a share below 1) with a store that lacks them",
    { hint: "The library's stores have them." },
  );
}

function checkedShare(value: object, store: SessionStore): LockingModeShare {
  for (const field of Object.keys(value)) {
    if (field !== 'enforce') {
      throw invalidArgument(`lockingMode.${field}`, 'be left out', 'a value', {
        hint: 'A share is { enforce: n }: the share of sessions enforced (the rest are observed).',
      });
    }
  }
  const share = (value as { enforce?: unknown }).enforce;
  if (typeof share !== 'number' || !Number.isFinite(share) || share < 0 || share > 1) {
    throw invalidArgument(
      'lockingMode.enforce',
      'be a finite number from 0 to 1 (0.1 enforces 10% of sessions)',
      describeValue(share, { showNumber: true }),
    );
  }
  if (share < 1 && !canObserve(store)) throw observeNeeded();
  return Object.freeze({ enforce: share });
}

/**
 * Checks the `lockingMode` option: a mode, a share or a function. `observe` needs a store that can
 * report the version it replaced; a function's results are checked on each write, before any statement.
 */
export function resolveLockingMode(value: unknown, store: SessionStore): LockingModeRule {
  if (value === undefined) return { option: 'enforce', modeFor: () => 'enforce' };
  if (typeof value === 'function') {
    const modeOf = value as (key: string) => unknown;
    return {
      option: modeOf as (key: string) => LockingMode,
      modeFor: (key, maskedKey) => {
        const mode = modeOf(key);
        if (!LOCKING_MODES.includes(mode as LockingMode)) {
          throw invalidArgument(
            'lockingMode',
            `return one of ${MODE_LIST} for every key`,
            `${describeValue(mode)} for ${maskedKey()}`,
          );
        }
        if (mode === 'observe' && !canObserve(store)) throw observeNeeded();
        return mode as LockingMode;
      },
    };
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const share = checkedShare(value, store);
    return { option: share, modeFor: (key) => (rolloutFraction(key) < share.enforce ? 'enforce' : 'observe') };
  }
  if (!LOCKING_MODES.includes(value as LockingMode)) {
    throw invalidArgument(
      'lockingMode',
      `be one of ${MODE_LIST}, a share such as { enforce: 0.1 }, or a function from key to mode`,
      describeValue(value),
    );
  }
  if (value === 'observe' && !canObserve(store)) throw observeNeeded();
  const mode = value as LockingMode;
  return { option: mode, modeFor: () => mode };
}

/** A conflict seen in `observe` mode: the write went through over `actualVersion`. */
export interface ObservedConflict {
  readonly expectedVersion: number;
  readonly actualVersion: number;
}

/** A write's outcome, plus the conflict it went through in `observe` mode, if any. */
export type ModeWriteOutcome<T> = { readonly outcome: WriteOutcome<T>; readonly observed: ObservedConflict | null };

function observedConflict(expectedVersion: number, previousVersion: number): ObservedConflict | null {
  return previousVersion === expectedVersion ? null : { expectedVersion, actualVersion: previousVersion };
}

/** Updates as the mode says. In `observe` the write is unconditional and the conflict, if any, is returned. */
export async function updateInMode(
  mode: LockingMode,
  store: SessionStore,
  key: string,
  changes: StoredChanges,
  expectedVersion: number | null,
  transaction?: unknown,
): Promise<ModeWriteOutcome<SessionRecord>> {
  if (mode === 'enforce')
    return { outcome: await store.update(key, changes, expectedVersion, transaction), observed: null };
  if (mode === 'off' || expectedVersion === null)
    return { outcome: await store.update(key, changes, null, transaction), observed: null };
  const written = await store.updateObserved!(key, changes, transaction);
  if (written.status === 'missing') return { outcome: written, observed: null };
  return {
    outcome: { status: 'done', value: written.value },
    observed: observedConflict(expectedVersion, written.previousVersion),
  };
}

/** Deletes as the mode says; `off` and `observe` delete unconditionally. */
export async function deleteInMode(
  mode: LockingMode,
  store: SessionStore,
  key: string,
  expectedVersion: number | null,
): Promise<ModeWriteOutcome<true>> {
  if (mode === 'enforce') return { outcome: await store.delete(key, expectedVersion), observed: null };
  if (mode === 'off' || expectedVersion === null) return { outcome: await store.delete(key, null), observed: null };
  const deleted = await store.deleteObserved!(key);
  if (deleted.status === 'missing') return { outcome: deleted, observed: null };
  return {
    outcome: { status: 'done', value: true },
    observed: observedConflict(expectedVersion, deleted.previousVersion),
  };
}
