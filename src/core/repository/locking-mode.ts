/**
 * The rollout modes: how a repository's writes treat `expectedVersion`. `enforce` is the conditional
 * write; `observe` writes unconditionally but learns, from the write itself, whether the version it
 * replaced was the expected one; `off` ignores `expectedVersion`.
 *
 * @module
 */
import { expectOneOf, invalidArgument } from '../validate.js';
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

const LOCKING_MODES: readonly LockingMode[] = ['enforce', 'observe', 'off'];

/** Checks the `lockingMode` option; `observe` needs a store that can report the version it replaced. */
export function resolveLockingMode(value: unknown, store: SessionStore): LockingMode {
  if (value === undefined) return 'enforce';
  expectOneOf('lockingMode', value, LOCKING_MODES);
  if (
    value === 'observe' &&
    (typeof store.updateObserved !== 'function' || typeof store.deleteObserved !== 'function')
  ) {
    throw invalidArgument(
      'lockingMode',
      "be 'observe' only with a store that has updateObserved() and deleteObserved()",
      "'observe' with a store that lacks them",
      { hint: "The library's stores have them." },
    );
  }
  return value;
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
