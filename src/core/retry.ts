/**
 * `withRetry` and `withSessionRetry`: re-run a read-modify-write when another writer got there first.
 * The attempt loop, abort handling and option checks are p-retry's; the backoff policy is ours so that
 * each wait can be logged and reported before it starts.
 *
 * @module
 */
import pRetry from 'p-retry';
import type { IdempotentResult } from './duplicate.js';
import { InvalidArgumentError, SessionNotFoundError, isConcurrencyError } from './errors.js';
import { idempotentAttempts } from './idempotent-retry.js';
import { keyQueueOf } from './key-queue.js';
import { validateHooks, type SessionHooks } from './hooks.js';
import type { MetricsOption } from './metrics.js';
import {
  observerForRetry,
  observerForSession,
  recordAttempts,
  reportDuplicate,
  reportExhausted,
  reportRetry,
  runAttempt,
  type Observer,
  type RetryDetails,
} from './observer.js';
import type { SessionRepository } from './repository.js';
import type { Logger, Session, SessionChanges } from './types.js';
import { validateKey } from './validation.js';

/**
 * How the wait before each retry is randomised.
 * - `none`: exactly `baseDelayMs × 2^(attempt−1)`.
 * - `proportional`: that delay plus up to 25% more, at random (the default).
 * - `full`: a uniform pick between 0 and that delay.
 * - `decorrelated`: a uniform pick between `baseDelayMs` and three times the previous wait.
 *
 * @example
 * ```ts
 * await withSessionRetry(repository, key, handler, { jitter: 'full', maxAttempts: 6 });
 * ```
 */
export type JitterStrategy = 'none' | 'proportional' | 'full' | 'decorrelated';

/**
 * Options of {@link withRetry}.
 *
 * @example
 * ```ts
 * const options: RetryOptions = { maxAttempts: 5, baseDelayMs: 20, operationName: 'closeTicket' };
 * ```
 */
export interface RetryOptions {
  /**
   * Attempts in all, the first included.
   * @defaultValue 3
   */
  readonly maxAttempts?: number;
  /**
   * The wait before the first retry; each later wait doubles it (50 → 100 → 200 ms …).
   * @defaultValue 50
   */
  readonly baseDelayMs?: number;
  /**
   * The longest single wait.
   * @defaultValue 5000
   */
  readonly maxDelayMs?: number;
  /**
   * How waits are randomised, so that colliding writers do not collide again.
   * @defaultValue 'proportional'
   */
  readonly jitter?: JitterStrategy;
  /**
   * The operation's name in log lines, e.g. `updateSession`.
   * @defaultValue 'operation' ({@link withRetry}), 'updateSession' ({@link withSessionRetry})
   */
  readonly operationName?: string;
  /** Called before each wait with the attempt that failed (1-based), the wait and the error. */
  readonly onRetry?: (attempt: number, delayMs: number, error: unknown) => void;
  /**
   * Which errors are retried.
   * @defaultValue only {@link ConcurrencyError}
   */
  readonly shouldRetry?: (error: unknown) => boolean;
  /** Stops the waiting: the call rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Where retries are logged (`warn`) and exhausted retries (`error`). */
  readonly logger?: Logger;
  /** The source of randomness for jitter, a function returning [0, 1). @defaultValue Math.random */
  readonly random?: () => number;
  /**
   * `onRetry` and `onExhausted` with a frozen context (attempt, wait, versions, elapsed time). For
   * {@link withSessionRetry} they are called after the repository's own hooks.
   */
  readonly hooks?: SessionHooks;
  /**
   * OpenTelemetry metrics of a {@link withRetry} call, as the repository option `metrics` describes;
   * {@link withSessionRetry} records into its repository's.
   * @defaultValue true
   */
  readonly metrics?: MetricsOption;
}

/**
 * Options of {@link withSessionRetry}.
 *
 * @example
 * ```ts
 * const options: SessionRetryOptions<{ paso: number }> = { initial: { state: 'INICIO', data: { paso: 0 } } };
 * ```
 */
export interface SessionRetryOptions<TData = Record<string, unknown>> extends RetryOptions {
  /**
   * Create the session (with `initial`) when it does not exist; when `false` a missing session throws
   * {@link SessionNotFoundError}.
   * @defaultValue true
   */
  readonly createIfMissing?: boolean;
  /** The state and data of a session created by this call. */
  readonly initial?: SessionChanges<TData>;
}

