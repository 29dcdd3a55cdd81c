/**
 * The exactly-once part of `withSessionRetry`: the idempotency key is looked up with the session, in
 * the same read, so a delivery found applied never runs the handler; the handler runs in a scope that
 * gives its updates of the session the call's key (given once, to `withSessionRetry`); a duplicate met
 * by the handler's own update becomes the same typed result; a handler that wrote nothing is recorded
 * as processed; and passing faults are retried, which is safe once the key guards the write.
 *
 * @module
 */
import {
  isDuplicateOperationError,
  duplicateOperation,
  type IdempotentResult,
} from '../repository/duplicate-operation.js';
import { isConcurrencyError } from '../errors.js';
import { runInHandlerScope, type HandlerScope } from '../repository/handler-scope.js';
import type { SessionRepository } from '../repository/repository.js';
import type { ProcessedRecord } from '../session-store.js';
import type { Session } from '../session.js';

/** How one idempotent `withSessionRetry` call treats its attempts. */
export interface IdempotentAttempts<T, TData, TState extends string> {
  /** The errors retried when the caller gives no `shouldRetry`: conflicts and passing faults. */
  readonly shouldRetry: (error: unknown) => boolean;
  /**
   * Whether an update of this call has recorded the key: from then on nothing is retried, since
   * running the handler again would apply its first update twice.
   */
  readonly recorded: () => boolean;
  /**
   * The session and, when the key is already recorded for it, the duplicate result, from one read:
   * a recorded key resolves without the handler.
   */
  read(): Promise<{
    readonly session: Session<TData, TState> | null;
    readonly duplicate: IdempotentResult<T, TData, TState> | undefined;
  }>;
  /**
   * Runs the handler in the call's scope and gives its outcome as a result: its value (recording the
   * key when the handler wrote nothing), or the duplicate its update met.
   */
  settle(handler: () => T | PromiseLike<T>): Promise<IdempotentResult<T, TData, TState>>;
}

/** Prepares the attempts of an idempotent `withSessionRetry` for `key` and a checked `idempotencyKey`. */
export function idempotentAttempts<T, TData, TState extends string>(
  repository: SessionRepository<TData, TState>,
  key: string,
  idempotencyKey: string,
): IdempotentAttempts<T, TData, TState> {
  const scope: HandlerScope = { repository, key, idempotencyKey, recorded: false };
  const duplicateOf = (processed: ProcessedRecord | null): IdempotentResult<T, TData, TState> | undefined =>
    processed === null
      ? undefined
      : {
          status: 'duplicate',
          ...duplicateOperation<TData, TState>(repository, 'withSessionRetry', key, idempotencyKey, processed),
        };
  // After a refused markProcessed: the key's record, else one recorded without the session key (by
  // markProcessed before the key was recorded with it) or for another session.
  const findDuplicate = async (): Promise<IdempotentResult<T, TData, TState> | undefined> => {
    const { processed } = await repository.readWithProcessed(key, idempotencyKey);
    return duplicateOf(processed ?? (await repository.store.findProcessed(idempotencyKey)));
  };
  return {
    shouldRetry: (error) => isConcurrencyError(error) || repository.store.isTransientError(error),
    recorded: () => scope.recorded,
    async read() {
      const { session, processed } = await repository.readWithProcessed(key, idempotencyKey);
      return { session, duplicate: duplicateOf(processed) };
    },
    async settle(handler) {
      let value: T;
      try {
        value = await runInHandlerScope(scope, handler);
      } catch (error) {
        // Only this call's key: a duplicate of another operation inside the handler is the handler's business.
        if (isDuplicateOperationError<TData, TState>(error) && error.idempotencyKey === idempotencyKey) {
          return { status: 'duplicate', ...error.toDuplicate() };
        }
        throw error;
      }
      // A handler that wrote nothing has still handled the message: record it, so that a redelivery
      // is a duplicate rather than a second run. Another delivery may have recorded it meanwhile.
      // Recorded with the session key, so the next delivery's read finds it.
      if (!scope.recorded && !(await repository.store.markProcessed(idempotencyKey, key))) {
        const duplicate = await findDuplicate();
        if (duplicate !== undefined) return duplicate;
      }
      scope.recorded = true;
      return { status: 'applied', value };
    },
  };
}
