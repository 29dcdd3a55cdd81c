/**
 * The MySQL / MariaDB text of every statement the store sends. Names are validated and
 * backtick-quoted once; values always travel as `?` parameters of server-side prepared statements.
 *
 * Neither server has `UPDATE … RETURNING` (MariaDB has it for INSERT and DELETE only, MySQL for
 * none), so a write that must return the row it left runs as a short transaction on one connection:
 * the write, which takes the row's exclusive lock, then a read of that row under the same lock
 * (`after`), or a locking read first (`before`) for a delete that reports the version it removed. No
 * other writer can change the row between the two, so the row returned is exactly the one committed.
 * The same text runs on MariaDB 10.5+ and MySQL 8; it is tested on MariaDB and pinned as text for
 * MySQL 8 (test/mysql/statements.test.ts).
 *
 * Times are `DATETIME(3)` written as `UTC_TIMESTAMP(3)` and read back as ISO-8601 UTC text, so neither
 * the session `time_zone` nor the pool's `timezone` or `dateStrings` options change them. Keys and ids
 * are read through `CONVERT(… USING utf8mb4)`: the packaged schema stores them as `VARBINARY`, compared
 * byte for byte.
 *
 * @module
 */
import type { SessionStatements } from '../core/sql/dialect-contract.js';
import {
  HISTORY_INSERT_COLUMNS,
  idleWhere,
  pageWhere,
  quoteNames,
  quoteWith,
  sessionWithProcessedFrom,
  setList,
  type QuotedNames,
} from '../core/sql/statement-text.js';
import type { ResolvedNames } from '../core/sql/table-names.js';
import type { StoredChanges } from '../core/session-store.js';

/**
 * One statement and its parameters.
 *
 * @example
 * ```ts
 * const query: MysqlQuery = { sql: 'SELECT 1 AS one WHERE ? IS NOT NULL', values: ['x'] };
 * ```
 */
export interface MysqlQuery {
  /** The SQL text with `?` placeholders. */
  readonly sql: string;
  /** The values of the placeholders, in order. */
  readonly values: readonly unknown[];
}

/**
 * A statement in the shape the store hands to `mysql2`: the type parameter of the MySQL store's SQL
 * core. A write with `before` or `after` runs with it in one transaction on one connection, and the
 * rows of that read are the result when the write matched a row. Only the library builds these.
 *
 * @example
 * ```ts
 * const statement: MysqlStatement = mysqlStatements(resolveNames('mysql')).select('+5215512345678');
 * ```
 */
export interface MysqlStatement extends MysqlQuery {
  /** A locking read (`FOR UPDATE`) run first, in the same transaction. */
  readonly before?: MysqlQuery;
  /** A read run after the write, in the same transaction, when the write matched a row. */
  readonly after?: MysqlQuery;
}

const quote = quoteWith('`', '`');
const NOW = 'UTC_TIMESTAMP(3)';

/** A `DATETIME(3)` column as ISO-8601 UTC text with milliseconds. */
function isoTime(column: string): string {
  return `DATE_FORMAT(${column}, '%Y-%m-%dT%H:%i:%s.%fZ')`;
}

/** A key or id column as text, whatever binary or character type holds it. */
function asText(column: string): string {
  return `CONVERT(${column} USING utf8mb4)`;
}

/** The select list of every session-returning statement, aliased to the core's row names. */
function mysqlSelectList(q: QuotedNames, prefix = ''): string {
  return [
    `${asText(prefix + q.key)} AS session_key`,
    `${prefix}${q.state} AS session_state`,
    `${prefix}${q.data} AS session_data`,
    `COALESCE(${prefix}${q.version}, 0) AS session_version`,
    `${isoTime(prefix + q.createdAt)} AS created_at`,
    `${isoTime(prefix + q.updatedAt)} AS updated_at`,
  ].join(', ');
}

/** `olderThan` as the `DATETIME(3)` literal text of its UTC time, compared with `processed_at`. */
export function utcDatetime(value: Date): string {
  return value.toISOString().replace('T', ' ').replace('Z', '');
}

/**
 * Builds the MySQL / MariaDB statements for one store's names.
 *
 * @example
 * ```ts
 * const statements = mysqlStatements(resolveNames('mysql', { table: 'sesiones_chat' }));
 * ```
 */