/**
 * Options of an exactly-once {@link withSessionRetry}: with an `idempotencyKey` the call resolves to an
 * {@link IdempotentResult} instead of the handler's bare value.
 *
 * @example
 * ```ts
 * const options: IdempotentSessionRetryOptions = { idempotencyKey: message.id, maxAttempts: 5 };
 * ```
 */
export interface IdempotentSessionRetryOptions<TData = Record<string, unknown>> extends SessionRetryOptions<TData> {
  /**
   * The operation's idempotency key (a WhatsApp message id, say). Before each attempt it is looked
   * up: when it is recorded, the handler is not run and the call resolves to
   * `{ status: 'duplicate', session, … }`. The handler must pass the same key to `updateSession`,
   * which records it in the transaction that bumps the version. With a key, passing faults (a dropped
   * connection, a deadlock: the dialect's `isTransientError`) are retried as well as conflicts,
   * unless `shouldRetry` says otherwise.
   */
  readonly idempotencyKey: string;
}

const JITTER_STRATEGIES: readonly JitterStrategy[] = ['none', 'proportional', 'full', 'decorrelated'];

interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  jitter: JitterStrategy;
  operationName: string;
  shouldRetry: (error: unknown) => boolean;
  random: () => number;
}

function positiveInteger(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InvalidArgumentError(name, `expected an integer of at least ${min}, got ${String(value)}.`);
  }
  return value;
}

function optionalFunction(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new InvalidArgumentError(name, `expected a function, got ${typeof value}.`);
  }
}

/** Checks every option up front, so a typo fails before the first attempt rather than on the first conflict. */
function resolvePolicy(
  options: RetryOptions,
  defaultOperation: string,
  defaultShouldRetry: (error: unknown) => boolean = isConcurrencyError,
): RetryPolicy {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'expected an object.');
  const maxAttempts = positiveInteger('maxAttempts', options.maxAttempts, 3, 1);
  const baseDelayMs = positiveInteger('baseDelayMs', options.baseDelayMs, 50, 0);
  const maxDelayMs = positiveInteger('maxDelayMs', options.maxDelayMs, Math.max(5000, baseDelayMs), 0);
  if (maxDelayMs < baseDelayMs) {
    throw new InvalidArgumentError('maxDelayMs', `must be at least baseDelayMs (${baseDelayMs}), got ${maxDelayMs}.`);
  }
  const jitter = options.jitter ?? 'proportional';
  if (!JITTER_STRATEGIES.includes(jitter)) {
    throw new InvalidArgumentError('jitter', `expected one of ${JITTER_STRATEGIES.join(', ')}, got ${String(jitter)}.`);
  }
  const operationName = options.operationName ?? defaultOperation;
  if (typeof operationName !== 'string' || operationName.length === 0) {
    throw new InvalidArgumentError('operationName', 'expected a non-empty string.');
  }
  optionalFunction('onRetry', options.onRetry);
  optionalFunction('shouldRetry', options.shouldRetry);
  optionalFunction('random', options.random);
  validateHooks(options.hooks, 'hooks');
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new InvalidArgumentError('signal', 'expected an AbortSignal.');
  }
  return {
    maxAttempts,
    baseDelayMs,
    maxDelayMs,
    jitter,
    operationName,
    shouldRetry: options.shouldRetry ?? defaultShouldRetry,
    random: options.random ?? Math.random,
  };
}

/** The wait after failed attempt `attempt` (1-based), given the previous wait. */
export function retryDelay(policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'jitter' | 'random'>, attempt: number, previousDelayMs: number): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  let delay: number;
  switch (policy.jitter) {
    case 'none':
      delay = exponential;
      break;
    case 'proportional':
      delay = exponential * (1 + 0.25 * policy.random());
      break;
    case 'full':
      delay = exponential * policy.random();
      break;
    case 'decorrelated': {
      const upper = Math.max(policy.baseDelayMs, previousDelayMs * 3);
      delay = policy.baseDelayMs + (upper - policy.baseDelayMs) * policy.random();
      break;
    }
  }
  return Math.round(Math.min(policy.maxDelayMs, delay));
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The shared attempt loop; log lines show the masked `key` in parentheses when there is one. */
async function retryLoop<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions,
  policy: RetryPolicy,
  observer: Observer,
  key: string | undefined,
): Promise<T> {
  const label = key === undefined ? policy.operationName : `${policy.operationName}(${observer.maskKey(key)})`;
  const startedAt = performance.now();
  const { operationName: operation, maxAttempts } = policy;
  const details = (attempt: number, error: unknown): RetryDetails => ({ operation, key, label, attempt, maxAttempts, startedAt, error });
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
          reportRetry(observer, details(attemptNumber, error), delayMs);
          options.onRetry?.(attemptNumber, delayMs, error);
          await sleep(delayMs, options.signal);
          return true;
        },
      },
    );
  } catch (error) {
    if (attempts === policy.maxAttempts && policy.maxAttempts > 1 && policy.shouldRetry(error)) {
      reportExhausted(observer, details(attempts, error));
    }
    throw error;
  } finally {
    if (attempts > 0) recordAttempts(observer, operation, attempts);
  }
}

