/**
 * The repository's writes that can meet a conflict: `updateSession` (conditional, unconditional, or
 * exactly-once by idempotency key) and `deleteSession`. Each call checks every argument first, asks the
 * store for the write its locking mode calls for, reports what came back, and turns a refused write
 * into a `ConcurrencyError` or `SessionNotFoundError`.
 *
 * @internal
 * @module
 */
import { ConcurrencyError, SessionNotFoundError, type SessionOperation } from '../errors.js';
import { DuplicateOperationError, duplicateOperation } from './duplicate-operation.js';
import { handlerScopeFor } from './handler-scope.js';
import { keyQueueOf } from './key-queue.js';
import { deleteInMode, updateInMode, type LockingMode } from './locking-mode.js';
import { reportConflict, reportDuplicate, reportObservedConflict, type Reporter } from '../observability/reporter.js';
import type { DeleteSessionOptions, UpdateSessionOptions } from './repository-options.js';
import type { Session, SessionChanges } from '../session.js';
import type { SessionRecord, SessionStore, StoredChanges, WriteOutcome } from '../session-store.js';
import { invalidArgument, expectObject } from '../validate.js';
import {
  MAX_ORIGIN_LENGTH,
  MAX_REASON_LENGTH,
  storedChanges,
  validateExpectedVersion,
  validateKey,
  validateLabel,
} from './input-validation.js';

/** What the writes need of their repository, built once by its constructor. */
export interface WriteContext<TData, TState extends string> {
  /** The repository: what its per-key queue and its handler scopes are registered under. */
  readonly owner: object;
  readonly store: SessionStore;
  /** The locking mode of a key's writes (per key under a share or a function of the key). */
  lockingModeFor(key: string): LockingMode;
  readonly reporter: Reporter;
  readonly maxDataLength: number;
  maskKey(key: string): string;
  toSession(record: SessionRecord): Session<TData, TState>;
}

/** An `updateSession` call with every argument checked. */
interface UpdateCall {
  readonly key: string;
  readonly changes: StoredChanges;
  readonly expectedVersion: number | null;
  readonly idempotencyKey: string | undefined;
  readonly transaction: unknown;
  /** The locking mode of this key's writes, decided before any statement. */
  readonly lockingMode: LockingMode;
}

/** `SessionRepository.updateSession`: see its documentation. */
export async function updateSession<TData, TState extends string>(
  context: WriteContext<TData, TState>,
  key: string,
  changes: SessionChanges<TData, TState>,
  options: UpdateSessionOptions,
): Promise<Session<TData, TState>> {
  const call = checkUpdate(context, key, changes, options);
  const startedAt = performance.now();
  if (call.idempotencyKey !== undefined) return updateOnce(context, call, call.idempotencyKey, startedAt);
  // 'enforce' (the default) is the store's conditional write as it is: no wrapper around its promise.
  const { outcome, observed } =
    call.lockingMode === 'enforce'
      ? {
          outcome: await context.store.update(key, call.changes, call.expectedVersion, call.transaction),
          observed: null,
        }
      : await updateInMode(call.lockingMode, context.store, key, call.changes, call.expectedVersion, call.transaction);
  if (observed !== null) {
    reportObservedConflict(context.reporter, { operation: 'updateSession', key, ...observed, startedAt });
  }
  return settleUpdate(context, call, outcome, startedAt);
}

/** Every check of an `updateSession` call, before anything is written. */
function checkUpdate<TData, TState extends string>(
  context: WriteContext<TData, TState>,
  key: string,
  changes: SessionChanges<TData, TState>,
  options: UpdateSessionOptions,
): UpdateCall {
  validateKey(key);
  const stored = storedChanges(changes, context.maxDataLength, 'changes');
  expectObject('options', options);
  const expectedVersion = validateExpectedVersion(options.expectedVersion, 'options.expectedVersion');
  const origin = validateLabel(options.origin, MAX_ORIGIN_LENGTH, 'options.origin');
  const reason = validateLabel(options.reason, MAX_REASON_LENGTH, 'options.reason');
  if (origin !== undefined) stored.origin = origin;
  if (reason !== undefined) stored.reason = reason;
  const idempotencyKey = idempotencyKeyOf(context.owner, key, options.idempotencyKey);
  const lockingMode = context.lockingModeFor(key);
  return { key, changes: stored, expectedVersion, idempotencyKey, transaction: options.transaction, lockingMode };
}

/**
 * The idempotency key an update writes with: the one given, or the enclosing `withSessionRetry`
 * call's for that call's session (the first update records it; later ones are plain writes).
 */
