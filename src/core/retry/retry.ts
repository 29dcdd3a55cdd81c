/**
 * `withRetry` and `withSessionRetry`: re-run a read-modify-write when another writer got there first.
 * The attempt loop, abort handling and option checks are p-retry's; the backoff policy is ours so that
 * each wait can be logged and reported before it starts.
 *
 * @module
 */
import pRetry from 'p-retry';
import type { IdempotentResult } from '../repository/duplicate-operation.js';
import { SessionNotFoundError, isConcurrencyError } from '../errors.js';
import { expectBoolean, expectFunction, expectObject } from '../validate.js';
import { idempotentAttempts } from './idempotent-attempts.js';
import { keyQueueOf } from '../repository/key-queue.js';
import {
  reporterForRetry,
  reporterForSession,
  recordAttempts,
  reportDuplicate,
  reportExhausted,
  reportRetry,
  runAttempt,
  type Reporter,
  type RetryDetails,
} from '../observability/reporter.js';
import type { SessionRepository } from '../repository/repository.js';
import { resolvePolicy, retryDelay, sleep, type RetryOptions, type RetryPolicy } from './retry-policy.js';
import type { Session, SessionChanges } from '../session.js';
import { validateKey } from '../repository/input-validation.js';

export type { JitterStrategy, RetryOptions } from './retry-policy.js';

/**
 * Options of {@link withSessionRetry}.
 *
 * @typeParam TData - the shape of the session's `data`.
 * @typeParam TState - the flow's states.
 * @example
 * ```ts
 * const options: SessionRetryOptions<{ paso: number }> = { initial: { state: 'INICIO', data: { paso: 0 } } };
 * ```
 */
export interface SessionRetryOptions<
  TData = Record<string, unknown>,
  TState extends string = string,
> extends RetryOptions {
  /**
   * Create the session (with `initial`) when it does not exist; when `false` a missing session throws
   * {@link SessionNotFoundError}.
   * @defaultValue true
   */
  readonly createIfMissing?: boolean;
  /** The state and data of a session created by this call; without data, the repository's `initialData`. */
  readonly initial?: SessionChanges<TData, TState>;
}

/**
 * Options of an exactly-once {@link withSessionRetry}: with an `idempotencyKey` the call resolves to an
 * {@link IdempotentResult} instead of the handler's bare value.
 *
 * @typeParam TData - the shape of the session's `data`.
 * @typeParam TState - the flow's states.
 * @example
 * ```ts
 * const options: IdempotentSessionRetryOptions = { idempotencyKey: message.id, maxAttempts: 5 };
 * ```
 */
export interface IdempotentSessionRetryOptions<
  TData = Record<string, unknown>,
  TState extends string = string,
> extends SessionRetryOptions<TData, TState> {
  /**
   * The operation's idempotency key (a WhatsApp message id, say), given once, here. Before each
   * attempt it is looked up: when it is recorded, the handler is not run and the call resolves to
   * `{ status: 'duplicate', session, … }`. The handler's `updateSession` calls on this session carry
   * it without being given it: the first records it in the transaction that bumps the version (an
   * explicit different key there is an `InvalidArgumentError`), later ones are plain conditional
   * writes. A handler that writes nothing is recorded as processed when it returns. With a key,
   * passing faults (a dropped connection, a deadlock: the dialect's `isTransientError`) are retried as
   * well as conflicts, unless `shouldRetry` says otherwise; once the key is recorded nothing is retried.
   *
   * `undefined` (an optional id) runs the call without a key, and it still resolves to a result,
   * always `applied`.
   */
  readonly idempotencyKey: string | undefined;
}

/** The shared attempt loop; log lines show the masked `key` in parentheses when there is one. */
async function retryLoop<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions,
  policy: RetryPolicy,
  reporter: Reporter,
  key: string | undefined,
): Promise<T> {
  const label = key === undefined ? policy.operationName : `${policy.operationName}(${reporter.maskKey(key)})`;
  const startedAt = performance.now();
  const { operationName: operation, maxAttempts } = policy;
  const details = (attempt: number, error: unknown): RetryDetails => ({
    operation,
    key,
    label,
    attempt,
    maxAttempts,
    startedAt,
    error,
  });
  let previousDelayMs = policy.baseDelayMs;
  let attempts = 0;
  try {
    return await pRetry(
      async (attempt) => {
        attempts = attempt;
        return runAttempt({ key, attempt, maxAttempts, startedAt }, () => fn(attempt));
      },
      {
        retries: policy.maxAttempts - 1,
        minTimeout: 0,
        factor: 1,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        // p-retry asks this only while attempts remain; the wait happens here so it can be logged first.
        shouldRetry: async ({ error, attemptNumber }) => {
          if (!policy.shouldRetry(error)) return false;
          const delayMs = retryDelay(policy, attemptNumber, previousDelayMs);
          previousDelayMs = delayMs;
          reportRetry(reporter, details(attemptNumber, error), delayMs);
          options.onRetry?.(attemptNumber, delayMs, error);
          await sleep(delayMs, options.signal);
          return true;
        },
      },
    );
  } catch (error) {
    if (attempts === policy.maxAttempts && policy.maxAttempts > 1 && policy.shouldRetry(error)) {
      reportExhausted(reporter, details(attempts, error));
    }
    throw error;
  } finally {
    if (attempts > 0) recordAttempts(reporter, operation, attempts);
  }
}

