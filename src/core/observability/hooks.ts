/**
 * The hooks a repository and the retry combinators call on conflicts, retries, exhausted retries and
 * duplicate deliveries, and the frozen context each one receives.
 *
 * @module
 */
import { expectFunction, expectObject, invalidArgument } from '../validate.js';
import { type Dialect } from '../dialect.js';
import type { LockingMode } from '../repository/locking-mode.js';
import type { LevelLogger } from './logger.js';

/**
 * The event a context describes.
 *
 * @example
 * ```ts
 * const event: SessionEvent = 'conflict';
 * ```
 */
export type SessionEvent = 'conflict' | 'retry' | 'exhausted' | 'duplicate';

/**
 * What every hook and diagnostics-channel message carries. Frozen. `key` is the raw session key, for
 * the caller's own correlation: log `maskedKey`, never `key`.
 *
 * @example
 * ```ts
 * const describe = (context: SessionEventContext) =>
 *   `${context.event} ${context.operation}(${context.maskedKey}) ${context.attempt}/${context.maxAttempts}`;
 * ```
 */
export interface SessionEventContext {
  /** Which event this is. */
  readonly event: SessionEvent;
  /** The operation, e.g. `updateSession`, or the retry's `operationName`. */
  readonly operation: string;
  /** The raw session key; `undefined` for a {@link withRetry} call, which knows no key. Never log it. */
  readonly key: string | undefined;
  /** The key as the repository's masker shows it in messages and logs. */
  readonly maskedKey: string | undefined;
  /** The store's dialect; `undefined` for a {@link withRetry} call. */
  readonly dialect: Dialect | undefined;
  /** The attempt (1-based) the event belongs to; 1 outside a retry loop. */
  readonly attempt: number;
  /** The attempts allowed in all; 1 outside a retry loop. */
  readonly maxAttempts: number;
  /** The wait before the next attempt, in milliseconds; 0 when no wait follows. */
  readonly delayMs: number;
  /** The version the caller expected, or `null` when unknown. */
  readonly expectedVersion: number | null;
  /** The version found stored, or `null` when unknown. */
  readonly actualVersion: number | null;
  /** Milliseconds since the operation (or its retry loop) started. */
  readonly elapsedMs: number;
}

/**
 * The context of {@link SessionHooks.onConflict}: a write named a stale version.
 *
 * @example
 * ```ts
 * const onConflict = (context: ConflictContext) => { if (!context.enforced) shadowConflicts.add(1); };
 * ```
 */
export interface ConflictContext extends SessionEventContext {
  readonly event: 'conflict';
  /**
   * The locking mode the write used: the repository's mode, or this session's under a share or a
   * function of the key (see {@link LockingModeOption}).
   */
  readonly lockingMode: LockingMode;
  /** `true` when the write was refused (`enforce`), `false` when it went through (`observe`). */
  readonly enforced: boolean;
}

/**
 * The context of {@link SessionHooks.onRetry}: an attempt failed and another follows after `delayMs`.
 *
 * @example
 * ```ts
 * const onRetry = (context: RetryContext) => console.warn(`retry ${context.attempt} in ${context.delayMs}ms`);
 * ```
 */
export interface RetryContext extends SessionEventContext {
  readonly event: 'retry';
  /** The error of the attempt that failed. */
  readonly error: unknown;
}

/**
 * The context of {@link SessionHooks.onExhausted}: the last attempt failed and its error is thrown.
 *
 * @example
 * ```ts
 * const onExhausted = (context: ExhaustedContext) => alerts.notify(`gave up on ${context.maskedKey}`);
 * ```
 */
export interface ExhaustedContext extends SessionEventContext {
  readonly event: 'exhausted';
  /** The error thrown to the caller. */
  readonly error: unknown;
}

/**
 * The context of {@link SessionHooks.onDuplicate}: a write carried an idempotency key that was
 * already applied, so it was not applied again.
 *
 * @example
 * ```ts
 * const onDuplicate = (context: DuplicateContext) => console.info(`duplicate delivery for ${context.maskedKey}`);
 * ```
 */