function idempotencyKeyOf(owner: object, key: string, given: string | undefined): string | undefined {
  const explicit = given === undefined ? undefined : validateKey(given, 'options.idempotencyKey');
  const scope = handlerScopeFor(owner, key);
  if (scope === undefined) return explicit;
  if (explicit !== undefined && explicit !== scope.idempotencyKey) {
    throw invalidArgument(
      'options.idempotencyKey',
      'be left out or equal the idempotencyKey given to withSessionRetry for this session',
      'a different key',
      { hint: 'Give the key once, to withSessionRetry, and leave it out here (its updates carry it).' },
    );
  }
  return scope.recorded ? undefined : scope.idempotencyKey;
}

/**
 * An update with an idempotency key. It runs in the store's own transaction (or the caller's),
 * which has no observed form: outside 'enforce' it is written unconditionally, without conflict
 * detection. A key already recorded is a {@link DuplicateOperationError}. Once written, the key is
 * recorded for the enclosing `withSessionRetry` call of this session, when there is one.
 */
async function updateOnce<TData, TState extends string>(
  context: WriteContext<TData, TState>,
  call: UpdateCall,
  idempotencyKey: string,
  startedAt: number,
): Promise<Session<TData, TState>> {
  const outcome = await context.store.updateOnce({
    key: call.key,
    changes: call.changes,
    expectedVersion: call.lockingMode === 'enforce' ? call.expectedVersion : null,
    idempotencyKey,
    ...(call.transaction === undefined ? {} : { transaction: call.transaction }),
  });
  if (outcome.status === 'done') {
    const scope = handlerScopeFor(context.owner, call.key);
    if (scope !== undefined) scope.recorded = true;
  }
  if (outcome.status !== 'duplicate') return settleUpdate(context, call, outcome, startedAt);
  keyQueueOf(context.owner)?.forget(call.key);
  const duplicate = duplicateOperation<TData, TState>(
    context,
    'updateSession',
    call.key,
    idempotencyKey,
    outcome.processed,
  );
  reportDuplicate(context.reporter, duplicate, {
    expectedVersion: call.expectedVersion,
    startedAt,
    lockingMode: call.lockingMode,
  });
  throw new DuplicateOperationError(duplicate);
}

/** The session a write stored, or the typed error of a refused one; keeps the per-key cache in step. */
function settleUpdate<TData, TState extends string>(
  context: WriteContext<TData, TState>,
  call: UpdateCall,
  outcome: WriteOutcome<SessionRecord>,
  startedAt: number,
): Session<TData, TState> {
  const queue = keyQueueOf(context.owner);
  if (outcome.status === 'done') {
    const session = context.toSession(outcome.value);
    // A write inside the caller's transaction is not committed yet: it must not serve another read.
    if (call.transaction === undefined) queue?.remember(call.key, session);
    else queue?.forget(call.key);
    return session;
  }
  queue?.forget(call.key);
  // A write without an expected version is refused only when the row is missing.
  if (outcome.status === 'missing' || call.expectedVersion === null) {
    throw new SessionNotFoundError(call.key, context.maskKey(call.key));
  }
  throw conflict(context, call.key, call.expectedVersion, outcome.actualVersion, 'updateSession', startedAt);
}

/** `SessionRepository.deleteSession`: see its documentation. */
export async function deleteSession<TData, TState extends string>(
  context: WriteContext<TData, TState>,
  key: string,
  options: DeleteSessionOptions,
): Promise<boolean> {
  validateKey(key);
  const expectedVersion = validateExpectedVersion(options.expectedVersion, 'options.expectedVersion');
  const lockingMode = context.lockingModeFor(key);
  const startedAt = performance.now();
  const { outcome, observed } = await deleteInMode(lockingMode, context.store, key, expectedVersion);
  keyQueueOf(context.owner)?.forget(key);
  if (observed !== null) {
    reportObservedConflict(context.reporter, { operation: 'deleteSession', key, ...observed, startedAt });
  }
  switch (outcome.status) {
    case 'done':
      return true;
    case 'missing':
      // Only an enforced conditional delete insists that the row exist; the others delete as unversioned code would.
      if (expectedVersion === null || lockingMode !== 'enforce') return false;
      throw new SessionNotFoundError(key, context.maskKey(key));
    case 'conflict':
      throw conflict(context, key, expectedVersion!, outcome.actualVersion, 'deleteSession', startedAt);
  }
}

/** The `ConcurrencyError` of a refused write, reported once. */
function conflict<TData, TState extends string>(
  context: WriteContext<TData, TState>,
  key: string,
  expectedVersion: number,
  actualVersion: number | null,
  operation: SessionOperation,
  startedAt: number,
): ConcurrencyError {
  const error = new ConcurrencyError({
    key,
    maskedKey: context.maskKey(key),
    expectedVersion,
    actualVersion,
    operation,
  });
  reportConflict(context.reporter, {
    operation,
    key,
    expectedVersion,
    actualVersion,
    startedAt,
    enforced: true,
    lockingMode: 'enforce',
    message: error.message,
  });
  return error;
}
