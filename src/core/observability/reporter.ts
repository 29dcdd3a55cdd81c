/**
 * Reports conflicts, retries, exhausted retries and duplicates in one place: to the caller's hooks,
 * the diagnostics channels, the metrics and the log, with the key masked in every line.
 *
 * @module
 */
import { describeRetryCause } from './retry-cause.js';
import { AsyncLocalStorage } from 'node:async_hooks';
import { hasSubscribers, publish } from './diagnostics.js';
import type { Dialect } from '../dialect.js';
import { describeConflict } from '../errors.js';
import { callHooks, hasHook, type SessionEvent, type SessionEventContext, type SessionHooks } from './hooks.js';
import type { LockingMode } from '../repository/locking-mode.js';
import { toLevelLogger, type LevelLogger } from './logger.js';
import { maskKey, type KeyMasker } from './key-mask.js';
import { resolveMetrics, type MetricAttributes, type SessionMetrics } from './metrics.js';
import type { Logger } from './logger.js';
import { describeDuplicate, type DuplicateOperation } from '../repository/duplicate-operation.js';

/** Everything a report needs: who to tell and how to name things. */
export interface Reporter {
  readonly logger: LevelLogger;
  readonly maskKey: KeyMasker;
  readonly dialect: Dialect | undefined;
  /**
   * The locking mode of a key's writes (per key under a share or a function of the key); `undefined`
   * when not known.
   */
  readonly lockingModeFor: (key: string) => LockingMode | undefined;
  readonly hooks: readonly SessionHooks[];
  readonly metrics: SessionMetrics;
}

/** The retry attempt in progress, so a conflict deep inside `fn` can say which attempt it ended. */
interface AttemptScope {
  readonly key: string | undefined;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly startedAt: number;
}

const attemptScope = new AsyncLocalStorage<AttemptScope>();

/** Runs one attempt of a retry loop with its number visible to the reports made inside it. */
export function runAttempt<T>(scope: AttemptScope, fn: () => Promise<T>): Promise<T> {
  return attemptScope.run(scope, fn);
}

const reporters = new WeakMap<object, Reporter>();

/** Remembers a repository's reporter, for the retry combinators that are handed the repository. */
export function registerReporter(repository: object, reporter: Reporter): void {
  reporters.set(repository, reporter);
}

/** The reporter of a repository, or `undefined` for one this copy of the library did not construct. */
export function reporterOf(repository: object): Reporter | undefined {
  return reporters.get(repository);
}

/** The slice of a repository the retry combinators fall back on when it has no registered reporter. */
interface RepositoryLike {
  readonly logger: LevelLogger;
  readonly store: { readonly dialect: Dialect };
  maskKey(key: string): string;
}

/** The per-call options that add to (or stand in for) a repository's reporter. */
interface CallOptions {
  readonly logger?: Logger | undefined;
  readonly hooks?: SessionHooks | undefined;
  readonly metrics?: unknown;
}

/**
 * The reporter of {@link withSessionRetry}: the repository's, with the call's hooks added and the
 * call's logger, when given, in place of the repository's.
 */
export function reporterForSession(repository: RepositoryLike, options: CallOptions): Reporter {
  const base: Reporter = reporterOf(repository) ?? {
    logger: repository.logger,
    maskKey: (key) => repository.maskKey(key),
    dialect: repository.store.dialect,
    lockingModeFor: () => undefined,
    hooks: [],
    metrics: resolveMetrics(false),
  };
  return {
    ...base,
    logger: options.logger === undefined ? base.logger : toLevelLogger(options.logger),
    hooks: options.hooks === undefined ? base.hooks : [...base.hooks, options.hooks],
  };
}

/** The reporter of {@link withRetry}, which knows no repository: no key, no dialect. */
export function reporterForRetry(options: CallOptions): Reporter {
  return {
    logger: toLevelLogger(options.logger),
    maskKey,
    dialect: undefined,
    lockingModeFor: () => undefined,
    hooks: options.hooks === undefined ? [] : [options.hooks],
    metrics: resolveMetrics(options.metrics),
  };
}

