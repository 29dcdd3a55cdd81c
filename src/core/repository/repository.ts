/**
 * `SessionRepository`: the API bots call. It validates input, masks keys, turns store outcomes into
 * typed errors, and leaves all SQL to the store.
 *
 * @module
 */
import { ConcurrencyError, InvalidArgumentError, SessionNotFoundError, type SessionOperation } from '../errors.js';
import { DuplicateOperationError, duplicateOperation } from './duplicate-operation.js';
import { attachKeyQueue, keyQueueOf } from './key-queue.js';
import { validateHooks } from '../observability/hooks.js';
import { deleteInMode, resolveLockingMode, updateInMode, type LockingMode } from './locking-mode.js';
import { toLevelLogger, type LevelLogger } from '../observability/logger.js';
import { maskKey as defaultMaskKey, type KeyMasker } from '../observability/key-mask.js';
import { resolveMetrics } from '../observability/metrics.js';
import {
  registerReporter,
  reportConflict,
  reportDuplicate,
  reportObservedConflict,
  type Reporter,
} from '../observability/reporter.js';
import type {
  DeleteSessionOptions,
  InitialDataRequirement,
  ReadSessionOptions,
  SessionRepositoryOptions,
  UpdateSessionOptions,
  VerifySchemaOptions,
} from './repository-options.js';
import { handlerScopeFor } from './handler-scope.js';
import { createDataReader, findUnreadableRows, type DataReader, type SchemaReport } from './session-data-reader.js';
import type { Session, SessionChanges } from '../session.js';
import {
  isSessionStore,
  type SessionRecord,
  type SessionStore,
  type SessionTransition,
  type StoredChanges,
  type WriteOutcome,
} from '../session-store.js';
import {
  MAX_ORIGIN_LENGTH,
  MAX_REASON_LENGTH,
  serializeData,
  validateCutoff,
  validateExpectedVersion,
  validateKey,
  validateLabel,
  validateState,
} from './input-validation.js';
import {
  MAX_HISTORY_PAGE,
  expireIdleSessions,
  requireHistory,
  validateLimit,
  type ExpireIdleSessionsOptions,
  type ExpireIdleSessionsResult,
  type SessionHistoryOptions,
} from './lifecycle.js';

export type {
  DeleteSessionOptions,
  InitialDataRequirement,
  ReadSessionOptions,
  SessionRepositoryOptions,
  UpdateSessionOptions,
  VerifySchemaOptions,
} from './repository-options.js';
export type { SchemaReport, UnreadableRow } from './session-data-reader.js';

/** An `updateSession` call with every argument checked. */
interface UpdateCall {
  readonly key: string;
  readonly changes: StoredChanges;
  readonly expectedVersion: number | null;
  readonly idempotencyKey: string | undefined;
  readonly transaction: unknown;
}

/**
 * Reads and writes chat sessions with optimistic locking.
 *
 * @typeParam TData - the shape of each session's `data` object. When `{}` is not a valid `TData` (it has
 * required fields), the options must give `initialData`, which new and empty sessions read as.
 * @typeParam TState - the flow's states, e.g. `'MENU' | 'ASK_NAME' | 'DONE'`.
 * @example
 * ```ts
 * import { SessionRepository, withSessionRetry } from 'versioned-sessions';
 * import { PostgresSessionStore } from 'versioned-sessions/postgres';
 *
 * const sessions = new SessionRepository({ store: new PostgresSessionStore({ pool }), logger: console });
 * await withSessionRetry(sessions, '+5215512345678', (session) =>
 *   sessions.updateSession(session.key, { state: 'REFRI_ESPERA_SAP' }, { expectedVersion: session.version }));
 * ```
 */
export class SessionRepository<TData = Record<string, unknown>, TState extends string = string> {
  /** The store this repository writes to. */
  readonly store: SessionStore;
  /** The logger, with every level present. */
  readonly logger: LevelLogger;
  /** How this repository treats `expectedVersion`. */
  readonly lockingMode: LockingMode;
  private readonly masker: KeyMasker;
  private readonly maxDataLength: number;
  private readonly reporter: Reporter;
  private readonly data: DataReader<TData>;

