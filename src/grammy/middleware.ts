/**
 * `versionedSession()`: grammY session middleware that remembers the version each update read, writes
 * conditionally at the end, and re-runs the update on a conflict when asked to.
 *
 * @module
 */
import {
  isConcurrencyError,
  isDuplicateOperationError,
  withRetry,
  type RetryOptions,
  type SessionRepository,
} from '../index.js';
import {
  TrackedSessions,
  sessionData,
  validatePrefix,
  validateRepository,
  type AnyRepository,
} from '../frameworks/tracked-sessions.js';
import { expectBoolean, expectFunction, expectObject, expectThat, invalidArgument } from '../core/validate.js';

/**
 * The part of grammY's `Context` the middleware reads: the update's id, the chat and the bot's own id.
 *
 * @example
 * ```ts
 * const key = (ctx: GrammyUpdateContext) => ctx.chatId?.toString();
 * ```
 */
export interface GrammyUpdateContext {
  /** The update being handled; its `update_id` identifies a redelivery. */
  readonly update: {
    /** Telegram's id of the update, the same on every delivery of it. */
    readonly update_id: number;
  };
  /** The chat the update belongs to, if any (the default session key). */
  readonly chatId?: number | undefined;
  /** The bot (`botInfo`); its id scopes update ids, which are unique per bot only. */
  readonly me: {
    /** The bot's user id. */
    readonly id: number;
  };
}

/**
 * What {@link versionedSession} adds to the context: `ctx.session` and `ctx.afterSessionWrite`.
 *
 * @typeParam S - the session's shape.
 * @example
 * ```ts
 * import type { Context } from 'grammy';
 * type MyContext = Context & VersionedSessionFlavor<{ count: number }>;
 * ```
 */
export interface VersionedSessionFlavor<S> {
  /** The chat's session. */
  get session(): S;
  /** Replaces the chat's session; `null` deletes it. */
  set session(value: S | null | undefined);
  /**
   * Runs `callback` once the session is written, and only then: a run that loses a conflict and is
   * re-run discards its callbacks. Send replies here when updates may be re-run.
   */
  afterSessionWrite(callback: () => unknown): void;
}

/**
 * Options of {@link versionedSession}.
 *
 * @typeParam S - the session's shape.
 * @typeParam C - the bot's context type.
 * @example
 * ```ts
 * const options: VersionedSessionOptions<{ count: number }> = { repository, initial: () => ({ count: 0 }), retryOnConflict: true };
 * ```
 */
export interface VersionedSessionOptions<S, C extends GrammyUpdateContext = GrammyUpdateContext> {
  /** The repository whose store holds the sessions. */
  readonly repository: SessionRepository;
  /** A new chat's session; called for every chat that has none. */
  readonly initial?: () => S;
  /**
   * The session key of an update; `undefined` for updates without a session.
   * @defaultValue the chat id, as grammY's own `session()`
   */
  readonly getSessionKey?: (ctx: C) => string | undefined | Promise<string | undefined>;
  /**
   * Put before every session key.
   * @defaultValue `''`
   */
  readonly keyPrefix?: string;
  /**
   * Re-run the handlers with the session as it now is when their write loses a conflict: `true` for
   * 3 attempts with the library's backoff, or retry options. grammY lets a middleware call `next()`
   * only once, so the handlers to re-run are passed to {@link versionedSession} as its second
   * argument. Only safe when the handlers' side effects (replies) happen after the write, in
   * `ctx.afterSessionWrite`. Without it a conflict fails the update with {@link versioned-sessions!ConcurrencyError | ConcurrencyError},
   * which grammY reports through `bot.catch`.
   * @defaultValue false
   */
  readonly retryOnConflict?: boolean | Omit<RetryOptions, 'shouldRetry'>;
  /**
   * Record each update's `update_id` with the write it caused, and skip an update recorded before (a
   * webhook redelivery). Needs the store's processed-operations table.
   * @defaultValue true
   */
  readonly recognizeRedelivery?: boolean;
}

