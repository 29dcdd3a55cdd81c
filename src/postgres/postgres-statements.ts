/**
 * The PostgreSQL text of every statement the store sends. Names are validated and double-quoted once;
 * values always travel as `$n` parameters.
 *
 * @module
 */
import type { SessionStatements } from '../core/sql/dialect-contract.js';
import type { TransactionStatements } from '../core/sql/transaction.js';
import {
  HISTORY_COLUMNS,
  HISTORY_INSERT_COLUMNS,
  idleWhere,
  pageWhere,
  NO_PROCESSED_COLUMNS,
  previousVersionAfterBump,
  PROCESSED_JOIN_COLUMNS,
  quoteNames,
  quoteWith,
  refusedOnceOutcome,
  sessionWithProcessedFrom,
  setList,
  updateTexts,
} from '../core/sql/statement-text.js';
import type { ResolvedNames } from '../core/sql/table-names.js';
import type { StoredChanges } from '../core/session-store.js';

/**
 * A statement in the shape `pg` executes: the type parameter of the PostgreSQL store's SQL core.
 * Only the library builds these; values always travel as `$n` parameters.
 *
 * @example
 * ```ts
 * const statement: PostgresStatement = { text: 'SELECT 1 WHERE $1::text IS NOT NULL', values: ['x'] };
 * ```
 */
export interface PostgresStatement {
  /** The SQL text with `$1`, `$2` … placeholders. */
  readonly text: string;
  /** The values of the placeholders, in order. */
  readonly values: unknown[];
}

const quote = quoteWith('"', '"');

