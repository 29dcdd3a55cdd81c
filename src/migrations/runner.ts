/**
 * The dialect-independent migration runner: compare what the database recorded with what the package
 * ships, refuse a mismatch, and apply each pending migration in its own locked transaction with its
 * record written first. A dialect adapter contributes only its SQL, its lock and its transaction.
 *
 * @module
 */
import type { Dialect } from '../core/dialect.js';
import { MigrationError } from './migration-error.js';
import type { RenderedMigration } from './render.js';

/**
 * Thrown by an adapter whose lock wait ran out while another migrator held the migration lock; the
 * runner reports it as a MigrationError with reason `locked`.
 */
export class MigrationLockTimeoutError extends Error {
  override name = 'MigrationLockTimeoutError';
}

/** A migration as recorded in the tracking table. */
export interface AppliedMigration {
  readonly id: string;
  readonly checksum: string;
  readonly appliedAt: Date;
}

/** The work a dialect does inside one locked migration transaction. */
export interface MigrationTransaction {
  /** The migrations recorded so far (read under the lock). */
  readApplied(): Promise<AppliedMigration[]>;
  /** Writes the migration's tracking row. */
  record(migration: RenderedMigration): Promise<void>;
  /** Runs the migration's SQL. */
  apply(migration: RenderedMigration): Promise<void>;
  /** Deletes a migration's tracking row (an optional migration being removed). */
  forget(id: string): Promise<void>;
}

/** What a dialect provides to the runner. */
export interface MigrationAdapter {
  readonly dialect: Dialect;
  /** The quoted, qualified tracking table, for messages. */
  readonly trackingLabel: string;
  /** The recorded migrations without taking the lock; empty when the tracking table does not exist. */
  readApplied(): Promise<AppliedMigration[]>;
  /**
   * Runs `work` in one transaction that holds the dialect's migration lock and in which the tracking
   * table exists; commits when `work` resolves, rolls back when it throws.
   */
  inLockedTransaction<T>(work: (transaction: MigrationTransaction) => Promise<T>): Promise<T>;
  /**
   * When `error` is the database refusing a right (not a failure of the SQL itself): the right, named
   * for a person, for reading the tracking table (`read`) or for migrating (`migrate`); otherwise
   * `undefined`.
   */
  missingRight?(error: unknown, stage: 'read' | 'migrate'): string | undefined;
}

/**
 * A migration's id and checksum, and when it was applied (for applied ones).
 *
 * @example
 * ```ts
 * const { applied }: { applied: readonly MigrationInfo[] } = await migrationStatus({ dialect: 'sqlite', database });
 * for (const migration of applied) console.log(migration.id, migration.appliedAt?.toISOString());
 * ```
 */
export interface MigrationInfo {
  /** The file name without `.sql`, e.g. `0001_create_sessions`. */
  readonly id: string;
  /** The sha256 (hex) of the rendered SQL: the recorded one for applied migrations. */
  readonly checksum: string;
  /** When the migration was recorded; absent for pending ones. */
  readonly appliedAt?: Date;
}

/** What {@link runMigrations} did. */
export interface RunOutcome {
  /** Migrations applied by this run, in order. */
  readonly applied: MigrationInfo[];
  /** Migrations that were already recorded when the run started. */
  readonly alreadyApplied: MigrationInfo[];
}

const short = (checksum: string): string => `${checksum.slice(0, 12)}…`;

/**
 * Refuses a record that does not match the package: an unknown id (the database is ahead) or a
 * changed checksum.
 */
