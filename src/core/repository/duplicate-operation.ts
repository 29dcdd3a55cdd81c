/**
 * How a duplicate operation is reported: the same {@link DuplicateOperation} facts reach the caller as
 * a {@link DuplicateOperationError} from `updateSession`, as the `duplicate` result of an idempotent
 * `withSessionRetry`, and (as a `DuplicateContext`) to the `onDuplicate` hook and the duplicate channel.
 *
 * @module
 */
import { VersionedSessionError, hasName, isVersionedSessionError } from '../errors.js';
import type { ProcessedRecord } from '../session-store.js';
import type { Session } from '../session.js';

/**
 * The operations that can meet an idempotency key that was already used.
 *
 * @example
 * ```ts
 * const foundBy: IdempotentOperation = duplicate.operation; // 'updateSession' or 'withSessionRetry'
 * ```
 */
export type IdempotentOperation = 'updateSession' | 'withSessionRetry';

/**
 * What is known about an operation whose idempotency key had already been recorded: it was applied
 * once, and this call applied nothing.
 *
 * @typeParam TData - the shape of the session's `data`.
 * @typeParam TState - the flow's states.
 * @example
 * ```ts
 * function acknowledge(duplicate: DuplicateOperation): void {
 *   logger.info(`duplicate ${duplicate.maskedIdempotencyKey}, committed as version ${duplicate.committedVersion}`);
 * }
 * ```
 */
export interface DuplicateOperation<TData = Record<string, unknown>, TState extends string = string> {
  /** The operation that found the key already recorded. */
  readonly operation: IdempotentOperation;
  /** The idempotency key as given (a WhatsApp message id, say). Never logged by the library. */
  readonly idempotencyKey: string;
  /** The idempotency key as it appears in messages and logs (masked like session keys). */
  readonly maskedIdempotencyKey: string;
  /** The session key this call named. Never logged by the library; use `maskedKey`. */
  readonly key: string;
  /** The session key as it appears in messages and logs. */
  readonly maskedKey: string;
  /**
   * The session as the first delivery committed it, or `null` when the key was recorded without a
   * session update (by `markProcessed`) or for another session key.
   */
  readonly session: Session<TData, TState> | null;
  /** The version the first delivery committed, or `null` when `session` is `null`. */
  readonly committedVersion: number | null;
  /** When the key was recorded (the database's clock). */
  readonly processedAt: Date;
}

/**
 * What an idempotent `withSessionRetry` resolves to: the handler's value when this call applied the
 * operation, or the facts of the duplicate when an earlier delivery already had (the handler's
 * effect was not applied again). Tell them apart by `status`.
 *
 * @typeParam T - what the handler returns.
 * @typeParam TData - the shape of the session's `data`.
 * @typeParam TState - the flow's states.
 * @example
 * ```ts
 * const result = await withSessionRetry(repository, phone, handle, { idempotencyKey: message.id });
 * if (result.status === 'duplicate') return { status: 200 }; // result.session: as first committed
 * console.log(result.value);
 * ```
 */
export type IdempotentResult<T, TData = Record<string, unknown>, TState extends string = string> =
  | {
      /** The handler ran and its update committed. */
      readonly status: 'applied';
      /** What the handler returned. */
      readonly value: T;
    }
  | ({
      /** The idempotency key was already recorded; the handler did not run. */
      readonly status: 'duplicate';
    } & DuplicateOperation<TData, TState>);

// The fields of a DuplicateOperation at runtime; the type makes the compiler hold it to the interface.
const DUPLICATE_FIELDS: { readonly [Field in keyof DuplicateOperation]: true } = {
  operation: true,
  idempotencyKey: true,
  maskedIdempotencyKey: true,
  key: true,
  maskedKey: true,
  session: true,
  committedVersion: true,
  processedAt: true,
};

/** The facts of a duplicate copied out of `source` (a plain object or an error), frozen. */
function pickDuplicate<TData, TState extends string>(
  source: DuplicateOperation<TData, TState>,
): DuplicateOperation<TData, TState> {
  const facts: Record<string, unknown> = {};
  for (const field of Object.keys(DUPLICATE_FIELDS) as (keyof DuplicateOperation)[]) facts[field] = source[field];
  return Object.freeze(facts) as unknown as DuplicateOperation<TData, TState>;
}