/**
 * Runs `fn` and, when it fails with a retryable error (by default a {@link ConcurrencyError}), runs it
 * again after an exponential, jittered wait: 10 attempts in all, waits of about 50, 100, 200 … ms capped at 1 s. After
 * the last attempt the last error is thrown unchanged.
 *
 * @param fn - the work; receives the attempt number, starting at 1.
 * @example
 * ```ts
 * const session = await withRetry(async () => {
 *   const current = await repository.getOrCreateSession(key);
 *   return repository.updateSession(key, { state: 'PAGO' }, { expectedVersion: current.version });
 * }, { operationName: 'updateSession', logger: console });
 * ```
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  expectFunction('fn', fn);
  const policy = resolvePolicy(options, 'operation');
  return retryLoop(fn, options, policy, reporterForRetry(options), undefined);
}

/**
 * Reads the session (creating it when missing, unless told not to) and passes it, version included,
 * to `fn`; when `fn`'s conditional update meets a {@link ConcurrencyError}, re-reads and runs `fn`
 * again with backoff. Retries are logged through the repository's logger with the key masked.
 *
 * With `options.idempotencyKey` the call is exactly-once (see {@link IdempotentSessionRetryOptions})
 * and resolves to an {@link IdempotentResult}.
 *
 * @example
 * ```ts
 * await withSessionRetry(repository, phone, async (session) => {
 *   const next = decideNextState(session.state, message);
 *   return repository.updateSession(phone, { state: next }, { expectedVersion: session.version });
 * });
 *
 * // exactly once per WhatsApp message id:
 * const result = await withSessionRetry(repository, phone, (session) =>
 *   repository.updateSession(phone, { state: decideNextState(session.state, message) }, { expectedVersion: session.version }),
 *   { idempotencyKey: message.id });
 * if (result.status === 'duplicate') return { status: 200 }; // applied before; the handler did not run
 * ```
 */
export function withSessionRetry<T, TData = Record<string, unknown>, TState extends string = string>(
  repository: SessionRepository<TData, TState>,
  key: string,
  fn: (session: Session<TData, TState>) => T | PromiseLike<T>,
  options: IdempotentSessionRetryOptions<TData, TState>,
): Promise<IdempotentResult<T, TData, TState>>;
export function withSessionRetry<T, TData = Record<string, unknown>, TState extends string = string>(
  repository: SessionRepository<TData, TState>,
  key: string,
  fn: (session: Session<TData, TState>) => T | PromiseLike<T>,
  options?: SessionRetryOptions<TData, TState> & { readonly idempotencyKey?: undefined },
): Promise<T>;
export async function withSessionRetry<T, TData = Record<string, unknown>, TState extends string = string>(
  repository: SessionRepository<TData, TState>,
  key: string,
  fn: (session: Session<TData, TState>) => T | PromiseLike<T>,
  options: SessionRetryOptions<TData, TState> & { readonly idempotencyKey?: string | undefined } = {},
): Promise<T | IdempotentResult<T, TData, TState>> {
  type Outcome = T | IdempotentResult<T, TData, TState>;
  // Every check first: nothing is read or written for a call with a bad argument.
  validateKey(key);
  expectFunction('fn', fn);
  expectObject('options', options);
  const idempotencyKey =
    options.idempotencyKey === undefined ? undefined : validateKey(options.idempotencyKey, 'idempotencyKey');
  expectBoolean('createIfMissing', options.createIfMissing, { optional: true });
  const createIfMissing = options.createIfMissing ?? true;
  // A key present but undefined (an optional id) still makes the call resolve to a result.
  const resultShaped = Object.hasOwn(options, 'idempotencyKey');
  const once =
    idempotencyKey === undefined ? undefined : idempotentAttempts<T, TData, TState>(repository, key, idempotencyKey);
  const policy = resolvePolicy(options, 'updateSession', once?.shouldRetry);
  if (once !== undefined) {
    const retryable = policy.shouldRetry;
    policy.shouldRetry = (error) => !once.recorded() && retryable(error);
  }
  const reporter = reporterForSession(repository, options);
  const startedAt = performance.now();
  const queue = keyQueueOf(repository);
  const run = async (session: Session<TData, TState>): Promise<Outcome> => {
    if (once !== undefined) return once.settle(() => fn(session));
    const value = await fn(session);
    return resultShaped ? { status: 'applied', value } : value;
  };
  const attempt = async (): Promise<Outcome> => {
    // The session this process wrote last for the key, first: the conditional write (which, with a
    // key, also finds the key recorded) decides, so an uncontended message costs the write alone.
    const cached = queue?.cached<TData>(key) as Session<TData, TState> | undefined;
    if (cached !== undefined) {
      try {
        return await run(cached);
      } catch (error) {
        // The session this process wrote last was stale (another process wrote since, or deleted it):
        // the conditional update refused it, so read the session again within the same attempt. Not
        // once this call's key is recorded: running the handler again would apply its first update twice.
        if (once?.recorded() === true) throw error;
        if (!isConcurrencyError(error) && !(error instanceof SessionNotFoundError)) throw error;
      }
    }
    // Read first: an existing session (the usual case) then costs one statement, not an insert and a
    // read. With a key, the same statement says whether the key is recorded for the session.
    let session: Session<TData, TState> | null;
    if (once === undefined) {
      session = await repository.getSessionWithVersion(key);
    } else {
      const read = await once.read();
      if (read.duplicate?.status === 'duplicate') {
        reportDuplicate(reporter, read.duplicate, { expectedVersion: null, startedAt });
      }
      if (read.duplicate !== undefined) return read.duplicate;
      session = read.session;
    }
    if (session === null && createIfMissing) session = await repository.getOrCreateSession(key, options.initial);
    if (session === null) throw new SessionNotFoundError(key, repository.maskKey(key));
    return run(session);
  };
  const loop = (): Promise<Outcome> => retryLoop(attempt, options, policy, reporter, key);
  return queue === undefined ? loop() : queue.run(key, loop);
}
