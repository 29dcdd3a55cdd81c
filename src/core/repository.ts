/**
 * `SessionRepository`: the API bots call. It validates input, masks keys, turns store outcomes into
 * typed errors, and leaves all SQL to the store.
 *
 * @module
 */
import { ConcurrencyError, InvalidArgumentError, SessionNotFoundError, type SessionOperation } from './errors.js';
import { DuplicateOperationError, duplicateOperation } from './duplicate.js';
import { attachKeyQueue, keyQueueOf } from './key-queue.js';
import { validateHooks, type SessionHooks } from './hooks.js';
import { deleteInMode, resolveLockingMode, updateInMode, type LockingMode } from './locking-mode.js';
import { toLevelLogger, type LevelLogger } from './logger.js';
import { maskKey as defaultMaskKey, type KeyMasker } from './mask.js';
import { resolveMetrics, type MetricsOption } from './metrics.js';
import { registerObserver, reportConflict, reportDuplicate, reportObservedConflict, type Observer } from './observer.js';
import type { Logger, Session, SessionChanges, SessionRecord, SessionStore, StoredChanges } from './types.js';
import { serializeData, validateExpectedVersion, validateKey, validateState } from './validation.js';

/**
 * Options of {@link SessionRepository}.
 *
 * @example
 * ```ts
 * const options: SessionRepositoryOptions = { store: new PostgresSessionStore({ pool }), logger: console };
 * ```
 */
export interface SessionRepositoryOptions {
  /** Where sessions live: a `PostgresSessionStore`, `SqliteSessionStore` or `MssqlSessionStore`. */
  readonly store: SessionStore;
  /**
   * A console-compatible logger (console, pino, an Azure Functions context). Retries are logged at
   * `warn`, exhausted retries at `error`.
   * @defaultValue no logging
   */
  readonly logger?: Logger;
  /**
   * Turns a key into the text shown in messages and logs. Phone numbers are never logged raw.
   * @defaultValue {@link maskKey}: first three and last four characters kept
   */
  readonly maskKey?: KeyMasker;
  /** Called on conflicts, retries (through {@link withSessionRetry}), exhausted retries and duplicates. */
  readonly hooks?: SessionHooks;
  /**
   * `enforce` refuses stale writes; `observe` writes as unversioned code would but reports each
   * stale write (hooks, logs, metrics, diagnostics channel); `off` ignores `expectedVersion`.
   * @defaultValue 'enforce'
   */
  readonly lockingMode?: LockingMode;
  /**
   * OpenTelemetry metrics: `true` records into the global provider of `@opentelemetry/api` when it
   * is installed, `false` records nothing, `{ meterProvider }` records into that provider.
   * @defaultValue true
   */
  readonly metrics?: MetricsOption;
  /**
   * The longest serialised `data` accepted, in characters.
   * @defaultValue 1_000_000
   */
  readonly maxDataLength?: number;
  /**
   * Queue {@link withSessionRetry} operations per key inside this process: operations on one key run
   * one after another, so they never conflict with each other (writers in other processes still can,
   * and the version check still refuses their stale writes). While a key has queued work, the session
   * this process last wrote serves the next operation's read, so an operation that no other process
   * interferes with costs one round trip; when another process wrote in between, the update is
   * refused and the session is read again.
   *
   * Safe when handlers keep their side effects (messages sent, payments made) until after the write
   * succeeds, as they must with any retry: a handler may be run again with a fresh session. Not for
   * handlers that hold a key for long (a slow call in the middle of the handler delays every later
   * operation on that key in this process). See docs/benchmarks.md for what it buys on a hot key.
   * @defaultValue false
   */
  readonly perKeyQueue?: boolean;
}

/**
 * Options of {@link SessionRepository.updateSession}.
 *
 * @example
 * ```ts
 * const options: UpdateSessionOptions = { expectedVersion: session.version };
 * await repository.updateSession(session.key, { state: 'MENU' }, options);
 * ```
 */
