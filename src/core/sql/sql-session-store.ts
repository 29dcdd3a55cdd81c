/**
 * The concurrency core shared by every SQL dialect: how a conditional write is classified as done, a
 * conflict or a missing row, how rows are normalised, and how a missing table or column becomes a
 * `MigrationRequiredError`. A dialect contributes only what `dialect-contract.ts` asks for: its
 * statements, its driver and its error classification.
 *
 * @module
 */
import type { Dialect } from '../dialect.js';
import { MigrationRequiredError, VersionedSessionError } from '../errors.js';
import { readStoredData } from '../session-data.js';
import type {
  IdempotentWrite,
  IdempotentWriteOutcome,
  ListedSessionRecord,
  ObservedWriteOutcome,
  ProcessedRecord,
  SessionPageQuery,
  SessionRecord,
  SessionStore,
  SessionTransition,
  SessionWithProcessed,
  StoredChanges,
  StoredDataRow,
  WriteOutcome,
} from '../session-store.js';
import type {
  ExecuteResult,
  OnceWrite,
  SessionRow,
  SessionStatements,
  SessionWithProcessedRow,
  SqlDriver,
} from './dialect-contract.js';
import { COLUMN_ROLES, migrateCommand, type ResolvedNames } from './table-names.js';
import {
  joinedProcessedRecord,
  processedRecord,
  sessionSnapshot,
  updateOnce,
  type IdempotencySteps,
} from './update-once.js';

function toDate(value: Date | string | number): Date {
  return value instanceof Date ? value : new Date(value);
}

/** Legacy rows written before the migration have a NULL version: they read as version 0. */
export function toVersion(value: unknown): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : Number(value);
}

function toRecord(row: Record<string, unknown>): SessionRecord {
  const sessionRow = row as unknown as SessionRow;
  return {
    key: sessionRow.session_key,
    state: sessionRow.session_state ?? null,
    data: readStoredData(sessionRow.session_data),
    version: toVersion(sessionRow.session_version),
    createdAt: toDate(sessionRow.created_at),
    updatedAt: toDate(sessionRow.updated_at),
  };
}

const REQUIRED_PROCESSED_COLUMNS = [
  'id',
  'session_key',
  'session_version',
  'session_snapshot',
  'commit_token',
  'processed_at',
] as const;

/**
 * A {@link SessionStore} over SQL: the dialect stores extend it and hand it their statements and driver.
 */
export abstract class SqlSessionStore<TStatement, THandle> implements SessionStore {
  readonly dialect: Dialect;
  private readonly idempotency: IdempotencySteps<THandle>;

  protected constructor(
    /** The validated names this store reads and writes. */
    readonly names: ResolvedNames,
    private readonly statements: SessionStatements<TStatement>,
    private readonly driver: SqlDriver<TStatement, THandle>,
  ) {
    this.dialect = driver.dialect;
    const once = statements.updateOnce?.bind(statements);
    this.idempotency = {
      transaction: (work) => driver.transaction(work),
      adoptTransaction: (transaction) => driver.adoptTransaction(transaction),
      ...(once === undefined
        ? {}
        : { once: (write: OnceWrite, handle: THandle | undefined) => this.writeOnce(once, write, handle) }),
      guardedWrite: (key, changes, expectedVersion, id, handle) =>
        this.recorded(key, changes, handle, async (inner) => {
          const guarded = statements.updateUnlessProcessed;
          if (guarded === undefined)
            throw new VersionedSessionError(`The ${this.dialect} statements cannot write once.`);
          const { rows } = await this.run(guarded(key, changes, expectedVersion, id), inner);
          if (rows[0] !== undefined) return { status: 'done', value: toRecord(rows[0]) } as const;
          return this.classifyRefusedOnce(key, id, expectedVersion, inner);
        }),
      insertRecord: async (id, key, token, session, handle) => {
        const insert = statements.insertProcessedRecord;
        if (insert === undefined) throw new VersionedSessionError(`The ${this.dialect} statements cannot write once.`);
        await this.run(insert(id, key, token, session.version, sessionSnapshot(session)), handle);
      },
      claim: async (id, key, token, handle) => {
        try {
          return (await this.run(statements.claimProcessed(id, key, token), handle)).rowCount > 0;
        } catch (error) {
          // An insert-unless-present that lost a race reports the key as taken, as a skipped insert would.
          if (driver.classifyError(error) === 'unique-violation') return false;
          throw error;
        }
      },
      write: (key, changes, expectedVersion, handle) => this.write(key, changes, expectedVersion, handle),
      record: async (id, token, session, handle) => {
        await this.run(statements.recordProcessed(id, token, session.version, sessionSnapshot(session)), handle);
      },
      release: async (id, token, handle) => {
        await this.run(statements.releaseProcessed(id, token), handle);
      },
      find: async (id, key, handle) => {
        const { processed } = await this.readJoined(key, id, handle);
        if (processed !== null) return processed;
        // Recorded without a key (markProcessed) or for another key: the primary key is still the id.
        const { rows } = await this.run(statements.selectProcessedRecord(id), handle);
        return rows[0] === undefined ? null : processedRecord(rows[0], toVersion);
      },
      isUniqueViolation: (error) => driver.classifyError(error) === 'unique-violation',
    };
  }

