/**
 * The options of `SessionRepository` and of its read, update and delete calls.
 *
 * @module
 */
import type { SessionHooks } from '../observability/hooks.js';
import type { LockingModeOption } from './locking-mode.js';
import type { KeyMasker } from '../observability/key-mask.js';
import type { MetricsOption } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import type { DecodeDataContext } from '../session-data.js';
import type { SessionStore } from '../session-store.js';

/**
 * Options of {@link SessionRepository}.
 *
 * @typeParam TData - the shape of each session's `data` object.
 * @example
 * ```ts
 * const options: SessionRepositoryOptions = { store: new PostgresSessionStore({ pool }), logger: console };
 * ```
 */
export interface SessionRepositoryOptions<TData = Record<string, unknown>> {
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
   * stale write (hooks, logs, metrics, diagnostics channel); `off` ignores `expectedVersion`. For a
   * rollout by session: a share such as `{ enforce: 0.1 }` enforces the sessions a fixed hash of the
   * key places in the first 10% and observes the rest (see {@link LockingModeShare}); a function
   * `(key) => mode` decides per session. A share outside 0 to 1, or a function that returns no mode,
   * is an `InvalidArgumentError` before any statement.
   * @defaultValue 'enforce'
   * @example
   * ```ts
   * new SessionRepository({ store, lockingMode: { enforce: 0.1 } });
   * new SessionRepository({ store, lockingMode: (key) => (key.startsWith('+52') ? 'enforce' : 'observe') });
   * ```
   */
  readonly lockingMode?: LockingModeOption;
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
   * `false` turns it off (the default before 0.2).
   * @defaultValue true
   */
  readonly perKeyQueue?: boolean;
  /**
   * The data of a session created without data, and of a row whose data is empty (`NULL`, `''`, JSON
   * `null` or `{}`). Required by the types when `TData` has required fields, so that
   * `session.data.ids.length` holds at runtime.
   * @defaultValue `{}`
   */
  readonly initialData?: TData;
  /**
   * Reads a row whose data is not a JSON object (text that is not JSON, a JSON array, number or
   * string), typically left by code from before the library. It gets the stored text (`not-json`) or
   * the parsed JSON (`not-object`) and returns the session's data, which the next update stores as
   * JSON. Without it such a row reads as a `SessionDataError`.
   * @example
   * ```ts
   * new SessionRepository<{ legacy?: unknown }>({ store, decodeData: (raw) => ({ legacy: raw }) });
   * ```
   */
  readonly decodeData?: (raw: unknown, context: DecodeDataContext) => TData;
}

/**
 * What the {@link SessionRepository} constructor adds to its options: `initialData` is required when
 * `{}` is not a valid `TData` (it has required fields), since a new or empty session would otherwise
 * read as `{}`.
 *
 * @typeParam TData - the shape of each session's `data` object.
 * @example
 * ```ts
 * const options: SessionRepositoryOptions<{ ids: string[] }> & InitialDataRequirement<{ ids: string[] }> = { store, initialData: { ids: [] } };
 * ```
 */
export type InitialDataRequirement<TData> =
  Record<never, never> extends TData
    ? unknown
    : {
        /** The data of new and empty sessions; required because `{}` is not a valid `TData`. */
        readonly initialData: TData;
      };

/**
 * Options of {@link SessionRepository.verifySchema}.
 *
 * @example
 * ```ts
 * const options: VerifySchemaOptions = { data: true };
 * const report = await repository.verifySchema(options);
 * ```
 */
export interface VerifySchemaOptions {
  /**
   * Also read every row's data and list the rows that cannot be read as a JSON object.
   * @defaultValue false
   */
  readonly data?: boolean;
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
  /**
   * Who made the change: a short string such as `'bot'`, `'user'`, `'agent'` or `'timeout'` (at most
   * 32 characters; longer is refused, not truncated). Recorded in the transition history when the
   * store has `history: true`; never logged.
   * @example
   * ```ts
   * await repository.updateSession(phone, { state: 'EQUIPO_CONFIRMADO' }, { expectedVersion: session.version, origin: 'user', reason: 'Equipo confirmado' });
   * ```
   */
  readonly origin?: string | undefined;
  /** Why, in a few words (at most 255 characters; longer is refused). Recorded like `origin`; never logged. */
  readonly reason?: string | undefined;
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
