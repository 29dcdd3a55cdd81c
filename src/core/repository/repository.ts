/**
 * `SessionRepository`: the API bots call. It validates input, masks keys, turns store outcomes into
 * typed errors, and leaves all SQL to the store. The class holds the options and the public methods;
 * the writes that can meet a conflict live in `session-writes.ts`, the history and the idle sweep in
 * `lifecycle.ts`.
 *
 * @module
 */
import { attachKeyQueue, keyQueueOf } from './key-queue.js';
import { validateHooks } from '../observability/hooks.js';
import { resolveLockingMode, type LockingMode, type LockingModeOption, type LockingModeRule } from './locking-mode.js';
import { toLevelLogger, type LevelLogger } from '../observability/logger.js';
import { maskKey as defaultMaskKey, type KeyMasker } from '../observability/key-mask.js';
import { resolveMetrics } from '../observability/metrics.js';
import { registerReporter } from '../observability/reporter.js';
import type {
  DeleteSessionOptions,
  InitialDataRequirement,
  ReadSessionOptions,
  SessionRepositoryOptions,
  UpdateSessionOptions,
  VerifySchemaOptions,
} from './repository-options.js';
import { createDataReader, findUnreadableRows, type DataReader, type SchemaReport } from './session-data-reader.js';
import { deleteSession, updateSession, type WriteContext } from './session-writes.js';
import type { Session, SessionChanges } from '../session.js';
import { expectBoolean, expectFunction, expectInteger, expectObject, expectThat } from '../validate.js';
import {
  isSessionStore,
  type ProcessedRecord,
  type SessionRecord,
  type SessionStore,
  type SessionTransition,
} from '../session-store.js';
import {
  MAX_ORIGIN_LENGTH,
  MAX_REASON_LENGTH,
  storedChanges,
  validateCutoff,
  validateKey,
  validateLabel,
} from './input-validation.js';
import {
  expireIdleSessions,
  pruneSessionHistory,
  readSessionHistory,
  type ExpireIdleSessionsOptions,
  type ExpireIdleSessionsResult,
  type SessionHistoryOptions,
} from './lifecycle.js';
import {
  listSessions,
  pruneSessions,
  type ListSessionsOptions,
  type PruneSessionsOptions,
  type PruneSessionsResult,
  type SessionPage,
} from './session-listing.js';