export interface DuplicateContext extends SessionEventContext {
  readonly event: 'duplicate';
  /** The idempotency key that was seen before. Never logged by the library. */
  readonly idempotencyKey: string;
  /** The idempotency key as the repository's masker shows it. */
  readonly maskedIdempotencyKey: string;
  /**
   * The locking mode of this session's writes (see {@link ConflictContext.lockingMode}); `undefined`
   * when unknown (a repository of another copy of the library, or a mode function that threw).
   */
  readonly lockingMode: LockingMode | undefined;
}

/**
 * Callbacks for conflicts, retries, exhausted retries and duplicates. Each is called synchronously
 * with a frozen context; a returned promise is not awaited, and a hook that throws or rejects is
 * logged without changing the operation's outcome.
 *
 * @example
 * ```ts
 * const hooks: SessionHooks = {
 *   onConflict: (c) => console.warn(`conflict on ${c.maskedKey}: expected ${c.expectedVersion}, found ${c.actualVersion}`),
 *   onExhausted: (c) => console.error(`gave up on ${c.maskedKey} after ${c.attempt}/${c.maxAttempts}`),
 * };
 * new SessionRepository({ store, hooks });
 * ```
 */
export interface SessionHooks {
  /** A write named a stale version (refused in `enforce`, written anyway in `observe`). */
  readonly onConflict?: (context: ConflictContext) => unknown;
  /** An attempt failed with a retryable error; the next one starts after `context.delayMs`. */
  readonly onRetry?: (context: RetryContext) => unknown;
  /** The last attempt failed; its error is thrown to the caller. */
  readonly onExhausted?: (context: ExhaustedContext) => unknown;
  /** A write's idempotency key had already been applied; the write was skipped. */
  readonly onDuplicate?: (context: DuplicateContext) => unknown;
}

const HOOK_NAMES = ['onConflict', 'onRetry', 'onExhausted', 'onDuplicate'] as const;
type HookName = (typeof HOOK_NAMES)[number];

/** Checks a `hooks` option up front, so a typo fails at construction rather than on the first conflict. */
export function validateHooks(hooks: unknown, argument = 'hooks'): SessionHooks | undefined {
  expectObject(argument, hooks, { optional: true });
  if (hooks === undefined) return undefined;
  for (const [name, value] of Object.entries(hooks)) {
    if (!(HOOK_NAMES as readonly string[]).includes(name)) {
      throw invalidArgument(`${argument}.${name}`, `name a hook (${HOOK_NAMES.join(', ')})`, 'an unknown name');
    }
    expectFunction(`${argument}.${name}`, value, { optional: true });
  }
  return hooks as SessionHooks;
}

/** Whether any of `hookSets` defines `name`; lets callers skip building a context nobody reads. */
export function hasHook(hookSets: readonly SessionHooks[], name: HookName): boolean {
  return hookSets.some((hooks) => typeof hooks[name] === 'function');
}

/**
 * Calls `name` on every hook set. A hook is the caller's code: its failure is logged and swallowed so
 * that observing a write can never change the write's outcome. Only the error's name is logged,
 * because its message may well contain the raw key the hook was given.
 */
export function callHooks<TContext>(
  hookSets: readonly SessionHooks[],
  name: HookName,
  context: TContext,
  logger: LevelLogger,
): void {
  const report = (error: unknown): void => {
    const kind = error instanceof Error ? error.name : typeof error;
    logger.error(`[versioned-sessions] the ${name} hook failed (${kind}); the operation's outcome is unchanged.`);
  };
  for (const hooks of hookSets) {
    const hook = hooks[name] as ((context: TContext) => unknown) | undefined;
    if (typeof hook !== 'function') continue;
    try {
      const result = hook(context);
      if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
        (result as Promise<unknown>).then(undefined, report);
      }
    } catch (error) {
      report(error);
    }
  }
}