export function mysqlStatements(names: ResolvedNames): SessionStatements<MysqlStatement> {
  const q = quoteNames(names, quote);
  const selectList = mysqlSelectList(q);
  const byKey = `${q.key} = ?`;
  const versionIs = `COALESCE(${q.version}, 0) = ?`;
  const selectRow = (key: string, extra = ''): MysqlQuery => ({
    sql: `SELECT ${selectList}${extra} FROM ${q.table} WHERE ${byKey}`,
    values: [key],
  });
  const columnsOf = (table: string): MysqlStatement => ({
    sql:
      'SELECT COLUMN_NAME AS column_name FROM information_schema.COLUMNS ' +
      'WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?',
    values: [names.schema, table],
  });
  const updateStatement = (
    key: string,
    changes: StoredChanges,
    expectedVersion: number | null,
    extra: string,
    unlessProcessed?: string,
  ): MysqlStatement => {
    const values: unknown[] = [];
    const bind = (_name: string, value: unknown): string => {
      values.push(value);
      return '?';
    };
    const sets = setList(q, changes, bind, NOW);
    values.push(key);
    if (expectedVersion !== null) values.push(expectedVersion);
    let where = expectedVersion === null ? byKey : `${byKey} AND ${versionIs}`;
    if (unlessProcessed !== undefined) {
      where += ` AND NOT EXISTS (SELECT 1 FROM ${q.processedTable} WHERE session_key = ? AND id = ?)`;
      values.push(key, unlessProcessed);
    }
    return { sql: `UPDATE ${q.table} SET ${sets} WHERE ${where}`, values, after: selectRow(key, extra) };
  };
  const historyList =
    `${asText('session_key')} AS session_key, session_version, previous_state, state, origin, reason, ` +
    `${isoTime('changed_at')} AS changed_at`;
  const processedRecordList =
    `${asText('id')} AS id, ${asText('session_key')} AS session_key, session_version, session_snapshot, ` +
    `commit_token, ${isoTime('processed_at')} AS processed_at`;
  const sessionWithProcessed =
    `SELECT ${mysqlSelectList(q, 's.')}, ${asText('p.id')} AS processed_id, p.session_version AS processed_version, ` +
    `p.session_snapshot AS processed_snapshot, p.commit_token AS processed_token, ${isoTime('p.processed_at')} AS processed_at ` +
    sessionWithProcessedFrom(q, '?', '?');
  return {
    select: (key) => selectRow(key),
    readWithProcessed: (key, id) => ({ sql: sessionWithProcessed, values: [key, key, id] }),
    updateUnlessProcessed: (key, changes, expectedVersion, id) =>
      updateStatement(key, changes, expectedVersion, '', id),
    insertProcessedRecord: (id, key, commitToken, version, snapshotJson) => ({
      sql:
        `INSERT INTO ${q.processedTable} (id, session_key, session_version, session_snapshot, commit_token, processed_at) ` +
        `VALUES (?, ?, ?, ?, ?, ${NOW})`,
      values: [id, key, version, snapshotJson, commitToken],
    }),
    // The limit travels as text: MySQL 8 refuses the DOUBLE that mysql2 sends a number as for LIMIT ?,
    // and both servers take a string there.
    selectDataPage: (afterKey, limit) => ({
      sql:
        `SELECT ${asText(q.key)} AS session_key, ${q.data} AS session_data FROM ${q.table} ` +
        `WHERE ? IS NULL OR ${q.key} > ? ORDER BY ${q.key} LIMIT ?`,
      values: [afterKey, afterKey, String(limit)],
    }),
    selectVersion: (key) => ({
      sql: `SELECT COALESCE(${q.version}, 0) AS session_version FROM ${q.table} WHERE ${byKey}`,
      values: [key],
    }),
    // A plain INSERT: a concurrent creator's row makes it fail with 1062, which the core reads as
    // "created by someone else". INSERT IGNORE would also turn truncation and NULL coercion into
    // warnings, and ON DUPLICATE KEY UPDATE cannot tell an insert from a no-op under FOUND_ROWS.
    insertIfAbsent: (key, state, dataJson) => ({
      sql:
        `INSERT INTO ${q.table} (${q.key}, ${q.state}, ${q.data}, ${q.version}, ${q.createdAt}, ${q.updatedAt}) ` +
        `VALUES (?, ?, ?, 0, ${NOW}, ${NOW})`,
      values: [key, state, dataJson],
      after: selectRow(key),
    }),
    update: (key, changes, expectedVersion) => updateStatement(key, changes, expectedVersion, ''),
    // The row read after the write carries the version this write set, under the write's own lock:
    // one less is exactly the version it replaced.
    observedUpdate: (key, changes) =>
      updateStatement(key, changes, null, `, COALESCE(${q.version}, 0) - 1 AS previous_version`),
    observedDelete: (key) => ({
      sql: `DELETE FROM ${q.table} WHERE ${byKey}`,
      values: [key],
      before: {
        sql: `SELECT COALESCE(${q.version}, 0) AS previous_version FROM ${q.table} WHERE ${byKey} FOR UPDATE`,
        values: [key],
      },
    }),
    delete: (key, expectedVersion) =>
      expectedVersion === null
        ? { sql: `DELETE FROM ${q.table} WHERE ${byKey}`, values: [key] }
        : { sql: `DELETE FROM ${q.table} WHERE ${byKey} AND ${versionIs}`, values: [key, expectedVersion] },
    touch: (key) => ({ sql: `UPDATE ${q.table} SET ${q.updatedAt} = ${NOW} WHERE ${byKey}`, values: [key] }),
    sessionColumns: () => columnsOf(names.table),
    processedColumns: () => columnsOf(names.processedTable),
    // Plain INSERTs: a recorded id fails with 1062, which the core reads as "already recorded".
    insertProcessed: (id, key) => ({
      sql: `INSERT INTO ${q.processedTable} (id, session_key, processed_at) VALUES (?, ?, ${NOW})`,
      values: [id, key],
    }),
    selectProcessed: (id) => ({ sql: `SELECT 1 AS found FROM ${q.processedTable} WHERE id = ?`, values: [id] }),
    selectProcessedRecord: (id) => ({
      sql: `SELECT ${processedRecordList} FROM ${q.processedTable} WHERE id = ?`,
      values: [id],
    }),
    claimProcessed: (id, key, commitToken) => ({
      sql: `INSERT INTO ${q.processedTable} (id, session_key, commit_token, processed_at) VALUES (?, ?, ?, ${NOW})`,
      values: [id, key, commitToken],
    }),
    recordProcessed: (id, commitToken, version, snapshotJson) => ({
      sql: `UPDATE ${q.processedTable} SET session_version = ?, session_snapshot = ? WHERE id = ? AND commit_token = ?`,
      values: [version, snapshotJson, id, commitToken],
    }),
    releaseProcessed: (id, commitToken) => ({
      sql: `DELETE FROM ${q.processedTable} WHERE id = ? AND commit_token = ?`,
      values: [id, commitToken],
    }),
    deleteProcessedBefore: (olderThan) => ({
      sql: `DELETE FROM ${q.processedTable} WHERE processed_at < ?`,
      values: [utcDatetime(olderThan)],
    }),
    selectIdle: (idleBefore, states, limit) => {
      const values: unknown[] = [];
      const bind = (_name: string, value: unknown): string => {
        values.push(value);
        return '?';
      };
      const where = idleWhere(q, utcDatetime(idleBefore), states, bind);
      // LIMIT takes an integer parameter; mysql2 sends a JavaScript number as a DOUBLE, which MySQL 8
      // refuses there, so the validated count travels as its decimal text.
      return {
        sql: `SELECT ${selectList} FROM ${q.table} WHERE ${where} ORDER BY ${q.updatedAt}, ${q.key} LIMIT ${bind('limit', String(limit))}`,
        values,
      };
    },
    // The position travels as the column's text with microseconds, which MySQL converts back to the
    // column's type when comparing: exact whatever the column's fractional precision.
    selectPage: (query) => {
      const values: unknown[] = [];
      const bind = (_name: string, value: unknown): string => {
        values.push(value);
        return '?';
      };
      const where = pageWhere(q, query, bind, utcDatetime);
      return {
        sql:
          `SELECT ${selectList}, DATE_FORMAT(${q.updatedAt}, '%Y-%m-%d %H:%i:%s.%f') AS page_time FROM ${q.table}` +
          (where === null ? '' : ` WHERE ${where}`) +
          ` ORDER BY ${q.updatedAt}, ${q.key} LIMIT ${bind('limit', String(query.limit))}`,
        values,
      };
    },
    // A single-table DELETE takes ORDER BY and LIMIT on both servers; the order makes the batch the
    // same rows on a replica (statement-based replication refuses an unordered LIMIT as unsafe).
    deleteStale: (olderThan, states, limit) => {
      const values: unknown[] = [];
      const bind = (_name: string, value: unknown): string => {
        values.push(value);
        return '?';
      };
      const where = idleWhere(q, utcDatetime(olderThan), states, bind);
      return {
        sql: `DELETE FROM ${q.table} WHERE ${where} ORDER BY ${q.updatedAt}, ${q.key} LIMIT ${bind('limit', String(limit))}`,
        values,
      };
    },
    // FOR UPDATE holds the row until the transaction ends, so the state read is the one the write replaces.
    lockRow: (key) => ({
      sql: `SELECT ${q.state} AS session_state, COALESCE(${q.version}, 0) AS session_version FROM ${q.table} WHERE ${byKey} FOR UPDATE`,
      values: [key],
    }),
    insertHistory: (row) => ({
      sql: `INSERT INTO ${q.historyTable} (${HISTORY_INSERT_COLUMNS}, changed_at) VALUES (?, ?, ?, ?, ?, ?, ${NOW})`,
      values: [row.key, row.version, row.previousState, row.state, row.origin, row.reason],
    }),
    selectHistory: (key, limit, before) => ({
      sql:
        `SELECT ${historyList} FROM ${q.historyTable} WHERE session_key = ?` +
        (before === null ? '' : ' AND session_version < ?') +
        ' ORDER BY session_version DESC, id DESC LIMIT ?',
      values: before === null ? [key, String(limit)] : [key, before, String(limit)],
    }),
    deleteHistoryBefore: (olderThan) => ({
      sql: `DELETE FROM ${q.historyTable} WHERE changed_at < ?`,
      values: [utcDatetime(olderThan)],
    }),
    historyColumns: () => columnsOf(names.historyTable),
  };
}