/**
 * Runs `fn` and, when it fails with a retryable error (by default a {@link ConcurrencyError}), runs it
 * again after an exponential, jittered wait: 3 attempts in all, about 50 → 100 ms between them. After
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
  if (typeof fn !== 'function') throw new InvalidArgumentError('fn', 'expected a function returning a promise.');
  const policy = resolvePolicy(options, 'operation');
  return retryLoop(fn, options, policy, observerForRetry(options), undefined);
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
 *   repository.updateSession(phone, { state: decideNextState(session.state, message) },
 *     { expectedVersion: session.version, idempotencyKey: message.id }),
 *   { idempotencyKey: message.id });
 * if (result.status === 'duplicate') return { status: 200 }; // applied before; the handler did not run
 * ```
 */
export function withSessionRetry<T, TData = Record<string, unknown>>(
  repository: SessionRepository<TData>,
  key: string,
  fn: (session: Session<TData>) => Promise<T>,
  options: IdempotentSessionRetryOptions<TData>,
): Promise<IdempotentResult<T, TData>>;
export function withSessionRetry<T, TData = Record<string, unknown>>(
  repository: SessionRepository<TData>,
  key: string,
  fn: (session: Session<TData>) => Promise<T>,
  options?: SessionRetryOptions<TData> & { readonly idempotencyKey?: undefined },
): Promise<T>;
export async function withSessionRetry<T, TData = Record<string, unknown>>(
  repository: SessionRepository<TData>,
  key: string,
  fn: (session: Session<TData>) => Promise<T>,
  options: SessionRetryOptions<TData> & { readonly idempotencyKey?: string | undefined } = {},
): Promise<T | IdempotentResult<T, TData>> {
  validateKey(key);
  if (typeof fn !== 'function') throw new InvalidArgumentError('fn', 'expected a function returning a promise.');
  const once = options.idempotencyKey === undefined ? undefined : idempotentAttempts<T, TData>(repository, key, options.idempotencyKey);
  const policy = resolvePolicy(options, 'updateSession', once?.shouldRetry);
  if (options.createIfMissing !== undefined && typeof options.createIfMissing !== 'boolean') {
    throw new InvalidArgumentError('createIfMissing', 'expected a boolean.');
  }
  const createIfMissing = options.createIfMissing ?? true;
  const observer = observerForSession(repository, options);
  const startedAt = performance.now();
  const queue = keyQueueOf(repository);
  const run = (session: Session<TData>): Promise<T | IdempotentResult<T, TData>> =>
    once === undefined ? fn(session) : once.settle(fn(session));
  const attempt = async (): Promise<T | IdempotentResult<T, TData>> => {
    const duplicate = await once?.findDuplicate();
    if (duplicate?.status === 'duplicate') {
      reportDuplicate(observer, {
        operation: 'withSessionRetry',
        key,
        idempotencyKey: duplicate.idempotencyKey,
        maskedIdempotencyKey: duplicate.maskedIdempotencyKey,
        expectedVersion: null,
        actualVersion: duplicate.committedVersion,
        startedAt,
      });
    }
    if (duplicate !== undefined) return duplicate;
    const cached = queue?.cached<TData>(key);
    if (cached !== undefined) {
      try {
        return await run(cached);
      } catch (error) {
        // The session this process wrote last was stale (another process wrote since, or deleted it):
        // the conditional update refused it, so read the session again within the same attempt.
        if (!isConcurrencyError(error) && !(error instanceof SessionNotFoundError)) throw error;
      }
    }
    // Read first: an existing session (the usual case) then costs one statement, not an insert and a read.
    let session = await repository.getSessionWithVersion(key);
    if (session === null && createIfMissing) session = await repository.getOrCreateSession(key, options.initial);
    if (session === null) throw new SessionNotFoundError(key, repository.maskKey(key));
    return run(session);
  };
  const loop = (): Promise<T | IdempotentResult<T, TData>> => retryLoop(attempt, options, policy, observer, key);
  return queue === undefined ? loop() : queue.run(key, loop);
}
