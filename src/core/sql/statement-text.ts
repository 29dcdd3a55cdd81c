/**
 * Small helpers for building a dialect's statement text from validated names. Values never pass through
 * here: they travel as parameters.
 *
 * @module
 */
import type { ResolvedNames } from './table-names.js';
import type { SessionPageQuery, StoredChanges } from '../session-store.js';

/** Quotes a validated identifier with `open`/`close`, doubling any closing character. */
export function quoteWith(open: string, close: string): (name: string) => string {
  return (name) => `${open}${name.split(close).join(close + close)}${close}`;
}

/** The quoted names a statements module needs, computed once per store. */
export interface QuotedNames {
  table: string;
  processedTable: string;
  historyTable: string;
  key: string;
  state: string;
  data: string;
  version: string;
  createdAt: string;
  updatedAt: string;
  /** The select list every session-returning statement uses, aliased to the core's row names. */
  selectList: string;
}

/** Quotes every name once; `prefix` qualifies column references in the select list (e.g. `inserted.`). */
export function quoteNames(names: ResolvedNames, quote: (name: string) => string, prefix = ''): QuotedNames {
  const qualify = (table: string): string =>
    names.schema === null ? quote(table) : `${quote(names.schema)}.${quote(table)}`;
  const c = names.columns;
  const key = quote(c.key);
  const state = quote(c.state);
  const data = quote(c.data);
  const version = quote(c.version);
  const createdAt = quote(c.createdAt);
  const updatedAt = quote(c.updatedAt);
  const selectList = [
    `${prefix}${key} AS session_key`,
    `${prefix}${state} AS session_state`,
    `${prefix}${data} AS session_data`,
    `COALESCE(${prefix}${version}, 0) AS session_version`,
    `${prefix}${createdAt} AS created_at`,
    `${prefix}${updatedAt} AS updated_at`,
  ].join(', ');
  return {
    table: qualify(names.table),
    processedTable: qualify(names.processedTable),
    historyTable: qualify(names.historyTable),
    key,
    state,
    data,
    version,
    createdAt,
    updatedAt,
    selectList,
  };
}

/**
 * One copy of each update text, by shape. An update's text depends only on which changes it writes,
 * whether it expects a version and whether it is the observed form, never on the values; after the
 * first call of a shape the builder hands back that first string, so a driver that finds its compiled
 * statement by text (or writes it to the wire) meets a string it has already hashed and flattened.
 */
export function updateTexts(): (
  changes: StoredChanges,
  expectedVersion: number | null,
  observed: boolean,
  text: string,
) => string {
  const texts: string[] = [];
  return (changes, expectedVersion, observed, text) =>
    (texts[
      (changes.state === undefined ? 0 : 1) |
        (changes.dataJson === undefined ? 0 : 2) |
        (expectedVersion === null ? 0 : 4) |
        (observed ? 8 : 0)
    ] ??= text);
}

/**
 * The SET list of an update: the changed columns, the version bump and the last-activity time.
 * `bind` registers a value and returns its placeholder.
 */
export function setList(
  q: QuotedNames,
  changes: StoredChanges,
  bind: (name: string, value: unknown) => string,
  now: string,
): string {
  const sets: string[] = [];
  if (changes.state !== undefined) sets.push(`${q.state} = ${bind('state', changes.state)}`);
  if (changes.dataJson !== undefined) sets.push(`${q.data} = ${bind('data', changes.dataJson)}`);
  sets.push(`${q.version} = COALESCE(${q.version}, 0) + 1`, `${q.updatedAt} = ${now}`);
  return sets.join(', ');
}

/**
 * The `previous_version` column of an observed update's RETURNING list. RETURNING sees the new row,
 * and the SET list raised the version by exactly one on the row the statement had locked, so the new
 * value minus one is precisely the version this write replaced, even under concurrent writers.
 */
export function previousVersionAfterBump(q: QuotedNames, prefix = ''): string {
  return `${prefix}${q.version} - 1 AS previous_version`;
}

