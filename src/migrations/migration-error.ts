/**
 * The error of the migration runner: a migration that failed, or a database whose recorded migrations
 * do not match the package.
 *
 * @module
 */
import { VersionedSessionError, isVersionedSessionError } from '../core/errors.js';
import { type Dialect } from '../core/dialect.js';

/**
 * Why {@link MigrationError} was thrown.
 * - `checksum-mismatch`: an applied migration renders to other SQL now (other names, or an edited file).
 * - `unknown-migration`: the database records a migration this package does not have (the database is ahead).
 * - `failed`: a migration's SQL failed; nothing of it was recorded.
 * - `insufficient-privilege`: the login lacks a right the migrations need (DDL, or reading the tracking
 *   table); {@link MigrationError.missingRight} names it. Nothing was recorded.
 * - `locked`: another migrator held the migration lock for the whole wait (SQL Server: 60 s); nothing
 *   was applied by this run. Run migrate again once the other one is done.
 *
 * @example
 * ```ts
 * if (isMigrationError(error) && error.reason === 'unknown-migration') console.error('upgrade versioned-sessions first');
 * ```
 */
export type MigrationErrorReason =
  'checksum-mismatch' | 'unknown-migration' | 'failed' | 'insufficient-privilege' | 'locked';

/**
 * A migration could not be applied, or the database's record of applied migrations does not match
 * the package. The message says what to do.
 *
 * @example
 * ```ts
 * import { migrate, MigrationError } from 'versioned-sessions/migrations';
 * try {
 *   await migrate({ dialect: 'postgres', pool });
 * } catch (error) {
 *   if (error instanceof MigrationError) console.error(error.migrationId, error.reason, error.message);
 *   throw error;
 * }
 * ```
 */
export class MigrationError extends VersionedSessionError {
  override name = 'MigrationError' as const;
  /** The dialect being migrated. */
  readonly dialect: Dialect;
  /**
   * The migration concerned, e.g. `0002_adopt_existing_table`; empty when the run stopped before it
   * reached one (reading or creating the tracking table).
   */
  readonly migrationId: string;
  /** Why the run stopped. */
  readonly reason: MigrationErrorReason;
  /**
   * For `insufficient-privilege`: the right the login lacks, e.g. `CREATE on schema "bot" and ownership
   * of its tables`. Absent for the other reasons.
   */
  readonly missingRight?: string;

  /** Built by the runner; the fields are copied from `details`, and `message` says what to do. */
  constructor(details: {
    dialect: Dialect;
    migrationId: string;
    reason: MigrationErrorReason;
    message: string;
    missingRight?: string;
    cause?: unknown;
  }) {
    super(details.message, details.cause === undefined ? undefined : { cause: details.cause });
    this.dialect = details.dialect;
    this.migrationId = details.migrationId;
    this.reason = details.reason;
    if (details.missingRight !== undefined) this.missingRight = details.missingRight;
  }
}

/**
 * Whether `error` is a {@link MigrationError}, from this or another loaded copy of the library.
 *
 * @example
 * ```ts
 * migrate({ dialect: 'sqlite', database }).catch((error) => {
 *   if (isMigrationError(error) && error.reason === 'unknown-migration') console.error('upgrade versioned-sessions');
 * });
 * ```
 */
export function isMigrationError(error: unknown): error is MigrationError {
  return isVersionedSessionError(error) && error.name === 'MigrationError';
}