export function checkRecorded(
  adapter: MigrationAdapter,
  recorded: readonly AppliedMigration[],
  migrations: readonly RenderedMigration[],
): void {
  const byId = new Map(migrations.map((migration) => [migration.id, migration]));
  for (const row of recorded) {
    const packaged = byId.get(row.id);
    if (packaged === undefined) {
      throw new MigrationError({
        dialect: adapter.dialect,
        migrationId: row.id,
        reason: 'unknown-migration',
        message:
          `The database records migration ${row.id} in ${adapter.trackingLabel}, which this version of versioned-sessions ` +
          `does not ship: the database was migrated by a newer version. Upgrade versioned-sessions in this project to ` +
          'that version or later; an older version must not migrate or use this schema.',
      });
    }
    if (packaged.checksum !== row.checksum) {
      throw new MigrationError({
        dialect: adapter.dialect,
        migrationId: row.id,
        reason: 'checksum-mismatch',
        message:
          `Migration ${row.id} was applied with checksum ${short(row.checksum)}, but renders to ${short(packaged.checksum)} now. ` +
          'Run migrate with the same schema, table, column, processed-table and history-table names it was applied ' +
          'with. Each sessions table keeps its own record, except that earlier versions recorded every table of a schema ' +
          'in the default tracking table: if it holds another sessions table, give this one a trackingTable (--tracking-table) of its own. ' +
          `If the names are the same, ` +
          `the packaged file was edited: restore it, or check the schema by hand and delete the row ${row.id} from ` +
          `${adapter.trackingLabel} so that the idempotent migration is applied and recorded again.`,
      });
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The adapter's locked transaction, with a lock wait that ran out reported as a MigrationError. */
async function inLockedTransaction<T>(
  adapter: MigrationAdapter,
  migrations: readonly RenderedMigration[],
  work: (transaction: MigrationTransaction) => Promise<T>,
): Promise<T> {
  try {
    return await adapter.inLockedTransaction(work);
  } catch (error) {
    if (!(error instanceof MigrationLockTimeoutError)) throw error;
    // The migration the other migrator is most likely applying: the first one not recorded yet.
    const recorded = new Set((await adapter.readApplied().catch(() => [])).map((row) => row.id));
    throw new MigrationError({
      dialect: adapter.dialect,
      migrationId: migrations.find((migration) => !recorded.has(migration.id))?.id ?? migrations.at(-1)?.id ?? '',
      reason: 'locked',
      message: error.message,
      cause: error.cause ?? error,
    });
  }
}

/**
 * The error for a login that lacks a right, or `undefined` when `error` is something else. Migrations
 * are meant to run under the schema owner's login; the application's login has no DDL rights.
 */
function privilegeError(
  adapter: MigrationAdapter,
  error: unknown,
  stage: 'read' | 'migrate',
  migrationId = '',
): MigrationError | undefined {
  const right = adapter.missingRight?.(error, stage);
  if (right === undefined) return undefined;
  const what =
    stage === 'read'
      ? `Reading ${adapter.trackingLabel}`
      : migrationId === ''
        ? 'Migrating'
        : `Migration ${migrationId}`;
  return new MigrationError({
    dialect: adapter.dialect,
    migrationId,
    reason: 'insufficient-privilege',
    missingRight: right,
    cause: error,
    message:
      `${what} needs ${right}, which the login running it lacks (${describe(error)}); nothing was recorded. ` +
      'Run migrations under the login that owns the schema (or as a DBA: `versioned-sessions print` renders the SQL to apply), ' +
      "not the application's login, which needs only SELECT, INSERT, UPDATE and DELETE on the sessions and processed-operations " +
      "tables (the grants per database are in the library's security guide, docs/security.md).",
  });
}

/** The recorded migrations read outside the lock, a refused right reported as {@link MigrationError}. */
export async function readRecorded(adapter: MigrationAdapter): Promise<AppliedMigration[]> {
  try {
    return await adapter.readApplied();
  } catch (error) {
    throw privilegeError(adapter, error, 'read') ?? error;
  }
}

/**
 * Applies every pending migration in id order, each in its own transaction holding the migration
 * lock, its tracking row written first. Concurrent runners wait for the lock and then find the
 * migration recorded, so each migration is applied once.
 *
 * @throws MigrationError when the record does not match the package, when a migration fails (it is
 *   rolled back with its record; the migrations before it stay applied), when the login lacks a
 *   right the migrations need (`insufficient-privilege`), or when another migrator kept the migration
 *   lock past the dialect's wait (`locked`).
 */
export async function runMigrations(
  adapter: MigrationAdapter,
  migrations: readonly RenderedMigration[],
  known: readonly RenderedMigration[] = migrations,
): Promise<RunOutcome> {
  const applied: MigrationInfo[] = [];
  let alreadyApplied: MigrationInfo[] | undefined;
  for (;;) {
    let current = '';
    const next = await inLockedTransaction(adapter, migrations, async (transaction) => {
      const recorded = await transaction.readApplied();
      // `known` adds the optional migrations not asked for this time: their records are checked, not applied.
      checkRecorded(adapter, recorded, known);
      alreadyApplied ??= recorded.map((row) => ({ id: row.id, checksum: row.checksum, appliedAt: row.appliedAt }));
      const done = new Set(recorded.map((row) => row.id));
      const pending = migrations.find((migration) => !done.has(migration.id));
      if (pending === undefined) return undefined;
      // The record comes first: a runner that got past the lock without seeing it would fail on the
      // tracking table's primary key instead of applying the migration a second time.
      current = pending.id;
      await transaction.record(pending);
      try {
        await transaction.apply(pending);
      } catch (error) {
        throw (
          privilegeError(adapter, error, 'migrate', pending.id) ??
          new MigrationError({
            dialect: adapter.dialect,
            migrationId: pending.id,
            reason: 'failed',
            message: `Migration ${pending.id} failed and was rolled back, nothing of it recorded: ${describe(error)}. Fix the cause and run migrate again.`,
            cause: error,
          })
        );
      }
      return pending;
    }).catch((error: unknown) => {
      // A refused right before the migration's own SQL (taking the lock, creating or writing the tracking table).
      throw error instanceof MigrationError ? error : (privilegeError(adapter, error, 'migrate', current) ?? error);
    });
    if (next === undefined) break;
    applied.push({ id: next.id, checksum: next.checksum, appliedAt: new Date() });
  }
  return { applied, alreadyApplied: alreadyApplied ?? [] };
}

/**
 * Removes an optional migration: runs its removal script and deletes its tracking row, in one
 * transaction holding the migration lock. Idempotent: the script drops only what exists, and a
 * missing row deletes nothing.
 */
export async function runRemoval(
  adapter: MigrationAdapter,
  removal: RenderedMigration,
  recordId: string,
  known: readonly RenderedMigration[],
): Promise<void> {
  await inLockedTransaction(adapter, [removal], async (transaction) => {
    checkRecorded(adapter, await transaction.readApplied(), known);
    try {
      await transaction.apply(removal);
    } catch (error) {
      throw (
        privilegeError(adapter, error, 'migrate', removal.id) ??
        new MigrationError({
          dialect: adapter.dialect,
          migrationId: removal.id,
          reason: 'failed',
          message: `Removing ${recordId} failed and was rolled back: ${describe(error)}. Fix the cause and run it again.`,
          cause: error,
        })
      );
    }
    await transaction.forget(recordId);
  }).catch((error: unknown) => {
    throw error instanceof MigrationError ? error : (privilegeError(adapter, error, 'migrate', removal.id) ?? error);
  });
}
