/**
 * The exactly-once part of `withSessionRetry`: before each attempt the idempotency key is looked up,
 * so a delivery that was already applied never runs the handler; a duplicate met by the handler's own
 * update becomes the same typed result; and passing faults are retried, which is safe once the key
 * guards the write.
 *
 * @module
 */
import {
  isDuplicateOperationError,
  duplicateOperation,
  type IdempotentResult,
} from '../repository/duplicate-operation.js';
import { isConcurrencyError } from '../errors.js';
import type { SessionRepository } from '../repository/repository.js';

/** How one idempotent `withSessionRetry` call treats its attempts. */
export interface IdempotentAttempts<T, TData> {
  /** The errors retried when the caller gives no `shouldRetry`: conflicts and passing faults. */
  readonly shouldRetry: (error: unknown) => boolean;
  /** The duplicate result when the key is already recorded, else `undefined`. */
  findDuplicate(): Promise<IdempotentResult<T, TData> | undefined>;
  /** The handler's outcome as a result: its value, or the duplicate its update met. */
  settle(handler: Promise<T>): Promise<IdempotentResult<T, TData>>;
}

/** Prepares the attempts of an idempotent `withSessionRetry` for `key` and a checked `idempotencyKey`. */
export function idempotentAttempts<T, TData>(
  repository: SessionRepository<TData>,
  key: string,
  idempotencyKey: string,
): IdempotentAttempts<T, TData> {
  return {
    shouldRetry: (error) => isConcurrencyError(error) || repository.store.isTransientError(error),
    async findDuplicate() {
      const processed = await repository.store.findProcessed(idempotencyKey);
      if (processed === null) return undefined;
      return {
        status: 'duplicate',
        ...duplicateOperation<TData>(repository, 'withSessionRetry', key, idempotencyKey, processed),
      };
    },
    async settle(handler) {
      try {
        return { status: 'applied', value: await handler };
      } catch (error) {
        // Only this call's key: a duplicate of another operation inside the handler is the handler's business.
        if (isDuplicateOperationError<TData>(error) && error.idempotencyKey === idempotencyKey) {
          return { status: 'duplicate', ...error.toDuplicate() };
        }
        throw error;
      }
    },
  };
}
