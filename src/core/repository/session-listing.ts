/**
 * Listing and clean-up of sessions for admin screens and scripts: `listSessions` pages through the
 * table in (last-activity time, key) order with an opaque keyset cursor, never an OFFSET;
 * `pruneSessions` deletes stale sessions in bounded batches, each its own short statement.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { InvalidArgumentError } from '../errors.js';
import { expectInteger, expectObject, expectThat, invalidArgument } from '../validate.js';
import type { LevelLogger } from '../observability/logger.js';
import type { PagePosition, SessionRecord, SessionStore } from '../session-store.js';
import { validateCutoff, validateKey } from './input-validation.js';
import { parseDuration, validateLimit, validateStates, type Duration } from './lifecycle.js';

/**
 * Options of {@link SessionRepository.listSessions}.
 *
 * @example
 * ```ts
 * const options: ListSessionsOptions = { states: ['MENU'], updatedBefore: new Date('2026-01-01'), limit: 50 };
 * ```
 */
export interface ListSessionsOptions {
  /** Only sessions in one of these states; left out, sessions in any state (a `NULL` state included). */
  readonly states?: readonly string[];
  /** Only sessions last written or touched before this time (exclusive). */
  readonly updatedBefore?: Date;
  /** Only sessions last written or touched at or after this time (inclusive). */
  readonly updatedAfter?: Date;
  /** The most sessions on one page, 1 to 1000. */
  readonly limit: number;
  /**
   * The `nextCursor` of the previous page, to read the page after it; left out, the first page. Pass
   * it with the same `states`, `updatedBefore` and `updatedAfter` (the `limit` may change).
   */
  readonly cursor?: string;
}

/**
 * A page of {@link SessionRepository.listSessions}.
 *
 * @typeParam TSession - the session type of the repository.
 * @example
 * ```ts
 * const { sessions, nextCursor }: SessionPage<Session> = await repository.listSessions({ limit: 50 });
 * ```
 */
export interface SessionPage<TSession> {
  /** The sessions of this page, oldest last activity first, then by key. */
  readonly sessions: TSession[];
  /** The cursor of the next page, or `null` when this page is the last. */
  readonly nextCursor: string | null;
}

/**
 * Options of {@link SessionRepository.pruneSessions}.
 *
 * @example
 * ```ts
 * const options: PruneSessionsOptions = { olderThan: '90d', states: ['CANCELADA', 'FINALIZADA'] };
 * ```
 */
export interface PruneSessionsOptions {
  /**
   * Sessions last written or touched longer ago than this are deleted: a duration such as `'90d'`
   * (counted back from now), or a Date in the past.
   */
  readonly olderThan: Duration | Date;
  /** Only sessions in one of these states; left out, sessions in any state (a `NULL` state included). */
  readonly states?: readonly string[];
  /**
   * The most sessions one statement deletes; the call deletes batch after batch until none is left.
   * @defaultValue 1000
   */
  readonly batchSize?: number;
}

/**
 * What {@link SessionRepository.pruneSessions} did.
 *
 * @example
 * ```ts
 * const { deleted }: PruneSessionsResult = await repository.pruneSessions({ olderThan: '90d' });
 * ```
 */
export interface PruneSessionsResult {
  /** Sessions deleted. */
  readonly deleted: number;
}

/** The longest page one `listSessions` call returns. */
export const MAX_LIST_PAGE = 1000;
/** The largest batch one `pruneSessions` statement deletes. */
export const MAX_PRUNE_BATCH = 10_000;

/** What listing and clean-up need from their repository. */
export interface ListingContext<TSession> {
  readonly store: SessionStore;
  readonly logger: LevelLogger;
  toSession(record: SessionRecord): TSession;
}

const CURSOR_VERSION = 'vs1';

function requireMethod(store: SessionStore, method: 'readPage' | 'deleteStale', caller: string): void {
  expectThat(typeof store[method] === 'function', 'store', `have ${method}() for ${caller}`, store, {
    hint: "The library's stores have it.",
  });
}

function optionalDate(value: unknown, argument: string): Date | null {
  return value === undefined ? null : validateCutoff(value, argument);
}

/** What a cursor is bound to: the table and the filters of the query that made it. */
function queryFingerprint(
  store: SessionStore,
  states: readonly string[] | null,
  updatedBefore: Date | null,
  updatedAfter: Date | null,
): string {
  const { dialect, names } = store;
  return JSON.stringify([
    dialect,
    names.schema,
    names.table,
    states === null ? null : [...new Set(states)].sort(),
    updatedBefore?.toISOString() ?? null,
    updatedAfter?.toISOString() ?? null,
  ]);
}

function checksum(payload: string, fingerprint: string): string {
  return createHash('sha256').update(`${CURSOR_VERSION}\n${fingerprint}\n${payload}`).digest('base64url').slice(0, 22);
}

