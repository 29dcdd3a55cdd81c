/**
 * The end of a chat's life: the idle-session sweep (`expireIdleSessions`) and the duration syntax its
 * callers use. The sweep writes every session with the version it read, so a message that arrives
 * between the sweep's read and its write wins and the session is skipped, never overwritten.
 *
 * @module
 */
import { describeValue, expectInteger, expectObject, expectThat, invalidArgument } from '../validate.js';
import type { LevelLogger } from '../observability/logger.js';
import type { Session, SessionChanges } from '../session.js';
import type { SessionRecord, SessionStore, SessionTransition, StoredChanges } from '../session-store.js';
import { validateCutoff, validateExpectedVersion, validateKey, validateState } from './input-validation.js';

/**
 * A duration: milliseconds as a positive integer, or text such as `'45s'`, `'30m'`, `'12h'`, `'7d'`.
 *
 * @example
 * ```ts
 * const idleFor: Duration = '30m';
 * ```
 */
export type Duration = number | string;

const DURATION_TEXT = /^([1-9]\d{0,8})(ms|s|m|h|d)$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Ten years: longer than any retention a chat store keeps, short enough to stay a valid date. */
const MAX_DURATION_MS = 10 * 365 * 86_400_000;

/**
 * Reads a {@link Duration} as milliseconds.
 *
 * @throws InvalidArgumentError naming `argument` for anything but a positive integer of milliseconds
 *   or `<n>ms|s|m|h|d`, or for more than ten years.
 * @example
 * ```ts
 * parseDuration('30m'); // 1_800_000
 * ```
 */
export function parseDuration(value: unknown, argument = 'idleFor'): number {
  let ms: number | undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) ms = value;
  if (typeof value === 'string') {
    const match = DURATION_TEXT.exec(value);
    if (match !== null) ms = Number(match[1]) * UNIT_MS[match[2]!]!;
  }
  if (ms === undefined) {
    throw invalidArgument(
      argument,
      "be a duration: milliseconds as a positive integer, or text such as '45s', '30m', '12h', '7d'",
      describeValue(value),
    );
  }
  if (ms > MAX_DURATION_MS) {
    throw invalidArgument(argument, 'be a duration of at most ten years', `${ms} ms`, {
      hint: 'Use a shorter duration.',
    });
  }
  return ms;
}

/**
 * Options of {@link SessionRepository.expireIdleSessions}.
 *
 * @typeParam TData - the shape of each session's `data` object.
 * @example
 * ```ts
 * const options: ExpireIdleSessionsOptions = { idleFor: '30m', changes: { state: 'CANCELADA' }, states: ['MENU'] };
 * ```
 */
export interface ExpireIdleSessionsOptions<TData = Record<string, unknown>> {
  /** How long a session must have gone without a write or a touch to be expired, e.g. `'30m'`. */
  readonly idleFor: Duration;
  /**
   * What to write to each idle session: changes, or a function of the session as the sweep read it
   * (its result is validated like `updateSession`'s changes before that session is written).
   */
  readonly changes: SessionChanges<TData> | ChangesOf<TData>;
  /** Only sessions in one of these states; left out, sessions in any state (a `NULL` state included). */
  readonly states?: readonly string[];
  /**
   * The most sessions one call writes or skips; call again for the rest.
   * @defaultValue 1000
   */
  readonly limit?: number;
  /** The origin recorded in the history for each expired session. @defaultValue 'timeout' */
  readonly origin?: string;
  /** The reason recorded in the history for each expired session, e.g. `'30 min sin respuesta'`. */
  readonly reason?: string;
}

/**
 * Options of {@link SessionRepository.getSessionHistory}.
 *
 * @example
 * ```ts
 * const options: SessionHistoryOptions = { limit: 10, before: 42 };
 * ```
 */
export interface SessionHistoryOptions {
  /** The most transitions returned, 1 to 1000. @defaultValue 20 */
  readonly limit?: number;
  /** Only transitions with a version below this one: the next page after a page ending at `before`. */
  readonly before?: number;
}

/** The longest page of history one call returns. */
export const MAX_HISTORY_PAGE = 1000;

/** The store, checked to have the optional history method `method`. */
function requireHistory(store: SessionStore, method: 'readHistory' | 'pruneHistory'): SessionStore {
  if (typeof store[method] !== 'function') {
    throw invalidArgument('store', `have ${method}()`, 'a store without it', { hint: "The library's stores have it." });
  }
  return store;
}

/** `SessionRepository.getSessionHistory`: a page of `key`'s transitions, newest first. */
export function readSessionHistory(
  store: SessionStore,
  key: string,
  options: SessionHistoryOptions,
): Promise<SessionTransition[]> {
  validateKey(key);
  const limit = validateLimit(options.limit, 20, MAX_HISTORY_PAGE, 'options.limit');
  const before = validateExpectedVersion(options.before, 'options.before');
  return requireHistory(store, 'readHistory').readHistory!(key, limit, before);
}

/** `SessionRepository.pruneHistory`: deletes the transitions recorded before `options.olderThan`. */
export function pruneSessionHistory(store: SessionStore, options: { olderThan: Date }): Promise<number> {
  const olderThan = validateCutoff((options as { olderThan?: unknown } | undefined)?.olderThan);
  return requireHistory(store, 'pruneHistory').pruneHistory!(olderThan);
}

