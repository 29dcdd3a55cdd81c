/**
 * Session data as read from a row: a JSON object, or something a store found there that is not one
 * (text that is not JSON, a JSON array, number or string), which the repository decodes with the
 * user's `decodeData` or refuses with a {@link SessionDataError} naming the column and the masked key.
 *
 * @module
 */
import { VersionedSessionError, isVersionedSessionError } from './errors.js';

/**
 * Why stored data could not be read as a session's JSON object.
 * - `not-json`: the column holds text that is not JSON.
 * - `not-object`: it holds JSON that is not an object (an array, a number, a string, `true`).
 *
 * @example
 * ```ts
 * const reason: SessionDataProblem = error.reason; // 'not-json' or 'not-object'
 * ```
 */
export type SessionDataProblem = 'not-json' | 'not-object';

/**
 * What `decodeData` is told about the row it decodes.
 *
 * @example
 * ```ts
 * const decodeData = (raw: unknown, context: DecodeDataContext) => ({ legacy: raw, column: context.column });
 * ```
 */
export interface DecodeDataContext {
  /** The session key. Never logged by the library; use `maskedKey`. */
  readonly key: string;
  /** The key as it appears in messages and logs. */
  readonly maskedKey: string;
  /** The data column's name in the table. */
  readonly column: string;
  /** Why the stored value is not a JSON object. */
  readonly reason: SessionDataProblem;
}

/**
 * A stored value that is not a JSON object, as a store hands it to the repository: the text as stored
 * (`not-json`) or the parsed JSON (`not-object`).
 *
 * @example
 * ```ts
 * if (record.data instanceof UndecodedData) console.log(record.data.reason);
 * ```
 */
export class UndecodedData {
  /**
   * Wraps a stored value that is not a session's JSON object.
   *
   * @param raw - the text as stored (`not-json`) or the parsed JSON value (`not-object`).
   * @param reason - why it is not a session's JSON object.
   */
  constructor(
    readonly raw: unknown,
    readonly reason: SessionDataProblem,
  ) {}
}

/**
 * Stored data as a session's data: a JSON object, `{}` for an empty column (NULL, `''`, JSON `null`),
 * or an {@link UndecodedData} for anything else. Driver values that are already parsed (PostgreSQL
 * `jsonb`) are checked the same way.
 */
export function readStoredData(stored: unknown): unknown {
  if (stored === null || stored === undefined || stored === '') return {};
  let value: unknown = stored;
  if (typeof stored === 'string') {
    try {
      value = JSON.parse(stored) as unknown;
    } catch {
      return new UndecodedData(stored, 'not-json');
    }
  }
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) return new UndecodedData(value, 'not-object');
  return value;
}

const DESCRIPTIONS: Readonly<Record<SessionDataProblem, string>> = {
  'not-json': 'it is not JSON',
  'not-object': 'it is JSON but not an object (an array, a number or a string)',
};

/**
 * A session's stored data cannot be read as a JSON object: text that is not JSON, or JSON that is not
 * an object, typically left by code from before the library. The message names the column and the
 * masked key, never the data. Give the repository a `decodeData` function to read such rows (the next
 * update stores its result as JSON), or fix the row; `repository.verifySchema({ data: true })` lists
 * every such row.
 *
 * @example
 * ```ts
 * try {
 *   await repository.getSession(phone);
 * } catch (error) {
 *   if (isSessionDataError(error)) logger.error(`${error.column} of ${error.maskedKey}: ${error.reason}`);
 *   throw error;
 * }
 * ```
 */
export class SessionDataError extends VersionedSessionError {
  /** Always `'SessionDataError'`. */
  override name = 'SessionDataError' as const;
  /** The session key as given by the caller. Never logged by the library; use `maskedKey`. */
  readonly key: string;
  /** The key as it appears in messages and logs. */
  readonly maskedKey: string;
  /** The data column's name in the table. */
  readonly column: string;
  /** Why the stored value is not a JSON object. */
  readonly reason: SessionDataProblem;

  /** Built by the repository when a row's data cannot be read; the fields are copied from `details`. */
  constructor(details: {
    key: string;
    maskedKey: string;
    column: string;
    reason: SessionDataProblem;
    cause?: unknown;
  }) {
    super(
      `Session data of ${details.maskedKey} in column "${details.column}" cannot be read: ${DESCRIPTIONS[details.reason]}. ` +
        'Give the repository a decodeData function to read such rows (the next update stores its result as JSON), ' +
        'or correct the row; repository.verifySchema({ data: true }) lists every row like it.',
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.key = details.key;
    this.maskedKey = details.maskedKey;
    this.column = details.column;
    this.reason = details.reason;
  }
}

/**
 * Whether `error` is a {@link SessionDataError}, from this or another loaded copy of the library.
 *
 * @example
 * ```ts
 * if (isSessionDataError(error)) return res.status(500).send(`unreadable session ${error.maskedKey}`);
 * ```
 */
export function isSessionDataError(error: unknown): error is SessionDataError {
  return isVersionedSessionError(error) && (error as { name?: unknown }).name === 'SessionDataError';
}
