/**
 * The store contract: the seam between the repository and a database ({@link SessionStore}), the
 * shapes that cross it, the runtime check that a value is a store, and the input size limits every
 * store's columns are sized for.
 *
 * @module
 */
import type { Dialect } from './dialect.js';
import type { ResolvedNames } from './sql/table-names.js';

/** The longest key accepted, in UTF-16 code units (fits NVARCHAR(255), VARCHAR(255) and TEXT alike). */
export const MAX_KEY_LENGTH = 255;
/** The longest state accepted, in UTF-16 code units. */
export const MAX_STATE_LENGTH = 255;
/** The largest version accepted: the top of a 32-bit INT column. */
export const MAX_VERSION = 2_147_483_647;

/**
 * A session row as a store returns it, with `data` already parsed but not yet typed; the repository
 * turns it into a {@link Session}.
 *
 * @example
 * ```ts
 * const record: SessionRecord | null = await store.read('+5215512345678');
 * ```
 */
export interface SessionRecord {
  /** The session key. */
  key: string;
  /** The flow state, or `null`. */
  state: string | null;
  /** The parsed JSON data. */
  data: unknown;
  /** The stored version; `0` for a legacy row whose version is `NULL`. */
  version: number;
  /** When the row was created. */
  createdAt: Date;
  /** When the row was last written or touched. */
  updatedAt: Date;
}

/**
 * What a store's conditional write did: written, refused because the version moved on, or refused
 * because the row is missing. The repository turns the last two into typed errors.
 *
 * @example
 * ```ts
 * const outcome: WriteOutcome<SessionRecord> = await store.update(key, { state: 'MENU' }, 3);
 * if (outcome.status === 'conflict') console.log(outcome.actualVersion);
 * ```
 */
export type WriteOutcome<T> =
  | {
      /** The write happened. */
      readonly status: 'done';
      /** What was written. */
      readonly value: T;
    }
  | {
      /** Another writer changed the version first. */
      readonly status: 'conflict';
      /** The version stored now, or `null` when it could not be read. */
      readonly actualVersion: number | null;
    }
  | {
      /** No row has the key. */
      readonly status: 'missing';
    };

/**
 * An operation id as recorded in the processed-operations table.
 *
 * @example
 * ```ts
 * const record: ProcessedRecord | null = await store.findProcessed('wamid.HBgN…');
 * console.log(record?.session?.version);
 * ```
 */
export interface ProcessedRecord {
  /** The operation id (idempotency key or `markProcessed` id). */
  readonly id: string;
  /** The session key the operation updated, or `null` for a `markProcessed` id. */
  readonly key: string | null;
  /** The session as the operation committed it, or `null` for a `markProcessed` id. */
  readonly session: SessionRecord | null;
  /** The token of the call that recorded it; a call recognises its own commit by it. */
  readonly commitToken: string | null;
  /** When the id was recorded. */
  readonly processedAt: Date;
}

/**
 * A session and the record of one operation id for its key, read together (`readWithProcessed`).
 *
 * @example
 * ```ts
 * const { session, processed }: SessionWithProcessed = await store.readWithProcessed!(phone, message.id);
 * if (processed !== null) console.log('applied before, at version', processed.session?.version);
 * ```
 */
export interface SessionWithProcessed {
  /** The session, or `null` when the key has none. */
  readonly session: SessionRecord | null;
  /** The record of the operation id for this session key, or `null` when it is not recorded for it. */
  readonly processed: ProcessedRecord | null;
}

/**
 * An update that is applied at most once per idempotency key.
 *
 * @example
 * ```ts
 * const write: IdempotentWrite = { key: phone, changes: { state: 'PAGADO' }, expectedVersion: 3, idempotencyKey: message.id };
 * ```
 */
export interface IdempotentWrite {
  /** The session key. */
  readonly key: string;
  /** The validated changes. */
  readonly changes: StoredChanges;
  /** The version the caller read, or `null` for an unconditional write. */
  readonly expectedVersion: number | null;
  /** The operation id that may be applied once. */
  readonly idempotencyKey: string;
  /** The caller's own transaction; without it the store runs one of its own. */
  readonly transaction?: unknown;
}

/**
 * What an idempotent update did: a write outcome, or the record of the operation applied before.
 *
 * @example
 * ```ts
 * const outcome: IdempotentWriteOutcome = await store.updateOnce(write);
 * if (outcome.status === 'duplicate') console.log(outcome.processed.processedAt);
 * ```
 */
export type IdempotentWriteOutcome =
  | WriteOutcome<SessionRecord>
  | {
      /** The idempotency key was already recorded; nothing was written. */
      readonly status: 'duplicate';
      /** The record of the operation applied before. */
      readonly processed: ProcessedRecord;
    };