/**
 * A function from a session to the changes to write to it. Declared as a method so that a repository
 * of a specific data shape still passes where one of `unknown` data is expected.
 *
 * @example
 * ```ts
 * const close: ChangesOf = (session) => ({ state: 'CANCELADA', data: { ...session.data, closedBy: 'timeout' } });
 * ```
 */
export type ChangesOf<TData = Record<string, unknown>> = {
  /** The changes for `session`. */
  bivariant(session: Session<TData>): SessionChanges<TData>;
}['bivariant'];

/**
 * What {@link SessionRepository.expireIdleSessions} did.
 *
 * @example
 * ```ts
 * const { expired, skipped } = await repository.expireIdleSessions({ idleFor: '30m', changes: { state: 'CANCELADA' } });
 * ```
 */
export interface ExpireIdleSessionsResult {
  /** Sessions written with the changes. */
  readonly expired: number;
  /** Sessions a newer write (a message that arrived after the sweep read them) or a delete got to first. */
  readonly skipped: number;
}

/** The most states one sweep filters on (each travels as its own parameter). */
export const MAX_STATES = 100;
/** The most sessions one call sweeps. */
export const MAX_SWEEP_LIMIT = 100_000;
const SWEEP_BATCH = 100;

/** What the sweep needs from its repository. */
export interface SweepContext<TData> {
  readonly store: SessionStore;
  readonly logger: LevelLogger;
  /** Validates and serialises changes as `updateSession` does. */
  toStoredChanges(changes: SessionChanges<TData>, argument: string): StoredChanges;
  /** Validates an origin or reason as `updateSession` does. */
  validateLabel(value: unknown, argument: 'origin' | 'reason'): string | undefined;
  toSession(record: SessionRecord): Session<TData>;
  /** Called for every key the sweep wrote or found written, so no cached copy outlives it. */
  forget(key: string): void;
}

/** Validates an optional list of states (non-empty strings, at most {@link MAX_STATES}). */
export function validateStates(states: unknown, argument = 'states'): readonly string[] | null {
  if (states === undefined) return null;
  expectThat(
    Array.isArray(states) && states.length > 0 && states.length <= MAX_STATES,
    argument,
    `be an array of 1 to ${MAX_STATES} state strings`,
    states,
  );
  return states.map((state: unknown, index) => {
    expectThat(state !== null, `${argument}[${index}]`, 'be a string', state);
    return validateState(state, `${argument}[${index}]`)!;
  });
}

/** Validates an optional limit: an integer from 1 to `max`. */
export function validateLimit(value: unknown, fallback: number, max: number, argument = 'limit'): number {
  if (value === undefined) return fallback;
  expectInteger(argument, value, { min: 1, max });
  return value;
}

/**
 * The sweep: reads idle sessions in batches and writes each conditionally on the version it read.
 * Everything is validated before the first statement (a `changes` function's result before each write).
 */
export async function expireIdleSessions<TData>(
  context: SweepContext<TData>,
  options: ExpireIdleSessionsOptions<TData>,
): Promise<ExpireIdleSessionsResult> {
  expectObject('options', options);
  const idleMs = parseDuration(options.idleFor, 'idleFor');
  const states = validateStates(options.states);
  const limit = validateLimit(options.limit, 1000, MAX_SWEEP_LIMIT);
  const { changes } = options;
  const origin = context.validateLabel(options.origin ?? 'timeout', 'origin')!;
  const reason = context.validateLabel(options.reason, 'reason');
  const label = (stored: StoredChanges): StoredChanges => ({
    ...stored,
    origin,
    ...(reason === undefined ? {} : { reason }),
  });
  const fixed = typeof changes === 'function' ? null : label(context.toStoredChanges(changes, 'changes'));
  const { store } = context;
  if (typeof store.findIdle !== 'function') {
    throw invalidArgument('store', 'have findIdle() for expireIdleSessions', 'a store without it', {
      hint: 'The library’s stores have it.',
    });
  }
  const idleBefore = new Date(Date.now() - idleMs);
  const seen = new Set<string>();
  let expired = 0;
  let skipped = 0;
  while (seen.size < limit) {
    const size = Math.min(SWEEP_BATCH, limit - seen.size);
    const batch = await store.findIdle(idleBefore, states, size);
    const fresh = batch.filter((record) => !seen.has(record.key));
    for (const record of fresh) {
      seen.add(record.key);
      const stored =
        fixed ?? context.toStoredChanges((changes as ChangesOf<TData>)(context.toSession(record)), 'changes()');
      // The version the sweep read: a write that came in since makes this one a conflict, never an overwrite.
      const outcome = await store.update(record.key, stored, record.version);
      context.forget(record.key);
      if (outcome.status === 'done') expired++;
      else skipped++;
    }
    if (fresh.length === 0 || batch.length < size) break;
  }
  context.logger.info(`[SessionExpiry] expired ${expired}, skipped ${skipped} (written since the sweep read them).`);
  return { expired, skipped };
}