/** Milliseconds since `startedAt` (a `performance.now()` reading), whole. */
export function elapsedSince(startedAt: number): number {
  return Math.round(performance.now() - startedAt);
}

interface EventDetails {
  readonly operation: string;
  readonly key: string | undefined;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly delayMs: number;
  readonly expectedVersion: number | null;
  readonly actualVersion: number | null;
  readonly startedAt: number;
}

const HOOK_OF: Readonly<Record<SessionEvent, 'onConflict' | 'onRetry' | 'onExhausted' | 'onDuplicate'>> = {
  conflict: 'onConflict',
  retry: 'onRetry',
  exhausted: 'onExhausted',
  duplicate: 'onDuplicate',
};

/** Builds the frozen context only when a hook or a channel subscriber will read it. */
function notify(reporter: Reporter, event: SessionEvent, details: EventDetails, extra: object): void {
  const hook = HOOK_OF[event];
  const hooked = hasHook(reporter.hooks, hook);
  const subscribed = hasSubscribers(event);
  if (!hooked && !subscribed) return;
  const context: SessionEventContext = Object.freeze({
    event,
    operation: details.operation,
    key: details.key,
    maskedKey: details.key === undefined ? undefined : reporter.maskKey(details.key),
    dialect: reporter.dialect,
    attempt: details.attempt,
    maxAttempts: details.maxAttempts,
    delayMs: details.delayMs,
    expectedVersion: details.expectedVersion,
    actualVersion: details.actualVersion,
    elapsedMs: elapsedSince(details.startedAt),
    ...extra,
  });
  if (hooked) callHooks(reporter.hooks, hook, context, reporter.logger);
  if (subscribed) publish(event, context);
}

function attributes(reporter: Reporter, operation: string): MetricAttributes {
  return reporter.dialect === undefined ? { operation } : { operation, dialect: reporter.dialect };
}

/** Where a conflict happened: inside a retry attempt for the same key, or on its own. */
function conflictPosition(key: string, startedAt: number): Pick<EventDetails, 'attempt' | 'maxAttempts' | 'startedAt'> {
  const scope = attemptScope.getStore();
  if (scope !== undefined && (scope.key === undefined || scope.key === key)) {
    return { attempt: scope.attempt, maxAttempts: scope.maxAttempts, startedAt: scope.startedAt };
  }
  return { attempt: 1, maxAttempts: 1, startedAt };
}

/**
 * A write named a stale version. `enforced` says whether it was refused (`enforce`) or went through
 * (`observe`); `message` is the `ConcurrencyError` message, which already carries the masked key;
 * `lockingMode` is the mode the write used.
 */
export function reportConflict(
  reporter: Reporter,
  conflict: {
    operation: string;
    key: string;
    expectedVersion: number;
    actualVersion: number | null;
    startedAt: number;
    enforced: boolean;
    lockingMode: LockingMode;
    message: string;
  },
): void {
  const lockingMode = conflict.lockingMode;
  reporter.metrics.conflict({ ...attributes(reporter, conflict.operation), locking_mode: lockingMode });
  if (conflict.enforced) {
    reporter.logger.debug(`[ConcurrencyError] ${conflict.message} Refused: lockingMode is '${lockingMode}'.`);
  } else {
    reporter.logger.warn(`[ConcurrencyError] ${conflict.message} Written anyway: lockingMode is '${lockingMode}'.`);
  }
  notify(
    reporter,
    'conflict',
    { ...conflict, ...conflictPosition(conflict.key, conflict.startedAt), delayMs: 0 },
    { lockingMode, enforced: conflict.enforced },
  );
}

/**
 * `observe` mode: the write went through over another writer's version. Reported in the words of the
 * `ConcurrencyError` it would have been, so the same queries find it.
 */
