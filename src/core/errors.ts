/**
 * The library's error classes. Every error the library raises about a call, its input, the schema or
 * the installation is an `instanceof VersionedSessionError`, has a stable `name`, and keeps the
 * driver's original error as `cause` where there is one. A driver's own error (a dropped connection,
 * a deadlock) reaches the caller unchanged: `isTransientError` of the dialect's entry classifies it.
 * A plain `Error` means the installed package itself is damaged (a packaged migration that does not
 * parse).
 *
 * @module
 */
import type { Dialect } from './dialect.js';

/**
 * The operations that can report a conflict or a missing row; {@link ConcurrencyError.operation} holds one.
 *
 * @example
 * ```ts
 * if (isConcurrencyError(error) && error.operation === 'deleteSession') return; // someone else wrote first
 * ```
 */
export type SessionOperation = 'updateSession' | 'deleteSession';

const BRAND = Symbol.for('versioned-sessions.error');

/**
 * Base class of every error thrown by the library.
 *
 * @example
 * ```ts
 * try {
 *   await repository.updateSession(key, { state: 'DONE' }, { expectedVersion: 3 });
 * } catch (error) {
 *   if (isVersionedSessionError(error)) logger.warn(error.name, error.message);
 *   else throw error;
 * }
 * ```
 */
export class VersionedSessionError extends Error {
  /** The class name; each subclass sets its own, so `error.name` identifies it across library copies. */
  override name: string = 'VersionedSessionError';

  /**
   * Brands the error so {@link isVersionedSessionError} recognises it across library copies.
   *
   * @param message - what went wrong and what to do about it.
   * @param options - `cause`: the underlying error, kept as `error.cause`.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/**
 * The facts of a refused write as every message about it words them (masked key only): the error's
 * message and the log line of a conflict `lockingMode: 'observe'` let through.
 */
export function describeConflict(conflict: {
  readonly maskedKey: string;
  readonly expectedVersion: number;
  readonly actualVersion: number | null;
  readonly operation: string;
}): string {
  const actual = conflict.actualVersion === null ? 'unknown' : String(conflict.actualVersion);
  return (
    `Concurrency conflict detected for ${conflict.maskedKey}. Expected version: ${conflict.expectedVersion}. ` +
    `Actual version: ${actual}. Another writer updated this session first (${conflict.operation})`
  );
}

/**
 * A write named a version that is no longer the stored one: another writer got there first.
 * Re-read the session and run the handler again, or let {@link withSessionRetry} do it.
 *
 * @example
 * ```ts
 * try {
 *   await repository.updateSession(key, { state: 'REFRI_ESPERA_SAP' }, { expectedVersion: session.version });
 * } catch (error) {
 *   if (isConcurrencyError(error)) console.log(error.expectedVersion, error.actualVersion);
 * }
 * ```
 */
export class ConcurrencyError extends VersionedSessionError {
  /** Always `'ConcurrencyError'`. */
  override name = 'ConcurrencyError' as const;
  /** The session key as given by the caller. Never logged by the library; use `maskedKey`. */
  readonly key: string;
  /** The key as it appears in messages and logs. */
  readonly maskedKey: string;
  /** The version the caller read and asked to update. */
  readonly expectedVersion: number;
  /** The version stored when the write was refused, or `null` when it could not be read. */
  readonly actualVersion: number | null;
  /** The operation that was refused. */
  readonly operation: SessionOperation;

  /** Built by the repository when a conditional write is refused; the fields are copied from `details`. */
  constructor(details: {
    key: string;
    maskedKey: string;
    expectedVersion: number;
    actualVersion: number | null;
    operation: SessionOperation;
    cause?: unknown;
  }) {
    super(
      `${describeConflict(details)}; re-read the session and retry, for example with withSessionRetry().`,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.key = details.key;
    this.maskedKey = details.maskedKey;
    this.expectedVersion = details.expectedVersion;
    this.actualVersion = details.actualVersion;
    this.operation = details.operation;
  }
}

/**
 * A conditional update or delete named a key that has no session.
 *
 * @example
 * ```ts
 * await repository.updateSession('+5215512345678', { state: 'X' }, { expectedVersion: 0 })
 *   .catch((error) => { if (error instanceof SessionNotFoundError) return repository.getOrCreateSession(error.key); throw error; });
 * ```
 */
export class SessionNotFoundError extends VersionedSessionError {
  /** Always `'SessionNotFoundError'`. */
  override name = 'SessionNotFoundError' as const;
  /** The session key as given by the caller. */
  readonly key: string;