  /**
   * Runs a one-statement exactly-once write and reads its outcome from the row it returns. With
   * history on it runs inside the transaction that locks the row and records the transition.
   */
  private writeOnce(
    statement: (write: OnceWrite) => TStatement,
    write: OnceWrite,
    handle: THandle | undefined,
  ): Promise<IdempotentWriteOutcome> {
    const work = async (inner: THandle | undefined): Promise<IdempotentWriteOutcome> => {
      // Inside a transaction (the caller's, or the history's) the statement must not end it.
      const { rows } = await this.run(statement({ ...write, ownTransaction: inner === undefined }), inner);
      const row = rows[0] as SessionWithProcessedRow | undefined;
      switch (row?.outcome) {
        case 'done':
          return { status: 'done', value: toRecord(rows[0]!) };
        case 'duplicate':
          return { status: 'duplicate', processed: joinedProcessedRecord(rows[0]!, write.key, toVersion)! };
        case 'missing':
          return { status: 'missing' };
        case 'conflict':
          // The statement may have waited for a concurrent delivery of the same id and then read from
          // before its commit: a read of its own tells a duplicate from a conflict.
          return this.classifyRefusedOnce(write.key, write.id, write.expectedVersion, inner);
        default:
          throw new VersionedSessionError(`The ${this.dialect} exactly-once write returned no outcome.`);
      }
    };
    return this.names.history ? this.recorded(write.key, write.changes, handle, work) : work(handle);
  }

  /**
   * A conflict whose version was read by the refused statement itself. A statement that waited for a
   * concurrent writer's row lock may have read the version from before that writer committed, which
   * then equals the expected one: the stored version is read again.
   */
  private async conflictFrom(
    key: string,
    actualVersion: number,
    expectedVersion: number | null,
    handle: THandle | undefined,
  ): Promise<WriteOutcome<never>> {
    if (actualVersion !== expectedVersion) return { status: 'conflict', actualVersion };
    return this.classifyRefusedWrite(key, undefined, expectedVersion, handle);
  }

  /** A guarded write that wrote nothing: the id recorded for the key (duplicate), else missing or conflict. */
  private async classifyRefusedOnce(
    key: string,
    id: string,
    expectedVersion: number | null,
    handle: THandle | undefined,
  ): Promise<IdempotentWriteOutcome> {
    const { session, processed } = await this.readJoined(key, id, handle);
    if (processed !== null) return { status: 'duplicate', processed };
    if (session === null) return { status: 'missing' };
    return this.conflictFrom(key, session.version, expectedVersion, handle);
  }