export type {
  DeleteSessionOptions,
  InitialDataRequirement,
  ReadSessionOptions,
  SessionRepositoryOptions,
  UpdateSessionOptions,
  VerifySchemaOptions,
} from './repository-options.js';
export type { SchemaReport, UnreadableRow } from './session-data-reader.js';

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
  /**
   * How this repository treats `expectedVersion`: the `lockingMode` option as given (a share copied
   * and frozen). {@link SessionRepository.lockingModeFor} gives one session's mode.
   */
  readonly lockingMode: LockingModeOption;
  private readonly lockingRule: LockingModeRule;
  private readonly masker: KeyMasker;
  private readonly maxDataLength: number;
  private readonly data: DataReader<TData>;
  /** What the writes (`updateSession`, `deleteSession`) need of this repository. */
  private readonly writes: WriteContext<TData, TState>;

  /**
   * Checks the options; nothing is read or written until the first call.
   *
   * @throws InvalidArgumentError when `store` is not a session store or an option is out of range.
   */
  constructor(options: SessionRepositoryOptions<NoInfer<TData>> & InitialDataRequirement<NoInfer<TData>>) {
    expectObject('options', options);
    const store: unknown = options.store;
    expectThat(isSessionStore(store), 'store', 'be a session store', store, {
      hint: 'Pass e.g. new SqliteSessionStore({ database }).',
    });
    expectFunction('maskKey', options.maskKey, { optional: true });
    const maxDataLength = options.maxDataLength ?? 1_000_000;
    expectInteger('maxDataLength', maxDataLength, { min: 2 });
    expectBoolean('perKeyQueue', options.perKeyQueue, { optional: true });
    // On unless turned off: handlers of one key in one process then never conflict with each other.
    if (options.perKeyQueue !== false) attachKeyQueue(this);
    this.masker = options.maskKey ?? defaultMaskKey;
    this.data = createDataReader<TData>(options, store.names.columns.data, (key) => this.maskKey(key), maxDataLength);
    this.store = store;
    this.logger = toLevelLogger(options.logger);
    this.maxDataLength = maxDataLength;
    this.lockingRule = resolveLockingMode(options.lockingMode, store);
    this.lockingMode = this.lockingRule.option;
    const lockingModeFor = (key: string): LockingMode => this.lockingRule.modeFor(key, () => this.maskKey(key));
    const hooks = validateHooks(options.hooks);
    const reporter = {
      logger: this.logger,
      maskKey: (key: string) => this.maskKey(key),
      dialect: store.dialect,
      lockingModeFor,
      hooks: hooks === undefined ? [] : [hooks],
      metrics: resolveMetrics(options.metrics),
    };
    registerReporter(this, reporter);
    this.writes = {
      owner: this,
      store,
      lockingModeFor,
      reporter,
      maxDataLength,
      maskKey: (key) => this.maskKey(key),
      toSession: (record) => this.toSession(record),
    };
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
   * The locking mode of `key`'s writes: the repository's mode, or, with a share or a function as
   * `lockingMode`, this session's (the same key always gets the same mode under one share).
   *
   * @throws InvalidArgumentError for a bad key, or when the `lockingMode` function returns no mode.
   * @example
   * ```ts
   * const sessions = new SessionRepository({ store, lockingMode: { enforce: 0.1 } });
   * sessions.lockingModeFor('+5215512345678'); // 'enforce' or 'observe', the same on every call and in every process
   * ```
   */
  lockingModeFor(key: string): LockingMode {
    validateKey(key);
    return this.lockingRule.modeFor(key, () => this.maskKey(key));
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
   * The session of `key` and the record of operation `id` for that key, read together (one statement
   * when the store has `readWithProcessed`): what an exactly-once `withSessionRetry` reads before its
   * handler. Without that method, the record is looked up first and the session read only when there
   * is none.
   *
   * @example
   * ```ts
   * const { session, processed } = await repository.readWithProcessed(phone, message.id);
   * ```
   * @internal
   */
  async readWithProcessed(
    key: string,
    id: string,
  ): Promise<{ session: Session<TData, TState> | null; processed: ProcessedRecord | null }> {
    if (this.store.readWithProcessed === undefined) {
      const processed = await this.store.findProcessed(id);
      if (processed !== null) return { session: null, processed };
      return { session: await this.getSessionWithVersion(key), processed: null };
    }
    const read = await this.store.readWithProcessed(key, id);
    return { session: read.session === null ? null : this.toSession(read.session), processed: read.processed };
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
    const stored = storedChanges(initial, this.maxDataLength, 'initial');
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
    return updateSession(this.writes, key, changes, options);
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
    return deleteSession(this.writes, key, options);
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
    expectObject('options', options);
    expectBoolean('data', options.data, { optional: true });
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
    return readSessionHistory(this.store, key, options);
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
    return pruneSessionHistory(this.store, options);
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
        toStoredChanges: (changes, argument) => storedChanges(changes, this.maxDataLength, argument),
        validateLabel: (value, argument) =>
          validateLabel(value, argument === 'origin' ? MAX_ORIGIN_LENGTH : MAX_REASON_LENGTH, argument),
        toSession: (record) => this.toSession(record),
        forget: (key) => keyQueueOf(this)?.forget(key),
      },
      options,
    );
  }

  /**
   * One page of sessions for an admin screen or a script, in (last-activity time, key) order, oldest
   * first: a keyset page (each page starts where the previous one ended, found by the index of
   * migration 0006), never an OFFSET, so page 1,000 costs what page 1 does.
   *
   * Pass `nextCursor` back as `cursor` for the next page, with the same filters. The cursor is opaque
   * text: the last session's time and key (readable, not encrypted: treat it like the keys it lists)
   * and a checksum over them and the table and filters of the query. A cursor that was altered, or
   * that comes from a listing of another table or with other `states`, `updatedBefore` or
   * `updatedAfter`, is refused with an `InvalidArgumentError` naming `options.cursor`. The checksum is
   * not a secret signature: what it guarantees is that a cursor can only ever move where a page of
   * the same query starts, never widen what the query returns.
   *
   * Every session that exists from the first page to the last and is not written meanwhile is listed
   * exactly once. A session written while you page moves to the end of the order (its last activity
   * is now): it is listed there, possibly a second time, and never skipped. To list each session at
   * most once, pass `updatedBefore` set to when the listing began (sessions written since then drop
   * out).
   *
   * @throws InvalidArgumentError for a missing or bad `limit` (1 to 1000), bad states or dates, an
   *   `updatedAfter` not before `updatedBefore`, or a refused cursor, before any statement.
   * @example
   * ```ts
   * let cursor: string | undefined;
   * do {
   *   const page = await repository.listSessions({ states: ['MENU'], limit: 100, ...(cursor ? { cursor } : {}) });
   *   for (const session of page.sessions) console.log(repository.maskKey(session.key), session.state);
   *   cursor = page.nextCursor ?? undefined;
   * } while (cursor !== undefined);
   * ```
   */
  async listSessions(options: ListSessionsOptions): Promise<SessionPage<Session<TData, TState>>> {
    return listSessions(
      { store: this.store, logger: this.logger, toSession: (record) => this.toSession(record) },
      options,
    );
  }

  /**
   * Deletes the sessions last written or touched longer ago than `olderThan` (a duration such as
   * `'90d'`, or a past Date), optionally only those in `states`, in batches of `batchSize`: each batch
   * is one short statement of its own, so no lock is held for the whole clean-up and live chats go on
   * being written in between. A session written after its batch chose it is not deleted. Their
   * history rows and processed operation ids stay until `pruneHistory` and `pruneProcessed` age them
   * out.
   *
   * @throws InvalidArgumentError for a bad duration or date (a Date in the future too), state list or
   *   batch size (1 to 10000), before any statement.
   * @example
   * ```ts
   * const { deleted } = await repository.pruneSessions({ olderThan: '90d', states: ['CANCELADA', 'FINALIZADA'] });
   * ```
   */
  async pruneSessions(options: PruneSessionsOptions): Promise<PruneSessionsResult> {
    return pruneSessions({ store: this.store, logger: this.logger, toSession: (record) => record }, options);
  }

  private toSession(record: SessionRecord): Session<TData, TState> {
    return { ...record, state: record.state as TState | null, data: this.data.toData(record.key, record.data) };
  }
}
