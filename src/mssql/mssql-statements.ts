/**
 * The T-SQL text of every statement the store sends. Names are validated and bracket-quoted once;
 * values always travel as typed `@name` parameters.
 *
 * Every write captures the rows it touched with `OUTPUT … INTO` a table variable and reports from
 * there, in the same batch: a bare `OUTPUT` is refused on a table with an enabled trigger (error 334),
 * and the driver's `rowsAffected` also counts rows written by such triggers. A write therefore
 * returns its count as an `affected_rows` column, and a conditional write that touched nothing
 * returns the stored version and an `outcome` ('conflict' or 'missing') so no second round trip is
 * needed to classify it.
 *
 * @module
 */
import type { SessionStatements } from '../core/sql/dialect-contract.js';
import {
  HISTORY_COLUMNS,
  HISTORY_INSERT_COLUMNS,
  idleWhere,
  pageWhere,
  NO_PROCESSED_COLUMNS,
  PROCESSED_JOIN_COLUMNS,
  quoteNames,
  quoteWith,
  refusedOnceOutcome,
  sessionWithProcessedFrom,
  setList,
} from '../core/sql/statement-text.js';
import type { ResolvedNames } from '../core/sql/table-names.js';
import { MAX_KEY_LENGTH, MAX_STATE_LENGTH } from '../core/session-store.js';

/**
 * A parameter's SQL Server type, independent of the driver module that builds it.
 *
 * @example
 * ```ts
 * const key: MssqlParameterType = { type: 'NVarChar', length: 255 };
 * ```
 */
export type MssqlParameterType =
  | {
      /** `NVARCHAR(length)`. */
      readonly type: 'NVarChar';
      /** Characters, or `'MAX'`. */
      readonly length: number | 'MAX';
    }
  | {
      /** `VARCHAR(length)`, `CHAR(length)` or `NCHAR(length)`: a keyed column's own type. */
      readonly type: 'VarChar' | 'Char' | 'NChar';
      /** Characters. */
      readonly length: number;
    }
  | {
      /** `INT`. */
      readonly type: 'Int';
    }
  | {
      /** `DATETIME2(scale)`. */
      readonly type: 'DateTime2';
      /** Digits of fractional seconds. */
      readonly scale: number;
    };

/**
 * One typed parameter of a statement.
 *
 * @example
 * ```ts
 * const parameter: MssqlParameter = { name: 'expected', type: { type: 'Int' }, value: 3 };
 * ```
 */
export interface MssqlParameter {
  /** The name the batch refers to as `@name`. */
  readonly name: string;
  /** Its SQL Server type. */
  readonly type: MssqlParameterType;
  /** Its value. */
  readonly value: unknown;
  /**
   * The keyed column the parameter is compared with: the sessions table's key or the processed
   * table's id. The store sends it with that column's own type and length once it knows them (read
   * from the catalog, or given as `columnTypes`), so the comparison keeps its index seek; `type` is
   * what is sent until then.
   */
  readonly column?: 'key' | 'processedId';
}

/**
 * A statement in the shape the store hands to `mssql`: one batch and its typed parameters.
 *
 * @example
 * ```ts
 * const statement: MssqlStatement = mssqlStatements(names).select('+5215512345678');
 * ```
 */
export interface MssqlStatement {
  /** The T-SQL batch. */
  readonly text: string;
  /** Its typed parameters. */
  readonly parameters: readonly MssqlParameter[];
}

const quote = quoteWith('[', ']');
const NOW = 'SYSUTCDATETIME()';
// sysname: the type of every name in the catalog views.
const SYSNAME: MssqlParameterType = { type: 'NVarChar', length: 128 };
const KEY: MssqlParameterType = { type: 'NVarChar', length: MAX_KEY_LENGTH };
const STATE: MssqlParameterType = { type: 'NVarChar', length: MAX_STATE_LENGTH };
const DATA: MssqlParameterType = { type: 'NVarChar', length: 'MAX' };
const VERSION: MssqlParameterType = { type: 'Int' };
const TIME: MssqlParameterType = { type: 'DateTime2', scale: 3 };
// An origin ('bot', 'user', 'timeout' …) fits the history table's NVARCHAR(32).
const ORIGIN: MssqlParameterType = { type: 'NVarChar', length: 32 };
// A listing position: a last-activity time as CONVERT(…, 126) renders it (at most 27 characters).
const POSITION_TIME: MssqlParameterType = { type: 'NVarChar', length: 40 };
// A commit token is a UUID in its 36-character text form.
const TOKEN: MssqlParameterType = { type: 'NVarChar', length: 36 };

