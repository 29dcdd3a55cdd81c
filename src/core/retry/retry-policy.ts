/**
 * The retry policy: the options of `withRetry` / `withSessionRetry`, their validation, and the
 * jittered exponential backoff that decides each wait.
 *
 * @module
 */
import { isConcurrencyError } from '../errors.js';
import { expectFunction, expectInteger, expectObject, expectOneOf, expectString, expectThat } from '../validate.js';
import { validateHooks, type SessionHooks } from '../observability/hooks.js';
import type { MetricsOption } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';

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
   * @defaultValue 10 (3 before 0.2)
   */
  readonly maxAttempts?: number;
  /**
   * The wait before the first retry; each later wait doubles it (50 → 100 → 200 ms …).
   * @defaultValue 50
   */
  readonly baseDelayMs?: number;
  /**
   * The longest single wait.
   * @defaultValue 1000 (5000 before 0.2)
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

const JITTER_STRATEGIES: readonly JitterStrategy[] = ['none', 'proportional', 'full', 'decorrelated'];

/** Retry options after validation, with defaults filled in. */
export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  jitter: JitterStrategy;
  operationName: string;
  shouldRetry: (error: unknown) => boolean;
  random: () => number;
}

/** Checks every option up front, so a typo fails before the first attempt rather than on the first conflict. */
export function resolvePolicy(
  options: RetryOptions,
  defaultOperation: string,
  defaultShouldRetry: (error: unknown) => boolean = isConcurrencyError,
): RetryPolicy {
  expectObject('options', options);
  expectInteger('maxAttempts', options.maxAttempts, { min: 1, optional: true });
  expectInteger('baseDelayMs', options.baseDelayMs, { min: 0, optional: true });
  expectInteger('maxDelayMs', options.maxDelayMs, { min: 0, optional: true });
  const maxAttempts = options.maxAttempts ?? 10;
  const baseDelayMs = options.baseDelayMs ?? 50;
  const maxDelayMs = options.maxDelayMs ?? Math.max(1000, baseDelayMs);
  expectThat(maxDelayMs >= baseDelayMs, 'maxDelayMs', `be ≥ \`baseDelayMs\` (${baseDelayMs})`, maxDelayMs, {
    showNumber: true,
  });
  const jitter = options.jitter ?? 'proportional';
  expectOneOf('jitter', jitter, JITTER_STRATEGIES);
  const operationName = options.operationName ?? defaultOperation;
  expectString('operationName', operationName);
  expectFunction('onRetry', options.onRetry, { optional: true });
  expectFunction('shouldRetry', options.shouldRetry, { optional: true });
  expectFunction('random', options.random, { optional: true });
  validateHooks(options.hooks, 'hooks');
  expectThat(
    options.signal === undefined || options.signal instanceof AbortSignal,
    'signal',
    'be an AbortSignal',
    options.signal,
  );
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
export function retryDelay(
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'jitter' | 'random'>,
  attempt: number,
  previousDelayMs: number,
): number {
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

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
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