  /** The session of `key` and the record of `id` for it, from one statement. */
  private async readJoined(key: string, id: string, handle: THandle | undefined): Promise<SessionWithProcessed> {
    const { rows } = await this.run(this.statements.readWithProcessed(key, id), handle);
    const row = rows[0];
    if (row === undefined) return { session: null, processed: null };
    const hasSession = row['session_key'] !== null && row['session_key'] !== undefined;
    return { session: hasSession ? toRecord(row) : null, processed: joinedProcessedRecord(row, key, toVersion) };
  }

  async readWithProcessed(key: string, id: string): Promise<SessionWithProcessed> {
    return this.readJoined(key, id, undefined);
  }

  /** The handle of a caller's transaction, checked by the driver; `undefined` when there is none. */
  private adopt(transaction: unknown): THandle | undefined {
    return transaction === undefined ? undefined : this.driver.adoptTransaction(transaction);
  }

  /** Runs one statement; a missing table or column becomes a `MigrationRequiredError`. */
  private async run(statement: TStatement, transaction?: THandle): Promise<ExecuteResult> {
    try {
      return await this.driver.execute(statement, transaction);
    } catch (error) {
      if (this.driver.classifyError(error) === 'schema-missing') {
        throw this.migrationRequired(
          [`a table or column used by ${this.tableLabel()} (${describeError(error)})`],
          error,
        );
      }
      throw error;
    }
  }

  async read(key: string, transaction?: unknown): Promise<SessionRecord | null> {
    const { rows } = await this.run(this.statements.select(key), this.adopt(transaction));
    return rows[0] === undefined ? null : toRecord(rows[0]);
  }

  async readDataPage(afterKey: string | null, limit: number): Promise<StoredDataRow[]> {
    const { rows } = await this.run(this.statements.selectDataPage(afterKey, limit));
    return rows.map((row) => ({ key: String(row['session_key']), data: readStoredData(row['session_data']) }));
  }