  /**
   * Checks the options; nothing is read or written until the first call.
   *
   * @throws InvalidArgumentError when `store` is not a session store or an option is out of range.
   */
  constructor(options: SessionRepositoryOptions<NoInfer<TData>> & InitialDataRequirement<NoInfer<TData>>) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError('options', 'expected an object with at least a `store`.');
    }
    const store: unknown = options.store;
    if (!isSessionStore(store)) {
      throw new InvalidArgumentError('store', 'expected a session store, e.g. new SqliteSessionStore({ database }).');
    }
    if (options.maskKey !== undefined && typeof options.maskKey !== 'function') {
      throw new InvalidArgumentError('maskKey', 'expected a function from key to masked text.');
    }
    const maxDataLength = options.maxDataLength ?? 1_000_000;
    if (!Number.isSafeInteger(maxDataLength) || maxDataLength < 2) {
      throw new InvalidArgumentError('maxDataLength', 'expected an integer of at least 2.');
    }
    if (options.perKeyQueue !== undefined && typeof options.perKeyQueue !== 'boolean') {
      throw new InvalidArgumentError('perKeyQueue', `expected a boolean, got ${typeof options.perKeyQueue}.`);
    }
    // On unless turned off: handlers of one key in one process then never conflict with each other.
    if (options.perKeyQueue !== false) attachKeyQueue(this);
    this.masker = options.maskKey ?? defaultMaskKey;
    this.data = createDataReader<TData>(options, store.names.columns.data, (key) => this.maskKey(key), maxDataLength);
    this.store = store;
    this.logger = toLevelLogger(options.logger);
    this.maxDataLength = maxDataLength;
    this.lockingMode = resolveLockingMode(options.lockingMode, store);
    const hooks = validateHooks(options.hooks);
    this.reporter = {
      logger: this.logger,
      maskKey: (key) => this.maskKey(key),
      dialect: store.dialect,
      lockingMode: this.lockingMode,
      hooks: hooks === undefined ? [] : [hooks],
      metrics: resolveMetrics(options.metrics),
    };
    registerReporter(this, this.reporter);
  }

  /**
   * The key as shown in messages and logs.
   *
   * @example
   * ```ts
   * repository.maskKey('+5215512345678'); // '+52*******5678'
   * ```
   */
  maskKey(key: string): string {
    return this.masker(key);
  }

  /**
   * Reads a session, or `null` when there is none.
   *
   * @example
   * ```ts
   * const session = await repository.getSession('+5215512345678');
   * ```
   */
  async getSession(key: string): Promise<Session<TData, TState> | null> {
    return this.getSessionWithVersion(key);
  }

  /**
   * Reads a session with the version to pass back as `expectedVersion`. Legacy rows read as version 0.
   *
   * @example
   * ```ts
   * const session = await repository.getSessionWithVersion(key);
   * if (session) await repository.updateSession(key, { state: 'NEXT' }, { expectedVersion: session.version });
   * // inside a transaction of your own, reading what it has written so far:
   * const inTransaction = await repository.getSessionWithVersion(key, { transaction: client });
   * ```
   */
  async getSessionWithVersion(key: string, options: ReadSessionOptions = {}): Promise<Session<TData, TState> | null> {
    validateKey(key);
    const record = await this.store.read(key, options.transaction);
    return record === null ? null : this.toSession(record);
  }

  /**
   * Returns the session, creating it at version 0 with `initial` when it does not exist. Race-free:
   * concurrent callers for a new key get the one row.
   *
   * @example
   * ```ts
   * const session = await repository.getOrCreateSession(key, { state: 'INICIO', data: {} });
   * ```
   */
  async getOrCreateSession(key: string, initial: SessionChanges<TData, TState> = {}): Promise<Session<TData, TState>> {
    validateKey(key);
    const stored = this.toStoredChanges(initial, 'initial');
    const record = await this.store.createIfAbsent(
      key,
      stored.state ?? null,
      stored.dataJson ?? this.data.initialDataJson ?? '{}',
    );
    return this.toSession(record);
  }

  /**
   * Writes `changes` and bumps the version. With a number `expectedVersion` the write is one
   * conditional statement: it fails with {@link ConcurrencyError} when another writer bumped the
   * version first, and with {@link SessionNotFoundError} when the key has no session.
   *
   * @example
   * ```ts
   * const updated = await repository.updateSession(key, { state: 'REFRI_ESPERA_SAP' }, { expectedVersion: session.version });
   * updated.version === session.version + 1; // true
   * ```
   * Inside a {@link withSessionRetry} handler given an `idempotencyKey`, an update of that call's session
   * through this repository carries the call's key without being given it (see docs/exactly-once.md).
   *
   * @throws DuplicateOperationError when `options.idempotencyKey` was already recorded: nothing was written.
   * @throws InvalidArgumentError when `options.idempotencyKey` differs from the key of the enclosing
   * `withSessionRetry` call: nothing was written.
   */
  async updateSession(
    key: string,
    changes: SessionChanges<TData, TState>,
    options: UpdateSessionOptions = {},
  ): Promise<Session<TData, TState>> {
    const call = this.validateUpdate(key, changes, options);
    const startedAt = performance.now();
    if (call.idempotencyKey !== undefined) return this.updateOnce(call, call.idempotencyKey, startedAt);
    // 'enforce' (the default) is the store's conditional write as it is: no wrapper around its promise.
    const { outcome, observed } =
      this.lockingMode === 'enforce'
        ? {
            outcome: await this.store.update(key, call.changes, call.expectedVersion, call.transaction),
            observed: null,
          }
        : await updateInMode(this.lockingMode, this.store, key, call.changes, call.expectedVersion, call.transaction);
    if (observed !== null) {
      reportObservedConflict(this.reporter, { operation: 'updateSession', key, ...observed, startedAt });
    }
    return this.settleUpdate(call, outcome, startedAt);
  }

  /** Every check of an `updateSession` call, before anything is written. */
  private validateUpdate(
    key: string,
    changes: SessionChanges<TData, TState>,
    options: UpdateSessionOptions,
  ): UpdateCall {
    validateKey(key);
    const stored = this.toStoredChanges(changes, 'changes');
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError('options', 'expected an object (or nothing).');
    }
    const expectedVersion = validateExpectedVersion(options.expectedVersion, 'options.expectedVersion');
    const origin = validateLabel(options.origin, MAX_ORIGIN_LENGTH, 'options.origin');
    const reason = validateLabel(options.reason, MAX_REASON_LENGTH, 'options.reason');
    if (origin !== undefined) stored.origin = origin;
    if (reason !== undefined) stored.reason = reason;
    const idempotencyKey = this.idempotencyKeyOf(key, options.idempotencyKey);
    return { key, changes: stored, expectedVersion, idempotencyKey, transaction: options.transaction };
  }

  /**
   * An update with an idempotency key. It runs in the store's own transaction (or the caller's),
   * which has no observed form: outside 'enforce' it is written unconditionally, without conflict
   * detection. A key already recorded is a {@link DuplicateOperationError}. Once written, the key is
   * recorded for the enclosing `withSessionRetry` call of this session, when there is one.
   */
  private async updateOnce(
    call: UpdateCall,
    idempotencyKey: string,
    startedAt: number,
  ): Promise<Session<TData, TState>> {
    const outcome = await this.store.updateOnce({
      key: call.key,
      changes: call.changes,
      expectedVersion: this.lockingMode === 'enforce' ? call.expectedVersion : null,
      idempotencyKey,
      ...(call.transaction === undefined ? {} : { transaction: call.transaction }),
    });
    if (outcome.status === 'done') {
      const scope = handlerScopeFor(this, call.key);
      if (scope !== undefined) scope.recorded = true;
    }
    if (outcome.status !== 'duplicate') return this.settleUpdate(call, outcome, startedAt);
    keyQueueOf(this)?.forget(call.key);
    const duplicate = duplicateOperation<TData, TState>(
      this,
      'updateSession',
      call.key,
      idempotencyKey,
      outcome.processed,
    );
    reportDuplicate(this.reporter, duplicate, { expectedVersion: call.expectedVersion, startedAt });
    throw new DuplicateOperationError(duplicate);
  }

  /** The session a write stored, or the typed error of a refused one; keeps the per-key cache in step. */
  private settleUpdate(
    call: UpdateCall,
    outcome: WriteOutcome<SessionRecord>,
    startedAt: number,
  ): Session<TData, TState> {
    if (outcome.status === 'done') {
      const session = this.toSession(outcome.value);
      // A write inside the caller's transaction is not committed yet: it must not serve another read.
      if (call.transaction === undefined) keyQueueOf(this)?.remember(call.key, session);
      else keyQueueOf(this)?.forget(call.key);
      return session;
    }
    keyQueueOf(this)?.forget(call.key);
    // A write without an expected version is refused only when the row is missing.
    if (outcome.status === 'missing' || call.expectedVersion === null) {
      throw new SessionNotFoundError(call.key, this.maskKey(call.key));
    }
    throw this.conflict(call.key, call.expectedVersion, outcome.actualVersion, 'updateSession', startedAt);
  }

  /**
   * Deletes a session. Unconditional deletes return whether a row was deleted; with
   * `expectedVersion` a stale version throws {@link ConcurrencyError} and a missing key
   * {@link SessionNotFoundError}.
   *
   * @example
   * ```ts
   * await repository.deleteSession(key, { expectedVersion: session.version });
   * ```
   */
  async deleteSession(key: string, options: DeleteSessionOptions = {}): Promise<boolean> {
    validateKey(key);
    const expectedVersion = validateExpectedVersion(options.expectedVersion, 'options.expectedVersion');
    const startedAt = performance.now();
    const { outcome, observed } = await deleteInMode(this.lockingMode, this.store, key, expectedVersion);
    keyQueueOf(this)?.forget(key);
    if (observed !== null)
      reportObservedConflict(this.reporter, { operation: 'deleteSession', key, ...observed, startedAt });
    switch (outcome.status) {
      case 'done':
        return true;
      case 'missing':
        // Only an enforced conditional delete insists that the row exist; the others delete as unversioned code would.
        if (expectedVersion === null || this.lockingMode !== 'enforce') return false;
        throw new SessionNotFoundError(key, this.maskKey(key));
      case 'conflict':
        throw this.conflict(key, expectedVersion!, outcome.actualVersion, 'deleteSession', startedAt);
    }
  }

  /**
   * Sets the session's last-activity time only: no version bump, never a conflict, nothing when the
   * key has no session.
   *
   * @example
   * ```ts
   * await repository.touchSession(key);
   * ```
   */
  async touchSession(key: string): Promise<void> {
    await this.store.touch(validateKey(key));
  }

  /**
   * Checks that the sessions table and every column it needs exist; with `{ data: true }` also reads
   * every row's data and lists the rows that cannot be read as a JSON object (masked), before a bot
   * meets them.
   *
   * @throws MigrationRequiredError whose message is the command that adds what is missing.
   * @example
   * ```ts
   * await repository.verifySchema(); // at start-up
   * const { unreadable } = await repository.verifySchema({ data: true }); // before adopting a legacy table
   * ```
   */
  async verifySchema(options: VerifySchemaOptions = {}): Promise<SchemaReport> {
    if (typeof options !== 'object' || options === null)
      throw new InvalidArgumentError('options', 'expected an object.');
    if (options.data !== undefined && typeof options.data !== 'boolean') {
      throw new InvalidArgumentError('data', `expected a boolean, got ${typeof options.data}.`);
    }
    await this.store.verifySchema();
    if (options.data !== true) return { rowsChecked: 0, unreadable: [] };
    return findUnreadableRows(this.store, (key) => this.maskKey(key));
  }

  /**
   * Records an operation id (a webhook message id, say): `true` the first time it is seen, `false`
   * after.
   *
   * @example
   * ```ts
   * if (!(await repository.markProcessed(message.id))) return; // a duplicate delivery
   * ```
   */
  async markProcessed(id: string): Promise<boolean> {
    return this.store.markProcessed(validateKey(id, 'id'));
  }

  /**
   * Whether an operation id was recorded.
   *
   * @example
   * ```ts
   * if (await repository.isProcessed(message.id)) return;
   * ```
   */
  async isProcessed(id: string): Promise<boolean> {
    return this.store.isProcessed(validateKey(id, 'id'));
  }

  /**
   * Forgets operation ids recorded before `olderThan` (a Date from year 1 to 9999); returns how many
   * were removed.
   *
   * @example
   * ```ts
   * await repository.pruneProcessed({ olderThan: new Date(Date.now() - 7 * 24 * 3600_000) });
   * ```
   */
  async pruneProcessed(options: { olderThan: Date }): Promise<number> {
    return this.store.pruneProcessed(validateCutoff((options as { olderThan?: unknown } | undefined)?.olderThan));
  }

  /**
   * The transitions recorded for `key`, newest first (highest version first): who moved the chat from
   * which state to which, and why. Needs a store with `history: true`. Page with `before`: the lowest
   * version of the page just read.
   *
   * @throws InvalidArgumentError for a bad key, limit (1 to 1000) or `before`.
   * @example
   * ```ts
   * const last = await repository.getSessionHistory(phone, { limit: 10 });
   * const older = await repository.getSessionHistory(phone, { limit: 10, before: last.at(-1)!.version });
   * ```
   */
  async getSessionHistory(key: string, options: SessionHistoryOptions = {}): Promise<SessionTransition[]> {
    validateKey(key);
    const limit = validateLimit(options.limit, 20, MAX_HISTORY_PAGE, 'options.limit');
    const before = validateExpectedVersion(options.before, 'options.before');
    return requireHistory(this.store, 'readHistory').readHistory!(key, limit, before);
  }

  /**
   * Deletes the transitions recorded before `olderThan` (a Date from year 1 to 9999); returns how many.
   *
   * @example
   * ```ts
   * await repository.pruneHistory({ olderThan: new Date(Date.now() - 90 * 24 * 3600_000) });
   * ```
   */
  async pruneHistory(options: { olderThan: Date }): Promise<number> {
    const olderThan = validateCutoff((options as { olderThan?: unknown } | undefined)?.olderThan);
    return requireHistory(this.store, 'pruneHistory').pruneHistory!(olderThan);
  }

  /**
   * Closes the sessions idle for longer than `idleFor` (a timeout): each is written with `changes`
   * conditionally on the version the sweep read, so a message that arrives between the sweep's read
   * and its write wins, and that session is counted as skipped, never overwritten or retried. The
   * body of a timer-triggered function; see docs/session-lifecycle.md.
   *
   * @throws InvalidArgumentError for a bad duration, state list, limit or changes, before any statement.
   * @example
   * ```ts
   * const { expired, skipped } = await repository.expireIdleSessions({
   *   idleFor: '30m',
   *   changes: (session) => ({ state: 'CANCELADA', data: { ...session.data, closedBy: 'timeout' } }),
   *   states: ['MENU', 'ESPERA_DATOS'],
   * });
   * ```
   */
  async expireIdleSessions(options: ExpireIdleSessionsOptions<TData>): Promise<ExpireIdleSessionsResult> {
    return expireIdleSessions(
      {
        store: this.store,
        logger: this.logger,
        // The sweep's changes name any state: the states a sweep writes are the caller's to choose.
        toStoredChanges: (changes, argument) =>
          this.toStoredChanges(changes as SessionChanges<TData, TState>, argument),
        validateLabel: (value, argument) =>
          validateLabel(value, argument === 'origin' ? MAX_ORIGIN_LENGTH : MAX_REASON_LENGTH, argument),
        toSession: (record) => this.toSession(record),
        forget: (key) => keyQueueOf(this)?.forget(key),
      },
      options,
    );
  }

  private conflict(
    key: string,
    expectedVersion: number,
    actualVersion: number | null,
    operation: SessionOperation,
    startedAt: number,
  ): ConcurrencyError {
    const error = new ConcurrencyError({
      key,
      maskedKey: this.maskKey(key),
      expectedVersion,
      actualVersion,
      operation,
    });
    reportConflict(this.reporter, {
      operation,
      key,
      expectedVersion,
      actualVersion,
      startedAt,
      enforced: true,
      message: error.message,
    });
    return error;
  }

  private toStoredChanges(changes: SessionChanges<TData, TState>, argument: string): StoredChanges {
    if (typeof changes !== 'object' || changes === null || Array.isArray(changes)) {
      throw new InvalidArgumentError(argument, 'expected an object with `state` and/or `data`.');
    }
    for (const field of Object.keys(changes)) {
      if (field !== 'state' && field !== 'data') {
        throw new InvalidArgumentError(
          `${argument}.${field}`,
          'unknown field; a session change has `state` and `data` only.',
        );
      }
    }
    const stored: StoredChanges = {};
    if (changes.state !== undefined) stored.state = validateState(changes.state, `${argument}.state`);
    if (changes.data !== undefined)
      stored.dataJson = serializeData(changes.data, this.maxDataLength, `${argument}.data`);
    return stored;
  }

  /**
   * The idempotency key an update writes with: the one given, or the enclosing `withSessionRetry`
   * call's for that call's session (the first update records it; later ones are plain writes).
   */
  private idempotencyKeyOf(key: string, given: string | undefined): string | undefined {
    const explicit = given === undefined ? undefined : validateKey(given, 'options.idempotencyKey');
    const scope = handlerScopeFor(this, key);
    if (scope === undefined) return explicit;
    if (explicit !== undefined && explicit !== scope.idempotencyKey) {
      throw new InvalidArgumentError(
        'options.idempotencyKey',
        'differs from the idempotencyKey given to withSessionRetry for this session; give the key once, to withSessionRetry, and leave it out here (its updates carry it).',
      );
    }
    return scope.recorded ? undefined : scope.idempotencyKey;
  }

  private toSession(record: SessionRecord): Session<TData, TState> {
    return { ...record, state: record.state as TState | null, data: this.data.toData(record.key, record.data) };
  }
}