/**
 * The WHERE clause of an idle-session read: last activity before `idleBefore`, and the state one of
 * `states` when given, each state bound as its own parameter (`state0`, `state1` …).
 */
export function idleWhere(
  q: QuotedNames,
  idleBefore: unknown,
  states: readonly string[] | null,
  bind: (name: string, value: unknown) => string,
): string {
  const before = `${q.updatedAt} < ${bind('idleBefore', idleBefore)}`;
  if (states === null) return before;
  return `${before} AND ${q.state} IN (${states.map((state, index) => bind(`state${index}`, state)).join(', ')})`;
}

/**
 * The WHERE clause of a listing page (`TRUE`-free: `null` when nothing filters): the time window, the
 * states, and the keyset position `(updated_at, key) > (after.time, after.key)`, written as a range on
 * the time followed by the tie-break, so an index on (updated_at, key) serves it on every engine.
 * `time` turns a filter Date into the dialect's parameter value.
 */
export function pageWhere(
  q: QuotedNames,
  query: SessionPageQuery,
  bind: (name: string, value: unknown) => string,
  time: (value: Date) => unknown,
): string | null {
  const clauses: string[] = [];
  if (query.updatedAfter !== null) clauses.push(`${q.updatedAt} >= ${bind('updatedAfter', time(query.updatedAfter))}`);
  if (query.updatedBefore !== null)
    clauses.push(`${q.updatedAt} < ${bind('updatedBefore', time(query.updatedBefore))}`);
  if (query.states !== null) {
    clauses.push(`${q.state} IN (${query.states.map((state, index) => bind(`state${index}`, state)).join(', ')})`);
  }
  if (query.after !== null) {
    const from = bind('afterTime', query.after.time);
    const past = bind('pastTime', query.after.time);
    clauses.push(
      `${q.updatedAt} >= ${from} AND (${q.updatedAt} > ${past} OR ${q.key} > ${bind('afterKey', query.after.key)})`,
    );
  }
  return clauses.length === 0 ? null : clauses.join(' AND ');
}

/** The columns of a history row as every dialect's `selectHistory` returns them. */
export const HISTORY_COLUMNS = 'session_key, session_version, previous_state, state, origin, reason, changed_at';
/** The columns `insertHistory` writes, in the order of its values (then the time). */
export const HISTORY_INSERT_COLUMNS = 'session_key, session_version, previous_state, state, origin, reason';

/**
 * The processed-operations columns of a row read together with its session, as
 * `SessionWithProcessedRow` names them; `p` is the alias of the processed-operations table.
 */
export const PROCESSED_JOIN_COLUMNS =
  'p.id AS processed_id, p.session_version AS processed_version, p.session_snapshot AS processed_snapshot, ' +
  'p.commit_token AS processed_token, p.processed_at AS processed_at';

/** The same columns, all `NULL`, for a row that has no record. */
export const NO_PROCESSED_COLUMNS =
  'NULL AS processed_id, NULL AS processed_version, NULL AS processed_snapshot, NULL AS processed_token, NULL AS processed_at';

/**
 * The FROM clause of a session read together with the key's record of one operation id: always one
 * row (from the one-row `base`), the session as `s` and the record as `p`, matched on the session key
 * as well as the id so that the statement touches that key's rows only.
 */
export function sessionWithProcessedFrom(q: QuotedNames, key: string, id: string): string {
  return (
    `FROM (SELECT 1 AS one) AS base LEFT JOIN ${q.table} AS s ON s.${q.key} = ${key} ` +
    `LEFT JOIN ${q.processedTable} AS p ON p.session_key = ${key} AND p.id = ${id}`
  );
}

/** The outcome of a write that wrote nothing, from the row of `sessionWithProcessedFrom`. */
export function refusedOnceOutcome(q: QuotedNames): string {
  return `CASE WHEN p.id IS NOT NULL THEN 'duplicate' WHEN s.${q.key} IS NULL THEN 'missing' ELSE 'conflict' END`;
}
