/**
 * The SQLite text of every statement the store sends. Names are validated and double-quoted once;
 * values always travel as `@name` parameters. Times are ISO-8601 UTC text with milliseconds, which
 * sorts and compares correctly as text.
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
  previousVersionAfterBump,
  PROCESSED_JOIN_COLUMNS,
  quoteNames,
  quoteWith,
  sessionWithProcessedFrom,
  setList,
  updateTexts,
} from '../core/sql/statement-text.js';
import type { ResolvedNames } from '../core/sql/table-names.js';
import type { StoredChanges } from '../core/session-store.js';

/**
 * A statement in the shape `better-sqlite3` executes: the type parameter of the SQLite store's SQL
 * core. Only the library builds these; values always travel as `@name` parameters.
 *
 * @example
 * ```ts
 * const statement: SqliteStatement = { sql: 'SELECT @key AS k', params: { key: '+5215512345678' } };
 * ```
 */
export interface SqliteStatement {
  /** The SQL text with `@name` placeholders. */
  readonly sql: string;
  /** The value of each placeholder, by name. */
  readonly params: Record<string, unknown>;
}

const quote = quoteWith('"', '"');
const NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/** Builds the SQLite statements for one store's names. */
export function sqliteStatements(names: ResolvedNames): SessionStatements<SqliteStatement> {
  const q = quoteNames(names, quote);
  const byKey = `${q.key} = @key`;
  const versionIs = `COALESCE(${q.version}, 0) = @expected`;
  const columnsOf = (table: string): SqliteStatement => ({
    sql: 'SELECT name AS column_name FROM pragma_table_info(@table)',
    params: { table },
  });
  const interned = updateTexts();
  const selectText = `SELECT ${q.selectList} FROM ${q.table} WHERE ${byKey}`;
  const updateStatement = (
    key: string,
    changes: StoredChanges,
    expectedVersion: number | null,
    extraReturning: string,
    unlessProcessed?: string,
  ): SqliteStatement => {
    const params: Record<string, unknown> = { key };
    const bind = (name: string, value: unknown): string => {
      params[name] = value;
      return `@${name}`;
    };
    const sets = setList(q, changes, bind, NOW);
    let where =
      expectedVersion === null
        ? byKey
        : `${byKey} AND COALESCE(${q.version}, 0) = ${bind('expected', expectedVersion)}`;
    if (unlessProcessed !== undefined) {
      where += ` AND NOT EXISTS (SELECT 1 FROM ${q.processedTable} WHERE session_key = @key AND id = ${bind('id', unlessProcessed)})`;
    }
    const sql = `UPDATE ${q.table} SET ${sets} WHERE ${where} RETURNING ${q.selectList}${extraReturning}`;
    // The guarded write (exactly-once) has a text of its own, outside the per-shape cache of plain updates.
    return {
      sql: unlessProcessed === undefined ? interned(changes, expectedVersion, extraReturning !== '', sql) : sql,
      params,
    };
  };
  const joined = quoteNames(names, quote, 's.');
  return {
    select: (key) => ({ sql: selectText, params: { key } }),
    selectDataPage: (afterKey, limit) => ({
      sql:
        `SELECT ${q.key} AS session_key, ${q.data} AS session_data FROM ${q.table} ` +
        `WHERE @after IS NULL OR ${q.key} > @after ORDER BY ${q.key} LIMIT @limit`,
      params: { after: afterKey, limit },
    }),
    selectVersion: (key) => ({
      sql: `SELECT COALESCE(${q.version}, 0) AS session_version FROM ${q.table} WHERE ${byKey}`,
      params: { key },
    }),
    insertIfAbsent: (key, state, dataJson) => ({
      sql:
        `INSERT INTO ${q.table} (${q.key}, ${q.state}, ${q.data}, ${q.version}, ${q.createdAt}, ${q.updatedAt}) ` +
        `VALUES (@key, @state, @data, 0, ${NOW}, ${NOW}) ON CONFLICT (${q.key}) DO NOTHING RETURNING ${q.selectList}`,
      params: { key, state, data: dataJson },
    }),
    update: (key, changes, expectedVersion) => updateStatement(key, changes, expectedVersion, ''),
    readWithProcessed: (key, id) => ({
      sql: `SELECT ${joined.selectList}, ${PROCESSED_JOIN_COLUMNS} ${sessionWithProcessedFrom(q, '@key', '@id')}`,
      params: { key, id },
    }),
    updateUnlessProcessed: (key, changes, expectedVersion, id) =>
      updateStatement(key, changes, expectedVersion, '', id),
    insertProcessedRecord: (id, key, commitToken, version, snapshotJson) => ({
      sql:
        `INSERT INTO ${q.processedTable} (id, session_key, session_version, session_snapshot, commit_token, processed_at) ` +
        `VALUES (@id, @key, @version, @snapshot, @token, ${NOW})`,
      params: { id, key, version, snapshot: snapshotJson, token: commitToken },
    }),
    observedUpdate: (key, changes) => updateStatement(key, changes, null, `, ${previousVersionAfterBump(q)}`),
    observedDelete: (key) => ({
      sql: `DELETE FROM ${q.table} WHERE ${byKey} RETURNING COALESCE(${q.version}, 0) AS previous_version`,
      params: { key },
    }),
    delete: (key, expectedVersion) =>
      expectedVersion === null
        ? { sql: `DELETE FROM ${q.table} WHERE ${byKey}`, params: { key } }
        : { sql: `DELETE FROM ${q.table} WHERE ${byKey} AND ${versionIs}`, params: { key, expected: expectedVersion } },
    touch: (key) => ({ sql: `UPDATE ${q.table} SET ${q.updatedAt} = ${NOW} WHERE ${byKey}`, params: { key } }),
    sessionColumns: () => columnsOf(names.table),
    processedColumns: () => columnsOf(names.processedTable),
    insertProcessed: (id, key) => ({
      sql: `INSERT INTO ${q.processedTable} (id, session_key, processed_at) VALUES (@id, @key, ${NOW}) ON CONFLICT (id) DO NOTHING`,
      params: { id, key },
    }),
    selectProcessed: (id) => ({ sql: `SELECT 1 AS found FROM ${q.processedTable} WHERE id = @id`, params: { id } }),
    selectProcessedRecord: (id) => ({
      sql:
        'SELECT id, session_key, session_version, session_snapshot, commit_token, processed_at ' +
        `FROM ${q.processedTable} WHERE id = @id`,
      params: { id },
    }),
    claimProcessed: (id, key, commitToken) => ({
      sql:
        `INSERT INTO ${q.processedTable} (id, session_key, commit_token, processed_at) ` +
        `VALUES (@id, @key, @token, ${NOW}) ON CONFLICT (id) DO NOTHING`,
      params: { id, key, token: commitToken },
    }),
    recordProcessed: (id, commitToken, version, snapshotJson) => ({
      sql: `UPDATE ${q.processedTable} SET session_version = @version, session_snapshot = @snapshot WHERE id = @id AND commit_token = @token`,
      params: { id, token: commitToken, version, snapshot: snapshotJson },
    }),
    releaseProcessed: (id, commitToken) => ({
      sql: `DELETE FROM ${q.processedTable} WHERE id = @id AND commit_token = @token`,
      params: { id, token: commitToken },
    }),
    deleteProcessedBefore: (olderThan) => ({
      sql: `DELETE FROM ${q.processedTable} WHERE processed_at < @olderThan`,
      params: { olderThan: olderThan.toISOString() },
    }),
    selectIdle: (idleBefore, states, limit) => {
      const params: Record<string, unknown> = {};
      const bind = (name: string, value: unknown): string => {
        params[name] = value;
        return `@${name}`;
      };
      const where = idleWhere(q, idleBefore.toISOString(), states, bind);
      return {
        sql: `SELECT ${q.selectList} FROM ${q.table} WHERE ${where} ORDER BY ${q.updatedAt}, ${q.key} LIMIT ${bind('limit', limit)}`,
        params,
      };
    },
    selectPage: (query) => {
      const params: Record<string, unknown> = {};
      const bind = (name: string, value: unknown): string => {
        params[name] = value;
        return `@${name}`;
      };
      const where = pageWhere(q, query, bind, (value) => value.toISOString());
      return {
        sql:
          `SELECT ${q.selectList}, ${q.updatedAt} AS page_time FROM ${q.table}` +
          (where === null ? '' : ` WHERE ${where}`) +
          ` ORDER BY ${q.updatedAt}, ${q.key} LIMIT ${bind('limit', query.limit)}`,
        params,
      };
    },
    deleteStale: (olderThan, states, limit) => {
      const params: Record<string, unknown> = {};
      const bind = (name: string, value: unknown): string => {
        params[name] = value;
        return `@${name}`;
      };
      const where = idleWhere(q, olderThan.toISOString(), states, bind);
      return {
        sql:
          `DELETE FROM ${q.table} WHERE ${q.key} IN ` +
          `(SELECT ${q.key} FROM ${q.table} WHERE ${where} ORDER BY ${q.updatedAt} LIMIT ${bind('limit', limit)})`,
        params,
      };
    },
    // A transaction's writes are serialised by SQLite's one write lock (BEGIN IMMEDIATE), so a plain
    // read inside it already sees the row no other writer can change.
    lockRow: (key) => ({
      sql: `SELECT ${q.state} AS session_state, COALESCE(${q.version}, 0) AS session_version FROM ${q.table} WHERE ${byKey}`,
      params: { key },
    }),
    insertHistory: (row) => ({
      sql: `INSERT INTO ${q.historyTable} (${HISTORY_INSERT_COLUMNS}, changed_at) VALUES (@key, @version, @previous, @state, @origin, @reason, ${NOW})`,
      params: {
        key: row.key,
        version: row.version,
        previous: row.previousState,
        state: row.state,
        origin: row.origin,
        reason: row.reason,
      },
    }),
    selectHistory: (key, limit, before) => ({
      sql:
        `SELECT ${HISTORY_COLUMNS} FROM ${q.historyTable} WHERE session_key = @key` +
        (before === null ? '' : ' AND session_version < @before') +
        ' ORDER BY session_version DESC, id DESC LIMIT @limit',
      params: before === null ? { key, limit } : { key, limit, before },
    }),
    deleteHistoryBefore: (olderThan) => ({
      sql: `DELETE FROM ${q.historyTable} WHERE changed_at < @olderThan`,
      params: { olderThan: olderThan.toISOString() },
    }),
    historyColumns: () => columnsOf(names.historyTable),
  };
}

/**
 * IMMEDIATE takes the write lock at BEGIN, so two connections' transactions queue on the busy timeout
 * instead of both reading and then failing to upgrade with SQLITE_BUSY at their first write.
 */
export const sqliteTransactionStatements: TransactionStatements<SqliteStatement> = {
  begin: () => ({ sql: 'BEGIN IMMEDIATE', params: {} }),
  commit: () => ({ sql: 'COMMIT', params: {} }),
  rollback: () => ({ sql: 'ROLLBACK', params: {} }),
};