/**
 * A grammY middleware function.
 *
 * @typeParam C - the context type it runs on.
 * @example
 * ```ts
 * const middleware: GrammyMiddleware<MyContext> = versionedSession({ repository });
 * ```
 */
export type GrammyMiddleware<C> = (ctx: C, next: () => Promise<void>) => Promise<void>;

/**
 * The handlers {@link versionedSession} runs, and re-runs on a conflict: a grammY `Composer` (or
 * anything with its `middleware()`), or a middleware function.
 *
 * @typeParam C - the context type they run on.
 * @example
 * ```ts
 * const handlers: GrammyHandlers<MyContext> = new Composer<MyContext>();
 * ```
 */
export type GrammyHandlers<C> =
  | ((ctx: C, next: () => Promise<void>) => unknown)
  | {
      /** The composer's middleware, as grammY's `Composer.middleware()` returns it. */
      middleware(): (ctx: C, next: () => Promise<void>) => unknown;
    };

function retryOptions(
  option: VersionedSessionOptions<unknown>['retryOnConflict'],
  repository: AnyRepository,
): RetryOptions | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return { logger: repository.logger, operationName: 'grammyUpdate' };
  expectThat(
    typeof option === 'object' && option !== null,
    'retryOnConflict',
    'be a boolean or retry options such as { maxAttempts: 5 }',
    option,
  );
  return { logger: repository.logger, operationName: 'grammyUpdate', ...option };
}

function validateOptions<S, C extends GrammyUpdateContext>(options: VersionedSessionOptions<S, C>): void {
  expectObject('options', options);
  expectFunction('initial', options.initial, { optional: true });
  expectFunction('getSessionKey', options.getSessionKey, { optional: true });
  expectBoolean('recognizeRedelivery', options.recognizeRedelivery, { optional: true });
}

/** What touching `ctx.session` on an update of no chat throws. */
function noSessionKey(): Error {
  return invalidArgument('ctx.session', 'be used on an update with a session key', 'an update that belongs to no chat');
}

/**
 * grammY session middleware with optimistic locking. For each update it reads the chat's session
 * with its version, runs the handlers (the `handlers` argument, else the rest of the bot's
 * middleware), and writes `ctx.session` back in one conditional statement (nothing is written when
 * the session did not change; `null` deletes it). When another update wrote the session first:
 *
 * - with `retryOnConflict`, the handlers run again on the session as it now is, after a short wait;
 * - otherwise the update fails with {@link versioned-sessions!ConcurrencyError | ConcurrencyError}; nothing it changed is written, nothing
 *   is lost silently, and grammY reports the error through `bot.catch`.
 *
 * When `handlers` are given and none of them handles the update (the last calls `next()`), the rest
 * of the bot's middleware runs after the write; what it changes in `ctx.session` is not written.
 *
 * Each write records `grammy:<bot id>:<update_id>` in the same transaction, so a redelivered update is
 * recognised and skipped before the handlers run (turn off with `recognizeRedelivery: false`).
 * Concurrent updates may run in several processes: nothing here is per-process. Session values must
 * be plain JSON objects.
 *
 * @typeParam S - the session's shape.
 * @typeParam C - the bot's context type.
 * @example
 * ```ts
 * import { Bot, type Context } from 'grammy';
 * import { versionedSession, type VersionedSessionFlavor } from 'versioned-sessions/grammy';
 *
 * type MyContext = Context & VersionedSessionFlavor<{ count: number }>;
 * const bot = new Bot<MyContext>(token);
 * const handlers = new Composer<MyContext>();
 * handlers.on('message', (ctx) => {
 *   ctx.session.count += 1;
 *   ctx.afterSessionWrite(() => ctx.reply(`message ${ctx.session.count}`));
 * });
 * bot.use(versionedSession({ repository, initial: () => ({ count: 0 }), retryOnConflict: true }, handlers));
 * ```
 */