  async createIfAbsent(key: string, state: string | null, dataJson: string): Promise<SessionRecord> {
    // A concurrent creator can win the insert, and then the row is there to read; a concurrent delete
    // between the two statements is why this is a loop.
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        const { rows } = await this.run(this.statements.insertIfAbsent(key, state, dataJson));
        if (rows[0] !== undefined) return toRecord(rows[0]);
      } catch (error) {
        if (this.driver.classifyError(error) !== 'unique-violation') throw error;
      }
      const existing = await this.read(key);
      if (existing !== null) return existing;
    }
    throw new VersionedSessionError(
      'A session row was deleted three times while it was being created; giving up (retry the call).',
    );
  }

  async update(
    key: string,
    changes: StoredChanges,
    expectedVersion: number | null,
    transaction?: unknown,
  ): Promise<WriteOutcome<SessionRecord>> {
    return this.write(key, changes, expectedVersion, this.adopt(transaction));
  }

  async updateOnce(write: IdempotentWrite): Promise<IdempotentWriteOutcome> {
    return updateOnce(this.idempotency, write);
  }

  async findProcessed(id: string, transaction?: unknown): Promise<ProcessedRecord | null> {
    const { rows } = await this.run(this.statements.selectProcessedRecord(id), this.adopt(transaction));
    return rows[0] === undefined ? null : processedRecord(rows[0], toVersion);
  }

  isTransientError(error: unknown): boolean {
    return this.driver.classifyError(error) === 'transient';
  }

  // `write` and `recorded` hand back the promise of the work they start (no async wrapper of their own).
  private write(
    key: string,
    changes: StoredChanges,
    expectedVersion: number | null,
    transaction: THandle | undefined,
  ): Promise<WriteOutcome<SessionRecord>> {
    return this.recorded(key, changes, transaction, (handle) => this.writeRow(key, changes, expectedVersion, handle));
  }

  /**
   * Runs a write; with history on, inside a transaction (the caller's, or one of the store's own)
   * that first locks the row to read the state it replaces and, when the write is done, records the
   * transition, so the write and its record commit or roll back together.
   */
  private recorded<T extends { status: string; value?: SessionRecord | true }>(
    key: string,
    changes: StoredChanges,
    transaction: THandle | undefined,
    work: (handle: THandle | undefined) => Promise<T>,
  ): Promise<T> {
    if (!this.names.history) return work(transaction);
    const inTransaction = async (handle: THandle): Promise<T> => {
      const { rows } = await this.run(this.statements.lockRow(key), handle);
      const outcome = await work(handle);
      if (outcome.status === 'done' && typeof outcome.value === 'object') {
        await this.run(
          this.statements.insertHistory({
            key,
            version: outcome.value.version,
            previousState: (rows[0]?.['session_state'] as string | null | undefined) ?? null,
            state: outcome.value.state,
            origin: changes.origin ?? null,
            reason: changes.reason ?? null,
          }),
          handle,
        );
      }
      return outcome;
    };
    return transaction === undefined ? this.driver.transaction(inTransaction) : inTransaction(transaction);
  }

  private async writeRow(
    key: string,
    changes: StoredChanges,
    expectedVersion: number | null,
    transaction: THandle | undefined,
  ): Promise<WriteOutcome<SessionRecord>> {
    const { rows } = await this.run(this.statements.update(key, changes, expectedVersion), transaction);
    const row = rows[0] as SessionRow | undefined;
    if (row !== undefined && (row.outcome === undefined || row.outcome === 'done')) {
      return { status: 'done', value: toRecord(rows[0]!) };
    }
    return this.classifyRefusedWrite(key, row, expectedVersion, transaction);
  }

  async delete(key: string, expectedVersion: number | null): Promise<WriteOutcome<true>> {
    const { rows, rowCount } = await this.run(this.statements.delete(key, expectedVersion));
    if (rowCount > 0) return { status: 'done', value: true };
    return this.classifyRefusedWrite(key, rows[0] as SessionRow | undefined, expectedVersion);
  }

  async updateObserved(
    key: string,
    changes: StoredChanges,
    transaction?: unknown,
  ): Promise<ObservedWriteOutcome<SessionRecord>> {
    return this.recorded(key, changes, this.adopt(transaction), async (handle) => {
      const { rows } = await this.run(this.statements.observedUpdate(key, changes), handle);
      const row = rows[0];
      if (row === undefined) return { status: 'missing' } as const;
      return { status: 'done', value: toRecord(row), previousVersion: toVersion(row['previous_version']) } as const;
    });
  }

  async deleteObserved(key: string): Promise<ObservedWriteOutcome<true>> {
    const { rows } = await this.run(this.statements.observedDelete(key));
    const row = rows[0];
    if (row === undefined) return { status: 'missing' };
    return { status: 'done', value: true, previousVersion: toVersion(row['previous_version']) };
  }

  /**
   * A write touched no row: the key is either missing or at another version. A dialect that
   * classified it in the same batch says which in `row.outcome`; otherwise the version is read.
   */
  private async classifyRefusedWrite(
    key: string,
    row: Pick<SessionRow, 'outcome' | 'session_version'> | undefined,
    expectedVersion: number | null,
    transaction?: THandle,
  ): Promise<WriteOutcome<never>> {
    if (row?.outcome === 'conflict') return { status: 'conflict', actualVersion: toVersion(row.session_version) };
    if (row?.outcome === 'missing' || expectedVersion === null) return { status: 'missing' };
    const { rows } = await this.run(this.statements.selectVersion(key), transaction);
    const current = rows[0];
    if (current === undefined) return { status: 'missing' };
    return { status: 'conflict', actualVersion: toVersion(current['session_version']) };
  }

  async touch(key: string): Promise<boolean> {
    const { rowCount } = await this.run(this.statements.touch(key));
    return rowCount > 0;
  }

  async verifySchema(): Promise<void> {
    const missing: string[] = [];
    const present = await this.columnNames(this.statements.sessionColumns());
    if (present.size === 0) {
      missing.push(`table ${this.tableLabel()}`);
    } else {
      for (const role of COLUMN_ROLES) {
        const column = this.names.columns[role];
        if (!present.has(column.toLowerCase())) missing.push(`column "${column}" of table ${this.tableLabel()}`);
      }
    }
    const processed = await this.columnNames(this.statements.processedColumns());
    if (processed.size === 0) {
      missing.push(`table ${this.tableLabel(this.names.processedTable)}`);
    } else {
      for (const column of REQUIRED_PROCESSED_COLUMNS) {
        if (!processed.has(column))
          missing.push(`column "${column}" of table ${this.tableLabel(this.names.processedTable)}`);
      }
    }
    if (this.names.history) {
      const history = await this.columnNames(this.statements.historyColumns());
      if (history.size === 0) missing.push(`table ${this.tableLabel(this.names.historyTable)}`);
    }
    if (missing.length > 0) throw this.migrationRequired(missing);
  }

  private async columnNames(statement: TStatement): Promise<Set<string>> {
    const { rows } = await this.driver.execute(statement);
    return new Set(rows.map((row) => String(row['column_name']).toLowerCase()));
  }

  async markProcessed(id: string, key?: string): Promise<boolean> {
    try {
      const { rowCount } = await this.run(this.statements.insertProcessed(id, key ?? null));
      return rowCount > 0;
    } catch (error) {
      if (this.driver.classifyError(error) === 'unique-violation') return false;
      throw error;
    }
  }

  async isProcessed(id: string): Promise<boolean> {
    const { rows } = await this.run(this.statements.selectProcessed(id));
    return rows.length > 0;
  }

  async pruneProcessed(olderThan: Date): Promise<number> {
    const { rowCount } = await this.run(this.statements.deleteProcessedBefore(olderThan));
    return rowCount;
  }

  async findIdle(idleBefore: Date, states: readonly string[] | null, limit: number): Promise<SessionRecord[]> {
    const { rows } = await this.run(this.statements.selectIdle(idleBefore, states, limit));
    return rows.map(toRecord);
  }

  async readPage(query: SessionPageQuery): Promise<ListedSessionRecord[]> {
    const { rows } = await this.run(this.statements.selectPage(query));
    return rows.map((row) => {
      const time = row['page_time'];
      return {
        record: toRecord(row),
        position: { time: typeof time === 'number' ? time : String(time), key: String(row['session_key']) },
      };
    });
  }

  async deleteStale(olderThan: Date, states: readonly string[] | null, limit: number): Promise<number> {
    const { rowCount } = await this.run(this.statements.deleteStale(olderThan, states, limit));
    return rowCount;
  }

  async readHistory(key: string, limit: number, before: number | null): Promise<SessionTransition[]> {
    const { rows } = await this.run(this.statements.selectHistory(key, limit, before));
    return rows.map((row) => ({
      key: String(row['session_key']),
      version: toVersion(row['session_version']),
      previousState: (row['previous_state'] as string | null) ?? null,
      state: (row['state'] as string | null) ?? null,
      origin: (row['origin'] as string | null) ?? null,
      reason: (row['reason'] as string | null) ?? null,
      changedAt: toDate(row['changed_at'] as Date | string),
    }));
  }

  async pruneHistory(olderThan: Date): Promise<number> {
    const { rowCount } = await this.run(this.statements.deleteHistoryBefore(olderThan));
    return rowCount;
  }

  /** The error that says which migration command completes this store's schema. */
  private migrationRequired(missing: string[], cause?: unknown): MigrationRequiredError {
    return new MigrationRequiredError({
      dialect: this.dialect,
      missing,
      command: migrateCommand(this.dialect, this.names),
      ...(cause === undefined ? {} : { cause }),
    });
  }

  private tableLabel(table = this.names.table): string {
    return this.names.schema === null ? `"${table}"` : `"${this.names.schema}"."${table}"`;
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