/**
 * What an unconditional write in `observe` mode did: written (with the version it replaced, read by
 * the same statement) or nothing there.
 *
 * @example
 * ```ts
 * const written = await store.updateObserved!(key, { state: 'A' });
 * if (written.status === 'done' && written.previousVersion !== expectedVersion) console.warn('stale write');
 * ```
 */
export type ObservedWriteOutcome<T> =
  | {
      /** The write happened. */
      readonly status: 'done';
      /** What was written. */
      readonly value: T;
      /** The version the write replaced (a legacy NULL reads as 0). */
      readonly previousVersion: number;
    }
  | {
      /** No row has the key. */
      readonly status: 'missing';
    };

/**
 * The changes a store writes, validated and with `data` already serialised to JSON text.
 *
 * @example
 * ```ts
 * const changes: StoredChanges = { state: 'MENU', dataJson: JSON.stringify({ paso: 1 }) };
 * ```
 */
export interface StoredChanges {
  /** The new flow state (`null` clears it); left out, unchanged. */
  state?: string | null;
  /** The new data as JSON text; left out, unchanged. */
  dataJson?: string;
  /** Who made the change (`'bot'`, `'user'`, `'timeout'` …), recorded in the history when it is on. */
  origin?: string;
  /** Why, in a few words, recorded in the history when it is on. */
  reason?: string;
}

/**
 * One recorded transition of a session: a versioned write as the history table keeps it.
 *
 * @example
 * ```ts
 * const [last]: SessionTransition[] = await repository.getSessionHistory(phone, { limit: 1 });
 * console.log(`${last?.previousState} -> ${last?.state} by ${last?.origin}`);
 * ```
 */
export interface SessionTransition {
  /** The session key. */
  readonly key: string;
  /** The version the write produced. */
  readonly version: number;
  /** The state before the write. */
  readonly previousState: string | null;
  /** The state the write left. */
  readonly state: string | null;
  /** Who made the change, as passed to the write, or `null`. */
  readonly origin: string | null;
  /** Why, as passed to the write, or `null`. */
  readonly reason: string | null;
  /** When the write happened (the database's clock). */
  readonly changedAt: Date;
}

/**
 * One row's key and data as `readDataPage` returns it, for `verifySchema({ data: true })`.
 *
 * @example
 * ```ts
 * const rows: readonly StoredDataRow[] = await store.readDataPage!(null, 500);
 * ```
 */
export interface StoredDataRow {
  /** The session key. */
  readonly key: string;
  /** The row's data: a JSON object, or an `UndecodedData` when it is not one. */
  readonly data: unknown;
}

/**
 * Where a page of sessions ended: the last session's last-activity time as the database itself
 * renders it (compared back exactly, whatever the column's precision) and its key.
 *
 * @example
 * ```ts
 * const position: PagePosition = { time: '2026-01-01 10:00:00.123456+00', key: '+5215512345678' };
 * ```
 */
export interface PagePosition {
  /** The last-activity time in the database's own text (or number, for an SQLite column holding one). */
  readonly time: string | number;
  /** The session key. */
  readonly key: string;
}

/**
 * One page of a session listing as the store reads it: the filters, where the previous page ended,
 * and how many rows to read.
 *
 * @example
 * ```ts
 * const query: SessionPageQuery = { states: ['MENU'], updatedBefore: null, updatedAfter: null, after: null, limit: 51 };
 * ```
 */
export interface SessionPageQuery {
  /** Only sessions in one of these states, or `null` for every state (a `NULL` state included). */
  readonly states: readonly string[] | null;
  /** Only sessions last written or touched before this time (exclusive), or `null`. */
  readonly updatedBefore: Date | null;
  /** Only sessions last written or touched at or after this time (inclusive), or `null`. */
  readonly updatedAfter: Date | null;
  /** Only sessions after this position in (last-activity time, key) order, or `null` for the first page. */
  readonly after: PagePosition | null;
  /** The most rows to read. */
  readonly limit: number;
}

/**
 * A session of a listing page, with its position for the next page's cursor.
 *
 * @example
 * ```ts
 * const rows: readonly ListedSessionRecord[] = await store.readPage!(query);
 * ```
 */
export interface ListedSessionRecord {
  /** The session. */
  readonly record: SessionRecord;
  /** Where it stands in (last-activity time, key) order. */
  readonly position: PagePosition;
}

/**
 * The seam between the repository and a database. The library's stores implement it on top of one
 * shared SQL core; implement it yourself only for a database the library does not ship.
 *
 * @example
 * ```ts
 * const store: SessionStore = new SqliteSessionStore({ database });
 * await store.verifySchema();
 * ```
 */