export interface UpdateSessionOptions {
  /**
   * The version the caller read. A number makes the write conditional: it succeeds only while the
   * stored version is still this one. `undefined` or `null` writes unconditionally (legacy behaviour).
   */
  readonly expectedVersion?: number | null | undefined;
  /**
   * Makes the update exactly-once: the key (a WhatsApp message id, say) is recorded in the
   * processed-operations table in the same transaction as the version bump. When it is already
   * recorded the update writes nothing and throws {@link DuplicateOperationError}, which carries the
   * session as the first delivery committed it. When the connection fails after the server committed,
   * the call recognises its own commit and returns the committed session. See docs/exactly-once.md.
   * @example
   * ```ts
   * await repository.updateSession(phone, { state: 'PAGADO' }, { expectedVersion: session.version, idempotencyKey: message.id });
   * ```
   */
  readonly idempotencyKey?: string | undefined;
  /**
   * The driver's own transaction, so that the update commits or rolls back with the caller's other
   * statements: a `pg` client on which you ran `BEGIN`, or the store's better-sqlite3 `Database` after
   * `database.exec('BEGIN IMMEDIATE')`. The caller commits or rolls back; on a `ConcurrencyError` roll
   * back. See docs/exactly-once.md for why an async call inside `database.transaction(fn)` cannot work.
   * @example
   * ```ts
   * const client = await pool.connect();
   * await client.query('BEGIN');
   * await client.query('INSERT INTO reports (phone, total) VALUES ($1, $2)', [phone, total]);
   * await repository.updateSession(phone, { state: 'CERRADO' }, { expectedVersion: session.version, transaction: client });
   * await client.query('COMMIT');
   * ```
   */
  readonly transaction?: unknown;
}

/**
 * Options of {@link SessionRepository.getSessionWithVersion}.
 *
 * @example
 * ```ts
 * const options: ReadSessionOptions = { transaction: client }; // a pg client inside BEGIN
 * ```
 */
export interface ReadSessionOptions {
  /** The driver's own transaction to read in (see {@link UpdateSessionOptions.transaction}). */
  readonly transaction?: unknown;
}

/**
 * Options of {@link SessionRepository.deleteSession}.
 *
 * @example
 * ```ts
 * const options: DeleteSessionOptions = { expectedVersion: session.version };
 * await repository.deleteSession(session.key, options);
 * ```
 */
export interface DeleteSessionOptions {
  /** The version the caller read; a number makes the delete conditional. */
  readonly expectedVersion?: number | null | undefined;
}