/** Builds the PostgreSQL statements for one store's names. */
export function postgresStatements(names: ResolvedNames): SessionStatements<PostgresStatement> {
  const q = quoteNames(names, quote);
  const joined = quoteNames(names, quote, 's.');
  const byKey = `${q.key} = $1`;
  const versionIs = (placeholder: string): string => `COALESCE(${q.version}, 0) = ${placeholder}`;
  const columnsOf = (table: string): PostgresStatement => ({
    text: 'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
    values: [names.schema, table],
  });
  const interned = updateTexts();
  const selectText = `SELECT ${q.selectList} FROM ${q.table} WHERE ${byKey}`;
  const updateStatement = (
    key: string,
    changes: StoredChanges,
    expectedVersion: number | null,
    extraReturning: string,
  ): PostgresStatement => {
    const values: unknown[] = [key];
    const bind = (_name: string, value: unknown): string => `$${values.push(value)}`;
    const sets = setList(q, changes, bind, 'now()');
    const where = expectedVersion === null ? byKey : `${byKey} AND ${versionIs(bind('expected', expectedVersion))}`;
    const text = `UPDATE ${q.table} SET ${sets} WHERE ${where} RETURNING ${q.selectList}${extraReturning}`;
    return { text: interned(changes, expectedVersion, extraReturning !== '', text), values };
  };
  // The session and the key's record of the id: $1 the key, $2 the id.
  const sessionWithProcessed = `SELECT ${joined.selectList}, ${PROCESSED_JOIN_COLUMNS} ${sessionWithProcessedFrom(q, '$1', '$2')}`;
  return {
    select: (key) => ({ text: selectText, values: [key] }),
    readWithProcessed: (key, id) => ({ text: sessionWithProcessed, values: [key, id] }),
    // One statement, atomic on its own: the update (unless the id is recorded for the key), the record
    // built from the written row, and the outcome. Data-modifying CTEs all run, to completion, whether
    // or not the query reads them; a concurrent record of the same id makes the INSERT a unique
    // violation, which undoes the update too.
    updateOnce: (write) => {
      const values: unknown[] = [write.key, write.id, write.commitToken];
      const bind = (_name: string, value: unknown): string => `$${values.push(value)}`;
      const sets = setList(q, write.changes, bind, 'now()');
      const version =
        write.expectedVersion === null ? '' : ` AND ${versionIs(bind('expected', write.expectedVersion))}`;
      return {
        text:
          `WITH written AS (UPDATE ${q.table} SET ${sets} WHERE ${byKey}${version} ` +
          `AND NOT EXISTS (SELECT 1 FROM ${q.processedTable} WHERE session_key = $1 AND id = $2) ` +
          `RETURNING ${q.selectList}), ` +
          `recorded AS (INSERT INTO ${q.processedTable} (id, session_key, session_version, session_snapshot, commit_token, processed_at) ` +
          "SELECT $2, $1, w.session_version, json_build_object('state', w.session_state, 'dataJson', w.session_data::text, " +
          "'createdAt', w.created_at, 'updatedAt', w.updated_at)::text, $3::text, now() FROM written AS w) " +
          'SELECT w.session_key, w.session_state, w.session_data, w.session_version, w.created_at, w.updated_at, ' +
          `${NO_PROCESSED_COLUMNS}, 'done' AS outcome FROM written AS w ` +
          `UNION ALL SELECT ${joined.selectList}, ${PROCESSED_JOIN_COLUMNS}, ${refusedOnceOutcome(q)} AS outcome ` +
          `${sessionWithProcessedFrom(q, '$1', '$2')} WHERE NOT EXISTS (SELECT 1 FROM written)`,
        values,
      };
    },
    selectDataPage: (afterKey, limit) => ({
      text:
        `SELECT ${q.key} AS session_key, ${q.data} AS session_data FROM ${q.table} ` +
        `WHERE $1::text IS NULL OR ${q.key} > $1 ORDER BY ${q.key} LIMIT $2`,
      values: [afterKey, limit],
    }),
    selectVersion: (key) => ({
      text: `SELECT COALESCE(${q.version}, 0) AS session_version FROM ${q.table} WHERE ${byKey}`,
      values: [key],
    }),
    insertIfAbsent: (key, state, dataJson) => ({
      text:
        `INSERT INTO ${q.table} (${q.key}, ${q.state}, ${q.data}, ${q.version}, ${q.createdAt}, ${q.updatedAt}) ` +
        `VALUES ($1, $2, $3, 0, now(), now()) ON CONFLICT (${q.key}) DO NOTHING RETURNING ${q.selectList}`,
      values: [key, state, dataJson],
    }),
    update: (key, changes, expectedVersion) => updateStatement(key, changes, expectedVersion, ''),
    observedUpdate: (key, changes) => updateStatement(key, changes, null, `, ${previousVersionAfterBump(q)}`),
    observedDelete: (key) => ({
      text: `DELETE FROM ${q.table} WHERE ${byKey} RETURNING COALESCE(${q.version}, 0) AS previous_version`,
      values: [key],
    }),
    delete: (key, expectedVersion) =>
      expectedVersion === null
        ? { text: `DELETE FROM ${q.table} WHERE ${byKey}`, values: [key] }
        : { text: `DELETE FROM ${q.table} WHERE ${byKey} AND ${versionIs('$2')}`, values: [key, expectedVersion] },
    touch: (key) => ({ text: `UPDATE ${q.table} SET ${q.updatedAt} = now() WHERE ${byKey}`, values: [key] }),
    sessionColumns: () => columnsOf(names.table),
    processedColumns: () => columnsOf(names.processedTable),
    insertProcessed: (id, key) => ({
      text: `INSERT INTO ${q.processedTable} (id, session_key, processed_at) VALUES ($1, $2, now()) ON CONFLICT (id) DO NOTHING`,
      values: [id, key],
    }),
    selectProcessed: (id) => ({ text: `SELECT 1 AS found FROM ${q.processedTable} WHERE id = $1`, values: [id] }),
    selectProcessedRecord: (id) => ({
      text:
        'SELECT id, session_key, session_version, session_snapshot, commit_token, processed_at ' +
        `FROM ${q.processedTable} WHERE id = $1`,
      values: [id],
    }),
    claimProcessed: (id, key, commitToken) => ({
      text:
        `INSERT INTO ${q.processedTable} (id, session_key, commit_token, processed_at) ` +
        'VALUES ($1, $2, $3, now()) ON CONFLICT (id) DO NOTHING',
      values: [id, key, commitToken],
    }),
    recordProcessed: (id, commitToken, version, snapshotJson) => ({
      text: `UPDATE ${q.processedTable} SET session_version = $3, session_snapshot = $4 WHERE id = $1 AND commit_token = $2`,
      values: [id, commitToken, version, snapshotJson],
    }),
    releaseProcessed: (id, commitToken) => ({
      text: `DELETE FROM ${q.processedTable} WHERE id = $1 AND commit_token = $2`,
      values: [id, commitToken],
    }),
    deleteProcessedBefore: (olderThan) => ({
      text: `DELETE FROM ${q.processedTable} WHERE processed_at < $1`,
      values: [olderThan],
    }),
    selectIdle: (idleBefore, states, limit) => {
      const values: unknown[] = [];
      const bind = (_name: string, value: unknown): string => `$${values.push(value)}`;
      const where = idleWhere(q, idleBefore, states, bind);
      return {
        text: `SELECT ${q.selectList} FROM ${q.table} WHERE ${where} ORDER BY ${q.updatedAt}, ${q.key} LIMIT ${bind('limit', limit)}`,
        values,
      };
    },
    // The position travels as the column's own text (microseconds included) and goes back as an
    // untyped parameter, which PostgreSQL reads as the column's type: the comparison is exact.
    selectPage: (query) => {
      const values: unknown[] = [];
      const bind = (_name: string, value: unknown): string => `$${values.push(value)}`;
      const where = pageWhere(q, query, bind, (value) => value);
      return {
        text:
          `SELECT ${q.selectList}, ${q.updatedAt}::text AS page_time FROM ${q.table}` +
          (where === null ? '' : ` WHERE ${where}`) +
          ` ORDER BY ${q.updatedAt}, ${q.key} LIMIT ${bind('limit', query.limit)}`,
        values,
      };
    },
    // The time predicate is repeated on the DELETE itself: a row written after the subquery chose it
    // is re-checked against its new version under READ COMMITTED, and kept.
    deleteStale: (olderThan, states, limit) => {
      const values: unknown[] = [];
      const bind = (_name: string, value: unknown): string => `$${values.push(value)}`;
      const where = idleWhere(q, olderThan, states, bind);
      return {
        text:
          `DELETE FROM ${q.table} WHERE ${where} AND ${q.key} IN ` +
          `(SELECT ${q.key} FROM ${q.table} WHERE ${where} ORDER BY ${q.updatedAt} LIMIT ${bind('limit', limit)})`,
        values,
      };
    },
    lockRow: (key) => ({
      text: `SELECT ${q.state} AS session_state, COALESCE(${q.version}, 0) AS session_version FROM ${q.table} WHERE ${byKey} FOR UPDATE`,
      values: [key],
    }),
    insertHistory: (row) => ({
      text: `INSERT INTO ${q.historyTable} (${HISTORY_INSERT_COLUMNS}, changed_at) VALUES ($1, $2, $3, $4, $5, $6, now())`,
      values: [row.key, row.version, row.previousState, row.state, row.origin, row.reason],
    }),
    selectHistory: (key, limit, before) =>
      before === null
        ? {
            text: `SELECT ${HISTORY_COLUMNS} FROM ${q.historyTable} WHERE session_key = $1 ORDER BY session_version DESC, id DESC LIMIT $2`,
            values: [key, limit],
          }
        : {
            text: `SELECT ${HISTORY_COLUMNS} FROM ${q.historyTable} WHERE session_key = $1 AND session_version < $3 ORDER BY session_version DESC, id DESC LIMIT $2`,
            values: [key, limit, before],
          },
    deleteHistoryBefore: (olderThan) => ({
      text: `DELETE FROM ${q.historyTable} WHERE changed_at < $1`,
      values: [olderThan],
    }),
    historyColumns: () => columnsOf(names.historyTable),
  };
}

/** BEGIN/COMMIT/ROLLBACK, sent as simple queries on the one client the transaction holds. */
export const postgresTransactionStatements: TransactionStatements<PostgresStatement> = {
  begin: () => ({ text: 'BEGIN', values: [] }),
  commit: () => ({ text: 'COMMIT', values: [] }),
  rollback: () => ({ text: 'ROLLBACK', values: [] }),
};