/** The cursor after `position` for the query of `fingerprint`. */
export function encodeCursor(position: PagePosition, fingerprint: string): string {
  const payload = Buffer.from(JSON.stringify([position.time, position.key]), 'utf8').toString('base64url');
  return `${CURSOR_VERSION}.${payload}.${checksum(payload, fingerprint)}`;
}

/**
 * The position a cursor carries, when it was made by the query of `fingerprint` and not altered.
 *
 * @throws InvalidArgumentError naming `options.cursor` otherwise.
 */
export function decodeCursor(cursor: unknown, fingerprint: string): PagePosition {
  const refuse = (got: string): InvalidArgumentError =>
    invalidArgument('options.cursor', 'be the nextCursor of a page of this same listing', got, {
      hint:
        'Pass the nextCursor of the previous page unchanged, with the same states, updatedBefore and ' +
        'updatedAfter, or leave the cursor out to start from the first page.',
    });
  if (typeof cursor !== 'string') throw refuse(cursor === null ? 'null' : typeof cursor);
  const parts = cursor.split('.');
  if (parts.length !== 3 || parts[0] !== CURSOR_VERSION || cursor.length > 2048) {
    throw refuse('text that is not a listSessions cursor');
  }
  const [, payload, sum] = parts as [string, string, string];
  if (sum !== checksum(payload, fingerprint)) {
    throw refuse('a cursor that was altered, or comes from a listing of another table or with other filters');
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw refuse('text that is not a listSessions cursor');
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) throw refuse('text that is not a listSessions cursor');
  const [time, key] = decoded as [unknown, unknown];
  if ((typeof time !== 'string' && typeof time !== 'number') || typeof key !== 'string') {
    throw refuse('text that is not a listSessions cursor');
  }
  return { time, key: validateKey(key, 'options.cursor') };
}

/** One page of sessions; every option is checked before the statement. */
export async function listSessions<TSession>(
  context: ListingContext<TSession>,
  options: ListSessionsOptions,
): Promise<SessionPage<TSession>> {
  expectObject('options', options);
  expectInteger('options.limit', options.limit, { min: 1, max: MAX_LIST_PAGE });
  const limit = options.limit;
  const states = validateStates(options.states, 'options.states');
  const updatedBefore = optionalDate(options.updatedBefore, 'options.updatedBefore');
  const updatedAfter = optionalDate(options.updatedAfter, 'options.updatedAfter');
  expectThat(
    updatedBefore === null || updatedAfter === null || updatedAfter.getTime() < updatedBefore.getTime(),
    'options.updatedAfter',
    'be before updatedBefore',
    updatedAfter,
    { hint: `${updatedAfter?.toISOString()} is not before ${updatedBefore?.toISOString()}.` },
  );
  const { store } = context;
  requireMethod(store, 'readPage', 'listSessions');
  const fingerprint = queryFingerprint(store, states, updatedBefore, updatedAfter);
  const after = options.cursor === undefined ? null : decodeCursor(options.cursor, fingerprint);
  // One row more than the page says whether there is a next page, so the last page has no cursor.
  const rows = await store.readPage!({ states, updatedBefore, updatedAfter, after, limit: limit + 1 });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    sessions: page.map((row) => context.toSession(row.record)),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last.position, fingerprint) : null,
  };
}

/** The cut-off of `olderThan`: a duration back from now, or a Date that is not in the future. */
function pruneCutoff(value: unknown): Date {
  if (value instanceof Date) {
    const cutoff = validateCutoff(value, 'olderThan');
    expectThat(cutoff.getTime() <= Date.now(), 'olderThan', 'be a Date in the past', `a future Date`, {
      hint: `${cutoff.toISOString()} would delete sessions in use. Pass a past Date or a duration such as '90d'.`,
    });
    return cutoff;
  }
  return new Date(Date.now() - parseDuration(value, 'olderThan'));
}

/** Deletes stale sessions batch by batch; every option is checked before the first statement. */
export async function pruneSessions(
  context: ListingContext<unknown>,
  options: PruneSessionsOptions,
): Promise<PruneSessionsResult> {
  expectObject('options', options);
  const olderThan = pruneCutoff(options.olderThan);
  const states = validateStates(options.states);
  const batchSize = validateLimit(options.batchSize, 1000, MAX_PRUNE_BATCH, 'batchSize');
  const { store } = context;
  requireMethod(store, 'deleteStale', 'pruneSessions');
  let deleted = 0;
  // Each batch is its own statement and commits on its own, so no lock is held across batches and
  // the writers of live sessions go on in between.
  for (;;) {
    const batch = await store.deleteStale!(olderThan, states, batchSize);
    deleted += batch;
    if (batch < batchSize) break;
  }
  context.logger.info(
    `[SessionPrune] deleted ${deleted} session${deleted === 1 ? '' : 's'} idle since before ${olderThan.toISOString()}.`,
  );
  return { deleted };
}