export interface SessionStore {
  /** The dialect, used in messages and metrics. */
  readonly dialect: Dialect;
  /** The names this store reads and writes. */
  readonly names: ResolvedNames;
  /** Reads one session, or `null`. */
  read(key: string, transaction?: unknown): Promise<SessionRecord | null>;
  /** Inserts the session unless it exists, race-free, and returns the stored row either way. */
  createIfAbsent(key: string, state: string | null, dataJson: string): Promise<SessionRecord>;
  /** Writes `changes`, conditionally on `expectedVersion` unless it is `null`, and bumps the version. */
  update(
    key: string,
    changes: StoredChanges,
    expectedVersion: number | null,
    transaction?: unknown,
  ): Promise<WriteOutcome<SessionRecord>>;
  /**
   * Writes `changes` like `update` and records `idempotencyKey` in the same transaction; when the key
   * is already recorded it writes nothing and returns the recorded operation as a duplicate.
   */
  updateOnce(write: IdempotentWrite): Promise<IdempotentWriteOutcome>;
  /** The record of an operation id, or `null` when it was never recorded (or was pruned). */
  findProcessed(id: string, transaction?: unknown): Promise<ProcessedRecord | null>;
  /**
   * The session of `key` and the record of operation `id` for that key, read together (one statement
   * in the library's stores): what an exactly-once `withSessionRetry` reads before running its
   * handler. Optional for custom stores; without it the record is looked up with `findProcessed` and
   * the session read with `read`.
   */
  readWithProcessed?(key: string, id: string): Promise<SessionWithProcessed>;
  /** Whether a driver error is a passing fault (a dropped connection, a deadlock) worth retrying. */
  isTransientError(error: unknown): boolean;
  /** Deletes the session, conditionally on `expectedVersion` unless it is `null`. */
  delete(key: string, expectedVersion: number | null): Promise<WriteOutcome<true>>;
  /**
   * Writes `changes` unconditionally and bumps the version, returning the version the write replaced
   * as read by the same statement (for `lockingMode: 'observe'`). Optional for custom stores; a
   * repository in `observe` mode requires it.
   */
  updateObserved?(
    key: string,
    changes: StoredChanges,
    transaction?: unknown,
  ): Promise<ObservedWriteOutcome<SessionRecord>>;
  /** Deletes unconditionally, returning the version deleted as read by the same statement. Optional, as above. */
  deleteObserved?(key: string): Promise<ObservedWriteOutcome<true>>;
  /** Sets the last-activity time; `false` when there is no such session. */
  touch(key: string): Promise<boolean>;
  /** Throws `MigrationRequiredError` when the table or one of its columns is missing. */
  verifySchema(): Promise<void>;
  /**
   * Up to `limit` rows' keys and data (a JSON object, or an `UndecodedData`), in key order, after
   * `afterKey` (from the first key when `null`). Optional for custom stores;
   * `verifySchema({ data: true })` requires it.
   */
  readDataPage?(afterKey: string | null, limit: number): Promise<readonly StoredDataRow[]>;
  /**
   * Records `id`, for session `key` when given (so that `readWithProcessed` finds it); `true` the first
   * time, `false` when it was already recorded.
   */
  markProcessed(id: string, key?: string): Promise<boolean>;
  /** Whether `id` was recorded. */
  isProcessed(id: string): Promise<boolean>;
  /** Forgets ids recorded before `olderThan`; returns how many. */
  pruneProcessed(olderThan: Date): Promise<number>;
  /**
   * Up to `limit` sessions last written or touched before `idleBefore`, oldest first, optionally only
   * those in `states`. Optional for custom stores; `expireIdleSessions` requires it.
   */
  findIdle?(idleBefore: Date, states: readonly string[] | null, limit: number): Promise<SessionRecord[]>;
  /**
   * Up to `query.limit` sessions in (last-activity time, key) order after `query.after`, filtered.
   * Optional for custom stores; `listSessions` requires it.
   */
  readPage?(query: SessionPageQuery): Promise<ListedSessionRecord[]>;
  /**
   * Deletes up to `limit` sessions last written or touched before `olderThan` (in `states` when given),
   * in one statement; returns how many. Optional for custom stores; `pruneSessions` requires it.
   */
  deleteStale?(olderThan: Date, states: readonly string[] | null, limit: number): Promise<number>;
  /** A key's transitions, newest first, those with a version below `before` when given. Optional. */
  readHistory?(key: string, limit: number, before: number | null): Promise<SessionTransition[]>;
  /** Deletes transitions recorded before `olderThan`; returns how many. Optional. */
  pruneHistory?(olderThan: Date): Promise<number>;
}

/**
 * Whether `value` can serve as a store: an object with the contract's methods. A runtime check of a
 * caller's configuration, not a proof that every method behaves.
 */
export function isSessionStore(value: unknown): value is SessionStore {
  return typeof value === 'object' && value !== null && typeof (value as Partial<SessionStore>).update === 'function';
}