  /**
   * Built by the repository when a conditional write names a key that has no session.
   *
   * @param key - the key as given by the caller, kept as `error.key`.
   * @param maskedKey - the key as shown in the message.
   */
  constructor(key: string, maskedKey: string) {
    super(
      `Session ${maskedKey} does not exist. Create it first with getOrCreateSession(), ` +
        'or update without expectedVersion.',
    );
    this.key = key;
  }
}

/**
 * The sessions table, or one of its columns (usually the version column), is missing. The message
 * names the command that adds it.
 *
 * @example
 * ```ts
 * try { await repository.verifySchema(); }
 * catch (error) { if (error instanceof MigrationRequiredError) console.error(error.message); }
 * ```
 */
export class MigrationRequiredError extends VersionedSessionError {
  /** Always `'MigrationRequiredError'`. */
  override name = 'MigrationRequiredError' as const;
  /** The dialect of the store that found the schema incomplete. */
  readonly dialect: Dialect;
  /** What is missing, e.g. `['column "version" of table "public"."sessions"']`. */
  readonly missing: readonly string[];
  /** The command that applies the migrations for this store's configuration. */
  readonly command: string;

  /** Built by a store that finds its schema incomplete; the fields are copied from `details`. */
  constructor(details: { dialect: Dialect; missing: readonly string[]; command: string; cause?: unknown }) {
    super(
      `The ${details.dialect} schema for versioned sessions is incomplete: missing ${details.missing.join(', ')}. ` +
        `Apply the migrations with: ${details.command}`,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.dialect = details.dialect;
    this.missing = Object.freeze([...details.missing]);
    this.command = details.command;
  }
}

/**
 * An argument or option was not acceptable. Nothing was written.
 *
 * @example
 * ```ts
 * try { await repository.updateSession('', { state: 'X' }); }
 * catch (error) { if (error instanceof InvalidArgumentError) console.log(error.argument); } // "key"
 * ```
 */
export class InvalidArgumentError extends VersionedSessionError {
  /** Always `'InvalidArgumentError'`. */
  override name = 'InvalidArgumentError' as const;
  /** The name of the argument or option that was rejected, e.g. `key`, `changes.data`, `columns.version`. */
  readonly argument: string;

  /**
   * Built wherever input is checked, before anything is written.
   *
   * @param argument - the rejected argument or option, kept as `error.argument`.
   * @param message - what was wrong and what is expected. The library's own checks word it as a sentence
   *   naming the argument, ``Expected `maxAttempts` to be an integer ≥ 1, got 0.``, which is kept as it
   *   is; any other message becomes `Invalid <argument>: <message>`.
   * @param options - `cause`: the underlying error, kept as `error.cause`.
   */
  constructor(argument: string, message: string, options?: { cause?: unknown }) {
    super(message.startsWith(`Expected \`${argument}\``) ? message : `Invalid ${argument}: ${message}`, options);
    this.argument = argument;
  }
}

/** Whether `error` is an object whose `name` is `name`: a brand that holds across two copies of the library. */
export function hasName(error: unknown, name: string): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === name;
}

/**
 * Whether `error` was thrown by this library. Works across two loaded copies of the library
 * (its ESM and CommonJS builds), where `instanceof` does not.
 *
 * @example
 * ```ts
 * if (isVersionedSessionError(error)) console.warn(error.name);
 * ```
 */
export function isVersionedSessionError(error: unknown): error is VersionedSessionError {
  return (
    error instanceof VersionedSessionError ||
    (typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true)
  );
}

/**
 * Whether `error` is a {@link ConcurrencyError}, from this or another loaded copy of the library.
 *
 * @example
 * ```ts
 * await withRetry(() => save(), { shouldRetry: isConcurrencyError });
 * ```
 */
export function isConcurrencyError(error: unknown): error is ConcurrencyError {
  return isVersionedSessionError(error) && hasName(error, 'ConcurrencyError');
}