export function reportObservedConflict(
  reporter: Reporter,
  conflict: { operation: string; key: string; expectedVersion: number; actualVersion: number; startedAt: number },
): void {
  const message = `${describeConflict({ ...conflict, maskedKey: reporter.maskKey(conflict.key) })}.`;
  reportConflict(reporter, { ...conflict, enforced: false, lockingMode: 'observe', message });
}

/** What the retry loop knows when it reports. */
export interface RetryDetails {
  readonly operation: string;
  readonly key: string | undefined;
  /** The label in log lines: the operation, with the masked key in parentheses when there is one. */
  readonly label: string;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly startedAt: number;
  readonly error: unknown;
}

function versionsOf(error: unknown): Pick<EventDetails, 'expectedVersion' | 'actualVersion'> {
  const fields =
    typeof error === 'object' && error !== null
      ? (error as { expectedVersion?: unknown; actualVersion?: unknown })
      : {};
  return {
    expectedVersion: typeof fields.expectedVersion === 'number' ? fields.expectedVersion : null,
    actualVersion: typeof fields.actualVersion === 'number' ? fields.actualVersion : null,
  };
}

/** An attempt failed and another follows after `delayMs`. The line keeps the greppable `ConcurrencyRetry`. */
export function reportRetry(reporter: Reporter, retry: RetryDetails, delayMs: number): void {
  reporter.metrics.retry(attributes(reporter, retry.operation));
  reporter.logger.warn(
    `[ConcurrencyRetry] ${retry.label} - attempt ${retry.attempt}/${retry.maxAttempts} failed: ${describeRetryCause(retry.error)}, retrying in ${delayMs}ms`,
  );
  notify(reporter, 'retry', { ...retry, ...versionsOf(retry.error), delayMs }, { error: retry.error });
}

/** The last attempt failed with a retryable error, which is about to be thrown. */
export function reportExhausted(reporter: Reporter, retry: RetryDetails): void {
  reporter.metrics.exhausted(attributes(reporter, retry.operation));
  reporter.logger.error(
    `[ConcurrencyRetry] ${retry.label} - gave up after ${retry.attempt}/${retry.maxAttempts} attempts: ${describeRetryCause(retry.error)}`,
  );
  notify(reporter, 'exhausted', { ...retry, ...versionsOf(retry.error), delayMs: 0 }, { error: retry.error });
}

/** The key's locking mode for a report; a mode function that throws leaves it unknown, never failing the report. */
function modeOrUndefined(reporter: Reporter, key: string): LockingMode | undefined {
  try {
    return reporter.lockingModeFor(key);
  } catch {
    return undefined;
  }
}

/** A retry loop ended (either way) after `attempts` attempts. */
export function recordAttempts(reporter: Reporter, operation: string, attempts: number): void {
  reporter.metrics.attempts(attempts, attributes(reporter, operation));
}

/**
 * A write carried an idempotency key that was already applied, so it was skipped. `actualVersion` is
 * the version the first application committed, when known. The duplicate path logs its own
 * `[DuplicateOperation]` line, so nothing is logged here.
 */
export function reportDuplicate(
  reporter: Reporter,
  duplicate: DuplicateOperation<unknown>,
  call: { readonly expectedVersion: number | null; readonly startedAt: number; readonly lockingMode?: LockingMode },
): void {
  const lockingMode = call.lockingMode ?? modeOrUndefined(reporter, duplicate.key);
  reporter.logger.info(`[DuplicateOperation] ${describeDuplicate(duplicate)}`);
  const base = attributes(reporter, duplicate.operation);
  reporter.metrics.duplicate(lockingMode === undefined ? base : { ...base, locking_mode: lockingMode });
  const details = {
    operation: duplicate.operation,
    key: duplicate.key,
    expectedVersion: call.expectedVersion,
    actualVersion: duplicate.committedVersion,
    startedAt: call.startedAt,
  };
  notify(
    reporter,
    'duplicate',
    { ...details, ...conflictPosition(duplicate.key, call.startedAt), delayMs: 0 },
    { idempotencyKey: duplicate.idempotencyKey, maskedIdempotencyKey: duplicate.maskedIdempotencyKey, lockingMode },
  );
}