/**
 * `updateSession` was called with an idempotency key that was already recorded: the operation was
 * applied once before (by another delivery of the same message), so this call wrote nothing. It is
 * not a conflict and must not be retried; acknowledge the delivery (answer the webhook with 200) and
 * use `session`, the session as that first delivery committed it.
 *
 * @typeParam TData - the shape of the session's `data`.
 * @typeParam TState - the flow's states.
 * @example
 * ```ts
 * try {
 *   await repository.updateSession(phone, { state: 'PAGADO' }, { expectedVersion: session.version, idempotencyKey: message.id });
 * } catch (error) {
 *   if (isDuplicateOperationError(error)) return reply(200, error.session?.state); // applied once already
 *   throw error;
 * }
 * ```
 */
export class DuplicateOperationError<TData = Record<string, unknown>, TState extends string = string>
  extends VersionedSessionError
  implements DuplicateOperation<TData, TState>
{
  override name = 'DuplicateOperationError' as const;
  // Declared only: the constructor copies them from the facts it is given.
  declare readonly operation: IdempotentOperation;
  declare readonly idempotencyKey: string;
  declare readonly maskedIdempotencyKey: string;
  declare readonly key: string;
  declare readonly maskedKey: string;
  declare readonly session: Session<TData, TState> | null;
  declare readonly committedVersion: number | null;
  declare readonly processedAt: Date;

  /** Built by the repository when an idempotency key was already recorded; the fields are copied from `duplicate`. */
  constructor(duplicate: DuplicateOperation<TData, TState>) {
    super(describeDuplicate(duplicate));
    Object.assign(this, pickDuplicate(duplicate));
  }

  /**
   * The facts of this duplicate as a plain frozen object, the same shape `withSessionRetry` returns.
   *
   * @example
   * ```ts
   * const facts = error.toDuplicate(); // { operation, idempotencyKey, session, committedVersion, … }
   * ```
   */
  toDuplicate(): DuplicateOperation<TData, TState> {
    return pickDuplicate(this);
  }
}

/** The message of a duplicate: masked names only, and what to do. */
export function describeDuplicate(duplicate: DuplicateOperation<unknown>): string {
  const committed =
    duplicate.committedVersion === null
      ? 'recorded without a session update'
      : `committed as version ${duplicate.committedVersion}`;
  return (
    `Duplicate operation ${duplicate.maskedIdempotencyKey} for ${duplicate.maskedKey} (${duplicate.operation}): ` +
    `it was already applied (${committed} at ${duplicate.processedAt.toISOString()}), so nothing was written. ` +
    'This is a repeated delivery, not a conflict: acknowledge it and do not retry.'
  );
}

/**
 * The facts of a duplicate, built from the recorded operation (reporting it is the reporter's
 * `reportDuplicate`). The committed session is given only when it is the session this call named: a
 * key reused for another session says nothing about this one.
 */
export function duplicateOperation<TData, TState extends string = string>(
  masker: { maskKey(key: string): string },
  operation: IdempotentOperation,
  key: string,
  idempotencyKey: string,
  processed: ProcessedRecord,
): DuplicateOperation<TData, TState> {
  const session = processed.key === key && processed.session !== null ? processed.session : null;
  const duplicate: DuplicateOperation<TData, TState> = Object.freeze({
    operation,
    idempotencyKey,
    maskedIdempotencyKey: masker.maskKey(idempotencyKey),
    key,
    maskedKey: masker.maskKey(key),
    session:
      session === null ? null : { ...session, state: session.state as TState | null, data: session.data as TData },
    committedVersion: session === null ? null : session.version,
    processedAt: processed.processedAt,
  });
  return duplicate;
}

/**
 * Whether `error` is a {@link DuplicateOperationError}, from this or another loaded copy of the
 * library (its ESM and CommonJS builds). Given the repository the error came from, the guard keeps
 * its data and state types (`error.session` is that repository's `Session`); the repository is only
 * used for its type.
 *
 * @param repository - the repository whose session types the error carries.
 * @example
 * ```ts
 * if (isDuplicateOperationError(error, sessions)) return { status: 200, state: error.session?.state };
 * ```
 */
export function isDuplicateOperationError<TData = Record<string, unknown>, TState extends string = string>(
  error: unknown,
  repository?: { getSession(key: string): Promise<Session<TData, TState> | null> },
): error is DuplicateOperationError<TData, TState> {
  void repository;
  return isVersionedSessionError(error) && hasName(error, 'DuplicateOperationError');
}