// Wide enough for whatever types an adopted table uses; the variable holds one row.
const DECLARE_ROW =
  'DECLARE @row TABLE (session_key NVARCHAR(MAX), session_state NVARCHAR(MAX), session_data NVARCHAR(MAX), ' +
  'session_version INT, created_at DATETIME2, updated_at DATETIME2);';
const ROW_COLUMNS = 'session_key, session_state, session_data, session_version, created_at, updated_at';
// lockingMode 'observe': the written row plus the version the write replaced, from OUTPUT deleted.*.
const DECLARE_OBSERVED_ROW = DECLARE_ROW.replace(');', ', previous_version INT);');
const DECLARE_WRITTEN = 'DECLARE @written TABLE (written_key NVARCHAR(MAX));';
const COUNT_WRITTEN = 'SELECT COUNT(*) AS affected_rows FROM @written;';
/** Rows `pruneProcessed` deletes per statement. */
export const PRUNE_BATCH = 1000;

/** One batch: its statements on separate lines, as they read in the snapshots and the logs. */
function batch(...statements: string[]): string {
  return statements.join('\n');
}

/**
 * Builds the SQL Server statements for one store's names.
 *
 * @internal
 */
export function mssqlStatements(names: ResolvedNames): SessionStatements<MssqlStatement> {
  const q = quoteNames(names, quote);
  const byKey = `${q.key} = @key`;
  const versionIs = `COALESCE(${q.version}, 0) = @expected`;
  const insertedColumns = [q.key, q.state, q.data, q.version, q.createdAt, q.updatedAt]
    .map((column) => `inserted.${column}`)
    .join(', ');
  const outputRow = `OUTPUT ${insertedColumns} INTO @row (${ROW_COLUMNS})`;
  // The bare deleted column, its NULL read as 0 by the batch's final SELECT: OUTPUT of an expression
  // over deleted is valid T-SQL, but a column is what every engine that speaks T-SQL can output.
  const observedOutput = `OUTPUT ${insertedColumns}, deleted.${q.version} INTO @row (${ROW_COLUMNS}, previous_version)`;
  // Registers a changed field's value as a typed parameter and returns its placeholder.
  const changeBinder =
    (parameters: MssqlParameter[]) =>
    (name: string, value: unknown): string => {
      parameters.push({ name, type: name === 'data' ? DATA : STATE, value });
      return `@${name}`;
    };
  // A conditional write that touched nothing: one row saying whether the key is at another version
  // ('conflict', with that version) or absent ('missing').
  const classifyMiss = (extraColumns: string): string[] => [
    'ELSE BEGIN',
    `  SELECT @current = COALESCE(${q.version}, 0) FROM ${q.table} WHERE ${byKey};`,
    `  SELECT ${extraColumns}@current AS session_version, CASE WHEN @current IS NULL THEN 'missing' ELSE 'conflict' END AS outcome;`,
    'END;',
  ];
  const keyParameter = (key: string): MssqlParameter => ({ name: 'key', type: KEY, value: key, column: 'key' });
  const idParameter = (id: string): MssqlParameter => ({ name: 'id', type: KEY, value: id, column: 'processedId' });
  const expectedParameter = (expected: number): MssqlParameter => ({
    name: 'expected',
    type: VERSION,
    value: expected,
  });
  const columnsOf = (table: string): MssqlStatement => ({
    text: 'SELECT COLUMN_NAME AS column_name FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = @schema AND TABLE_NAME = @table',
    parameters: [
      { name: 'schema', type: SYSNAME, value: names.schema },
      { name: 'table', type: SYSNAME, value: table },
    ],
  });

  const joined = quoteNames(names, quote, 's.');
  // The session and the key's record of the id, one row either way.
  const sessionWithProcessed = `SELECT ${joined.selectList}, ${PROCESSED_JOIN_COLUMNS} ${sessionWithProcessedFrom(q, '@key', '@id')}`;
  return {
    select: (key) => ({
      text: `SELECT ${q.selectList} FROM ${q.table} WHERE ${byKey}`,
      parameters: [keyParameter(key)],
    }),
    readWithProcessed: (key, id) => ({
      text: sessionWithProcessed,
      parameters: [keyParameter(key), idParameter(id)],
    }),
    // One batch: the update unless the id is recorded for the key, the record of the written row (its
    // snapshot built with FOR JSON, SQL Server 2016 and later), and one outcome row either way. On its
    // own it begins and commits its transaction under XACT_ABORT, so any error (a concurrent record of
    // the id fails the INSERT with 2627) rolls back all of it. Inside the caller's transaction it
    // neither begins nor ends one: a savepoint undoes its own work on an error, which is rethrown,
    // and leaves the caller's transaction as it was.
    updateOnce: (write) => {
      const parameters: MssqlParameter[] = [
        keyParameter(write.key),
        idParameter(write.id),
        { name: 'token', type: TOKEN, value: write.commitToken },
      ];
      const version = write.expectedVersion === null ? '' : ` AND ${versionIs}`;
      if (write.expectedVersion !== null) parameters.push(expectedParameter(write.expectedVersion));
      const body = [
        `UPDATE ${q.table} SET ${setList(q, write.changes, changeBinder(parameters), NOW)}`,
        outputRow,
        `WHERE ${byKey}${version}`,
        `AND NOT EXISTS (SELECT 1 FROM ${q.processedTable} WHERE session_key = @key AND id = @id);`,
        'IF EXISTS (SELECT 1 FROM @row)',
        'BEGIN',
        `  INSERT INTO ${q.processedTable} (id, session_key, session_version, session_snapshot, commit_token, processed_at)`,
        '  SELECT @id, @key, r.session_version,',
        "    (SELECT r.session_state AS [state], r.session_data AS [dataJson], CONVERT(NVARCHAR(30), r.created_at, 126) + 'Z' AS [createdAt],",
        "      CONVERT(NVARCHAR(30), r.updated_at, 126) + 'Z' AS [updatedAt] FOR JSON PATH, INCLUDE_NULL_VALUES, WITHOUT_ARRAY_WRAPPER),",
        `    @token, ${NOW} FROM @row AS r;`,
        `  SELECT ${ROW_COLUMNS}, ${NO_PROCESSED_COLUMNS}, 'done' AS outcome FROM @row;`,
        'END',
        'ELSE',
        `  SELECT ${joined.selectList}, ${PROCESSED_JOIN_COLUMNS}, ${refusedOnceOutcome(q)} AS outcome`,
        `  ${sessionWithProcessedFrom(q, '@key', '@id')};`,
      ];
      const text = write.ownTransaction
        ? batch('SET XACT_ABORT ON;', DECLARE_ROW, 'BEGIN TRANSACTION;', ...body, 'COMMIT TRANSACTION;')
        : batch(
            DECLARE_ROW,
            'SAVE TRANSACTION update_once;',
            'BEGIN TRY',
            ...body,
            'END TRY',
            'BEGIN CATCH',
            '  IF XACT_STATE() = 1 ROLLBACK TRANSACTION update_once;',
            '  THROW;',
            'END CATCH;',
          );
      return { text, parameters };
    },
    selectDataPage: (afterKey, limit) => ({
      text:
        `SELECT TOP (@limit) ${q.key} AS session_key, ${q.data} AS session_data FROM ${q.table} ` +
        `WHERE @after IS NULL OR ${q.key} > @after ORDER BY ${q.key}`,
      parameters: [
        { name: 'after', type: KEY, value: afterKey, column: 'key' },
        { name: 'limit', type: VERSION, value: limit },
      ],
    }),
    selectVersion: (key) => ({
      text: `SELECT COALESCE(${q.version}, 0) AS session_version FROM ${q.table} WHERE ${byKey}`,
      parameters: [keyParameter(key)],
    }),
    // UPDLOCK, HOLDLOCK: the existence check takes a key-range update lock that a concurrent creator
    // of the same key waits on, so only one INSERT passes the check; the lock ends with the statement.
    insertIfAbsent: (key, state, dataJson) => ({
      text: batch(
        DECLARE_ROW,
        `INSERT INTO ${q.table} (${q.key}, ${q.state}, ${q.data}, ${q.version}, ${q.createdAt}, ${q.updatedAt})`,
        `${outputRow}`,
        `SELECT @key, @state, @data, 0, ${NOW}, ${NOW}`,
        `WHERE NOT EXISTS (SELECT 1 FROM ${q.table} WITH (UPDLOCK, HOLDLOCK) WHERE ${byKey});`,
        `SELECT ${ROW_COLUMNS} FROM @row;`,
      ),
      parameters: [
        keyParameter(key),
        { name: 'state', type: STATE, value: state },
        { name: 'data', type: DATA, value: dataJson },
      ],
    }),
    update: (key, changes, expectedVersion) => {
      const parameters: MssqlParameter[] = [keyParameter(key)];
      const write = [`UPDATE ${q.table} SET ${setList(q, changes, changeBinder(parameters), NOW)}`, outputRow];
      const written = `SELECT ${ROW_COLUMNS}, 'done' AS outcome FROM @row;`;
      if (expectedVersion === null) {
        return { text: batch(DECLARE_ROW, ...write, `WHERE ${byKey};`, written), parameters };
      }
      parameters.push(expectedParameter(expectedVersion));
      return {
        text: batch(
          DECLARE_ROW,
          'DECLARE @current INT;',
          ...write,
          `WHERE ${byKey} AND ${versionIs};`,
          'IF EXISTS (SELECT 1 FROM @row)',
          `  ${written}`,
          ...classifyMiss(''),
        ),
        parameters,
      };
    },
    // OUTPUT deleted.* is the row as it was before this statement changed it, under the statement's
    // own exclusive lock: the exact version this write replaced, with no separate read.
    observedUpdate: (key, changes) => {
      const parameters: MssqlParameter[] = [keyParameter(key)];
      return {
        text: batch(
          DECLARE_OBSERVED_ROW,
          `UPDATE ${q.table} SET ${setList(q, changes, changeBinder(parameters), NOW)}`,
          `${observedOutput} WHERE ${byKey};`,
          `SELECT ${ROW_COLUMNS}, COALESCE(previous_version, 0) AS previous_version, 'done' AS outcome FROM @row;`,
        ),
        parameters,
      };
    },
    observedDelete: (key) => ({
      text: batch(
        'DECLARE @row TABLE (previous_version INT);',
        `DELETE FROM ${q.table} OUTPUT deleted.${q.version} INTO @row (previous_version) WHERE ${byKey};`,
        'SELECT COALESCE(previous_version, 0) AS previous_version FROM @row;',
      ),
      parameters: [keyParameter(key)],
    }),
    delete: (key, expectedVersion) => {
      const write = `DELETE FROM ${q.table} OUTPUT deleted.${q.key} INTO @written (written_key)`;
      if (expectedVersion === null) {
        return {
          text: batch(DECLARE_WRITTEN, `${write} WHERE ${byKey};`, COUNT_WRITTEN),
          parameters: [keyParameter(key)],
        };
      }
      return {
        text: batch(
          DECLARE_WRITTEN,
          'DECLARE @current INT;',
          `${write} WHERE ${byKey} AND ${versionIs};`,
          'IF EXISTS (SELECT 1 FROM @written)',
          `  ${COUNT_WRITTEN}`,
          ...classifyMiss('0 AS affected_rows, '),
        ),
        parameters: [keyParameter(key), expectedParameter(expectedVersion)],
      };
    },
    touch: (key) => ({
      text: batch(
        DECLARE_WRITTEN,
        `UPDATE ${q.table} SET ${q.updatedAt} = ${NOW} OUTPUT inserted.${q.key} INTO @written (written_key) WHERE ${byKey};`,
        COUNT_WRITTEN,
      ),
      parameters: [keyParameter(key)],
    }),
    sessionColumns: () => columnsOf(names.table),
    processedColumns: () => columnsOf(names.processedTable),
    insertProcessed: (id, key) => ({
      text: batch(
        DECLARE_WRITTEN,
        `INSERT INTO ${q.processedTable} (id, session_key, processed_at) OUTPUT inserted.id INTO @written (written_key)`,
        `SELECT @id, @key, ${NOW}`,
        `WHERE NOT EXISTS (SELECT 1 FROM ${q.processedTable} WITH (UPDLOCK, HOLDLOCK) WHERE id = @id);`,
        COUNT_WRITTEN,
      ),
      parameters: [idParameter(id), { name: 'key', type: KEY, value: key }],
    }),
    selectProcessed: (id) => ({
      text: `SELECT 1 AS found FROM ${q.processedTable} WHERE id = @id`,
      parameters: [idParameter(id)],
    }),
    selectProcessedRecord: (id) => ({
      text:
        'SELECT id, session_key, session_version, session_snapshot, commit_token, processed_at ' +
        `FROM ${q.processedTable} WHERE id = @id`,
      parameters: [idParameter(id)],
    }),
    // The claim runs inside the update's transaction, so it takes no range lock (HOLDLOCK would keep
    // one on the next key until the transaction ends, and unrelated ids in one key gap, such as
    // ever-increasing message ids, would wait on each other). An id claimed and committed before is
    // skipped by the NOT EXISTS without an error; a concurrent claim of the same id waits on the
    // primary key's lock at the INSERT and then fails with 2627, which the core reads as taken. Only
    // the same id ever waits.
    claimProcessed: (id, key, commitToken) => ({
      text: batch(
        DECLARE_WRITTEN,
        `INSERT INTO ${q.processedTable} (id, session_key, commit_token, processed_at) OUTPUT inserted.id INTO @written (written_key)`,
        `SELECT @id, @key, @token, ${NOW}`,
        `WHERE NOT EXISTS (SELECT 1 FROM ${q.processedTable} WHERE id = @id);`,
        COUNT_WRITTEN,
      ),
      parameters: [
        idParameter(id),
        { name: 'key', type: KEY, value: key },
        { name: 'token', type: TOKEN, value: commitToken },
      ],
    }),
    recordProcessed: (id, commitToken, version, snapshotJson) => ({
      text: `UPDATE ${q.processedTable} SET session_version = @version, session_snapshot = @snapshot WHERE id = @id AND commit_token = @token;`,
      parameters: [
        idParameter(id),
        { name: 'token', type: TOKEN, value: commitToken },
        { name: 'version', type: VERSION, value: version },
        { name: 'snapshot', type: DATA, value: snapshotJson },
      ],
    }),
    releaseProcessed: (id, commitToken) => ({
      text: `DELETE FROM ${q.processedTable} WHERE id = @id AND commit_token = @token;`,
      parameters: [idParameter(id), { name: 'token', type: TOKEN, value: commitToken }],
    }),
    // In batches of PRUNE_BATCH rows, each DELETE its own autocommitted statement: none holds
    // anywhere near the ~5,000 locks at which SQL Server escalates to a table lock, so claims go on
    // between batches. Each batch's rows are counted through a narrow table variable, emptied after.
    deleteProcessedBefore: (olderThan) => ({
      text: batch(
        'DECLARE @pruned TABLE (processed_at DATETIME2(3));',
        `DECLARE @total INT = 0, @batch INT = ${PRUNE_BATCH};`,
        `WHILE @batch = ${PRUNE_BATCH}`,
        'BEGIN',
        `  DELETE TOP (${PRUNE_BATCH}) FROM ${q.processedTable} OUTPUT deleted.processed_at INTO @pruned (processed_at) WHERE processed_at < @olderThan;`,
        '  SET @batch = (SELECT COUNT(*) FROM @pruned);',
        '  SET @total += @batch;',
        '  DELETE FROM @pruned;',
        'END;',
        'SELECT @total AS affected_rows;',
      ),
      parameters: [{ name: 'olderThan', type: TIME, value: olderThan }],
    }),
    selectIdle: (idleBefore, states, limit) => {
      const parameters: MssqlParameter[] = [{ name: 'limit', type: VERSION, value: limit }];
      const bind = (name: string, value: unknown): string => {
        parameters.push({ name, type: name === 'idleBefore' ? TIME : STATE, value });
        return `@${name}`;
      };
      const where = idleWhere(q, idleBefore, states, bind);
      return {
        text: `SELECT TOP (@limit) ${q.selectList} FROM ${q.table} WHERE ${where} ORDER BY ${q.updatedAt}, ${q.key}`,
        parameters,
      };
    },
    // TOP (@limit) with a keyset WHERE, never OFFSET: each page seeks the (updated_at, key) index at
    // the previous page's last row. The position travels as the column's ISO 8601 text (style 126, to
    // the column's own fractional precision); the NVARCHAR parameter converts to the column's type,
    // which has the higher precedence, so the comparison is exact and the column keeps its seek.
    selectPage: (query) => {
      const parameters: MssqlParameter[] = [{ name: 'limit', type: VERSION, value: query.limit }];
      const bind = (name: string, value: unknown): string => {
        const type = name.startsWith('updated') ? TIME : name.endsWith('Time') ? POSITION_TIME : STATE;
        parameters.push(name === 'afterKey' ? { name, type: KEY, value, column: 'key' } : { name, type, value });
        return `@${name}`;
      };
      const where = pageWhere(q, query, bind, (value) => value);
      return {
        text:
          `SELECT TOP (@limit) ${q.selectList}, CONVERT(NVARCHAR(40), ${q.updatedAt}, 126) AS page_time FROM ${q.table}` +
          (where === null ? '' : ` WHERE ${where}`) +
          ` ORDER BY ${q.updatedAt}, ${q.key}`,
        parameters,
      };
    },
    // One autocommitted DELETE TOP of at most the batch size: far below the ~5,000 locks at which SQL
    // Server escalates to a table lock. The rows are counted through a table variable, as every write.
    deleteStale: (olderThan, states, limit) => {
      const parameters: MssqlParameter[] = [{ name: 'limit', type: VERSION, value: limit }];
      const bind = (name: string, value: unknown): string => {
        parameters.push({ name, type: name === 'idleBefore' ? TIME : STATE, value });
        return `@${name}`;
      };
      const where = idleWhere(q, olderThan, states, bind);
      return {
        text: batch(
          DECLARE_WRITTEN,
          `DELETE TOP (@limit) FROM ${q.table} OUTPUT deleted.${q.key} INTO @written (written_key) WHERE ${where};`,
          COUNT_WRITTEN,
        ),
        parameters,
      };
    },
    // UPDLOCK holds the row until the transaction ends, so the state read is the one the write replaces.
    lockRow: (key) => ({
      text: `SELECT ${q.state} AS session_state, COALESCE(${q.version}, 0) AS session_version FROM ${q.table} WITH (UPDLOCK, ROWLOCK) WHERE ${byKey}`,
      parameters: [keyParameter(key)],
    }),
    insertHistory: (row) => ({
      text: `INSERT INTO ${q.historyTable} (${HISTORY_INSERT_COLUMNS}, changed_at) VALUES (@key, @version, @previous, @state, @origin, @reason, ${NOW});`,
      parameters: [
        keyParameter(row.key),
        { name: 'version', type: VERSION, value: row.version },
        { name: 'previous', type: STATE, value: row.previousState },
        { name: 'state', type: STATE, value: row.state },
        { name: 'origin', type: ORIGIN, value: row.origin },
        { name: 'reason', type: STATE, value: row.reason },
      ],
    }),
    selectHistory: (key, limit, before) => ({
      text:
        `SELECT TOP (@limit) ${HISTORY_COLUMNS} FROM ${q.historyTable} WHERE session_key = @key` +
        (before === null ? '' : ' AND session_version < @before') +
        ' ORDER BY session_version DESC, id DESC',
      parameters: [
        keyParameter(key),
        { name: 'limit', type: VERSION, value: limit },
        ...(before === null ? [] : [{ name: 'before', type: VERSION, value: before }]),
      ],
    }),
    deleteHistoryBefore: (olderThan) => ({
      text: batch(
        DECLARE_WRITTEN,
        `DELETE FROM ${q.historyTable} OUTPUT deleted.session_key INTO @written (written_key) WHERE changed_at < @olderThan;`,
        COUNT_WRITTEN,
      ),
      parameters: [{ name: 'olderThan', type: TIME, value: olderThan }],
    }),
    historyColumns: () => columnsOf(names.historyTable),
  };
}

/**
 * The catalog read of the keyed columns' types: the sessions table's key column and the processed
 * table's `id`, one row each when present (`table_name`, `data_type`, `max_length`). The store sends
 * it once, before its first keyed statement, unless it was given the types.
 *
 * @example
 * ```ts
 * const statement = mssqlKeyColumnTypes(resolveNames('mssql', { table: 'SesionesChat', columns: { key: 'Telefono' } }));
 * ```
 */
export function mssqlKeyColumnTypes(names: ResolvedNames): MssqlStatement {
  return {
    text:
      'SELECT TABLE_NAME AS table_name, DATA_TYPE AS data_type, CHARACTER_MAXIMUM_LENGTH AS max_length ' +
      'FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = @schema ' +
      "AND ((TABLE_NAME = @table AND COLUMN_NAME = @keyColumn) OR (TABLE_NAME = @processedTable AND COLUMN_NAME = N'id'))",
    parameters: [
      { name: 'schema', type: SYSNAME, value: names.schema },
      { name: 'table', type: SYSNAME, value: names.table },
      { name: 'keyColumn', type: SYSNAME, value: names.columns.key },
      { name: 'processedTable', type: SYSNAME, value: names.processedTable },
    ],
  };
}