export function versionedSession<S extends object, C extends GrammyUpdateContext = GrammyUpdateContext>(
  options: VersionedSessionOptions<S, C>,
  handlers?: GrammyHandlers<C & VersionedSessionFlavor<S>>,
): GrammyMiddleware<C & VersionedSessionFlavor<S>> {
  validateOptions(options);
  const repository = validateRepository(options.repository);
  const sessions = new TrackedSessions(repository);
  const keyPrefix = validatePrefix(options.keyPrefix);
  const retry = retryOptions(options.retryOnConflict, repository);
  expectThat(
    handlers === undefined || typeof handlers === 'function' || typeof handlers?.middleware === 'function',
    'handlers',
    'be a grammY Composer or a middleware function',
    handlers,
  );
  if (retry !== undefined && handlers === undefined) {
    throw invalidArgument(
      'retryOnConflict',
      'come with the handlers to re-run as the second argument, versionedSession(options, composer)',
      'no second argument',
      { hint: 'grammY lets a middleware call next() only once.' },
    );
  }
  const recognizeRedelivery = options.recognizeRedelivery ?? true;
  const getSessionKey = options.getSessionKey ?? ((ctx: C) => ctx.chatId?.toString());

  return async (ctx, next) => {
    const sessionKey = await getSessionKey(ctx);
    if (sessionKey === undefined) {
      installSession(ctx, () => {
        throw noSessionKey();
      });
      await next();
      return;
    }
    const key = keyPrefix + sessionKey;
    const updateKey = recognizeRedelivery ? `grammy:${ctx.me.id}:${ctx.update.update_id}` : undefined;
    let passedOn = false;
    const runHandlers = async (): Promise<void> => {
      if (handlers === undefined) return next();
      passedOn = false;
      const handle = typeof handlers === 'function' ? handlers : handlers.middleware();
      await handle(ctx, () => {
        passedOn = true;
        return Promise.resolve();
      });
    };
    const callbacks = await withRetry(
      async () => {
        if (updateKey !== undefined && (await repository.isProcessed(updateKey))) return [];
        const stored = await sessions.read(key);
        let value: S | null | undefined = stored === null ? options.initial?.() : (stored.data as S);
        const before = stored === null ? undefined : JSON.stringify(stored.data);
        const pending: (() => unknown)[] = [];
        installSession(
          ctx,
          () => value,
          (assigned) => (value = assigned),
          (callback) => pending.push(callback),
        );
        await runHandlers();
        try {
          await writeBack();
        } catch (error) {
          if (isDuplicateOperationError(error)) return []; // the same update, delivered twice, committed first
          throw error;
        }
        return pending;

        async function writeBack(): Promise<void> {
          if (value === null || value === undefined) {
            if (stored !== null) await sessions.delete(key, stored.version);
            if (updateKey !== undefined) await repository.markProcessed(updateKey);
            return;
          }
          const data = sessionData(value, 'ctx.session');
          if (stored !== null && JSON.stringify(data) === before) {
            if (updateKey !== undefined) await repository.markProcessed(updateKey);
            return;
          }
          await sessions.write(key, data, stored?.version ?? 'absent', { idempotencyKey: updateKey });
        }
      },
      { ...(retry ?? { maxAttempts: 1 }), shouldRetry: isConcurrencyError },
    );
    for (const callback of callbacks) await callback();
    if (passedOn) await next();
  };
}

/** Defines `ctx.session` and `ctx.afterSessionWrite` afresh for each run of an update. */
function installSession<S>(
  ctx: object,
  get: () => S | null | undefined,
  set?: (value: S | null | undefined) => void,
  afterWrite?: (callback: () => unknown) => void,
): void {
  Object.defineProperty(ctx, 'session', {
    configurable: true,
    enumerable: true,
    get,
    set: (value: S | null | undefined) => {
      if (set === undefined) throw noSessionKey();
      set(value);
    },
  });
  Object.defineProperty(ctx, 'afterSessionWrite', {
    configurable: true,
    enumerable: false,
    value: (callback: () => unknown) => {
      expectFunction('callback', callback);
      if (afterWrite === undefined) {
        throw invalidArgument(
          'ctx.afterSessionWrite',
          'be called on an update with a session key',
          'an update without one',
        );
      }
      afterWrite(callback);
    },
  });
}