/**
 * Reads and writes chat sessions with optimistic locking.
 *
 * @typeParam TData - the shape of each session's `data` object.
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
export class SessionRepository<TData = Record<string, unknown>> {
  /** The store this repository writes to. */
  readonly store: SessionStore;
  /** The logger, with every level present. */
  readonly logger: LevelLogger;
  /** How this repository treats `expectedVersion`. */
  readonly lockingMode: LockingMode;
  private readonly masker: KeyMasker;
  private readonly maxDataLength: number;
  private readonly observer: Observer;

  /**
   * Checks the options; nothing is read or written until the first call.
   *
   * @throws InvalidArgumentError when `store` is not a session store or an option is out of range.
   */
  constructor(options: SessionRepositoryOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError('options', 'expected an object with at least a `store`.');
    }
    const store = options.store as SessionStore | undefined;
    if (typeof store !== 'object' || store === null || typeof store.update !== 'function') {
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
    if (options.perKeyQueue === true) attachKeyQueue(this);
    this.store = store;
    this.logger = toLevelLogger(options.logger);
    this.masker = options.maskKey ?? defaultMaskKey;
    this.maxDataLength = maxDataLength;
    this.lockingMode = resolveLockingMode(options.lockingMode, store);
    const hooks = validateHooks(options.hooks);
    this.observer = {
      logger: this.logger,
      maskKey: (key) => this.maskKey(key),
      dialect: store.dialect,
      lockingMode: this.lockingMode,
      hooks: hooks === undefined ? [] : [hooks],
      metrics: resolveMetrics(options.metrics),
    };
    registerObserver(this, this.observer);
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
  async getSession(key: string): Promise<Session<TData> | null> {
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
  async getSessionWithVersion(key: string, options: ReadSessionOptions = {}): Promise<Session<TData> | null> {
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
  async getOrCreateSession(key: string, initial: SessionChanges<TData> = {}): Promise<Session<TData>> {
    validateKey(key);
    const stored = this.toStoredChanges(initial, 'initial');
    const record = await this.store.createIfAbsent(key, stored.state ?? null, stored.dataJson ?? '{}');
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
   * @throws DuplicateOperationError when `options.idempotencyKey` was already recorded: nothing was written.
   */
  async updateSession(
    key: string,
    changes: SessionChanges<TData>,
    options: UpdateSessionOptions = {},
  ): Promise<Session<TData>> {
    validateKey(key);
    const stored = this.toStoredChanges(changes, 'changes');
    const expectedVersion = validateExpectedVersion(options.expectedVersion, 'options.expectedVersion');
    const { idempotencyKey, transaction } = options;
    const startedAt = performance.now();
    const { outcome, observed } =
      idempotencyKey === undefined
        ? await updateInMode(this.lockingMode, this.store, key, stored, expectedVersion, transaction)
        : // An idempotent write runs in the store's own transaction, which has no observed form: outside
          // 'enforce' it is written unconditionally, without conflict detection.
          {
            outcome: await this.store.updateOnce({
              key,
              changes: stored,
              expectedVersion: this.lockingMode === 'enforce' ? expectedVersion : null,
              idempotencyKey: validateKey(idempotencyKey, 'options.idempotencyKey'),
              ...(transaction === undefined ? {} : { transaction }),
            }),
            observed: null,
          };
    if (observed !== null) reportObservedConflict(this.observer, { operation: 'updateSession', key, ...observed, startedAt });
    // A write inside the caller's transaction is not committed yet: it must not serve another read.
    if (outcome.status === 'done' && transaction === undefined) {
      const session = this.toSession(outcome.value);
      keyQueueOf(this)?.remember(key, session);
      return session;
    }
    keyQueueOf(this)?.forget(key);
    switch (outcome.status) {
      case 'done':
        return this.toSession(outcome.value);
      case 'duplicate': {
        const duplicate = duplicateOperation<TData>(this, 'updateSession', key, idempotencyKey!, outcome.processed);
        reportDuplicate(this.observer, {
          operation: 'updateSession',
          key,
          idempotencyKey: idempotencyKey!,
          maskedIdempotencyKey: duplicate.maskedIdempotencyKey,
          expectedVersion,
          actualVersion: duplicate.committedVersion,
          startedAt,
        });
        throw new DuplicateOperationError(duplicate);
      }
      case 'missing':
        throw new SessionNotFoundError(key, this.maskKey(key));
      case 'conflict':
        throw this.conflict(key, expectedVersion!, outcome.actualVersion, 'updateSession', startedAt);
    }
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
    if (observed !== null) reportObservedConflict(this.observer, { operation: 'deleteSession', key, ...observed, startedAt });
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
   * Checks that the sessions table and its version column exist.
   *
   * @throws MigrationRequiredError whose message is the command that adds what is missing.
   * @example
   * ```ts
   * await repository.verifySchema(); // at start-up
   * ```
   */
  async verifySchema(): Promise<void> {
    await this.store.verifySchema();
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
    const olderThan = (options as { olderThan?: unknown } | undefined)?.olderThan;
    if (!(olderThan instanceof Date) || Number.isNaN(olderThan.getTime())) {
      throw new InvalidArgumentError('olderThan', 'expected a valid Date.');
    }
    // The range every dialect stores and compares faithfully: PostgreSQL's timestamptz ends before
    // 4713 BC, SQL Server's datetime2 at year 1, and SQLite's ISO text sorts wrongly past year 9999.
    const year = olderThan.getUTCFullYear();
    if (year < 1 || year > 9999) {
      throw new InvalidArgumentError('olderThan', `expected a Date from year 1 to 9999, got ${olderThan.toISOString()}.`);
    }
    return this.store.pruneProcessed(olderThan);
  }

  private conflict(
    key: string,
    expectedVersion: number,
    actualVersion: number | null,
    operation: SessionOperation,
    startedAt: number,
  ): ConcurrencyError {
    const error = new ConcurrencyError({ key, maskedKey: this.maskKey(key), expectedVersion, actualVersion, operation });
    reportConflict(this.observer, { operation, key, expectedVersion, actualVersion, startedAt, enforced: true, message: error.message });
    return error;
  }

  private toStoredChanges(changes: SessionChanges<TData>, argument: string): StoredChanges {
    if (typeof changes !== 'object' || changes === null || Array.isArray(changes)) {
      throw new InvalidArgumentError(argument, 'expected an object with `state` and/or `data`.');
    }
    for (const field of Object.keys(changes)) {
      if (field !== 'state' && field !== 'data') {
        throw new InvalidArgumentError(`${argument}.${field}`, 'unknown field; a session change has `state` and `data` only.');
      }
    }
    const stored: StoredChanges = {};
    if (changes.state !== undefined) stored.state = validateState(changes.state, `${argument}.state`);
    if (changes.data !== undefined) stored.dataJson = serializeData(changes.data, this.maxDataLength, `${argument}.data`);
    return stored;
  }

  private toSession(record: SessionRecord): Session<TData> {
    return { ...record, data: record.data as TData };
  }
}
