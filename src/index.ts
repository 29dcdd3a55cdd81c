/**
 * versioned-sessions: optimistic locking for chatbot sessions. This entry loads no database driver;
 * import a store from `versioned-sessions/postgres`, `versioned-sessions/sqlite` or
 * `versioned-sessions/mssql`.
 *
 * @example
 * ```ts
 * import { SessionRepository, withSessionRetry, isConcurrencyError } from 'versioned-sessions';
 * ```
 * @module versioned-sessions
 */
export {
  ConcurrencyError,
  InvalidArgumentError,
  MigrationRequiredError,
  SessionNotFoundError,
  VersionedSessionError,
  isConcurrencyError,
  isVersionedSessionError,
  type SessionOperation,
} from './core/errors.js';
export { type Dialect } from './core/dialect.js';
export {
  DuplicateOperationError,
  isDuplicateOperationError,
  type DuplicateOperation,
  type IdempotentOperation,
  type IdempotentResult,
} from './core/repository/duplicate-operation.js';
export { hmacKeyMasker, maskKey, type HmacKeyMaskerOptions, type KeyMasker } from './core/observability/key-mask.js';
export { diagnosticsChannels } from './core/observability/diagnostics.js';
export type {
  ConflictContext,
  DuplicateContext,
  ExhaustedContext,
  RetryContext,
  SessionEvent,
  SessionEventContext,
  SessionHooks,
} from './core/observability/hooks.js';
export type { LockingMode, LockingModeOption, LockingModeShare } from './core/repository/locking-mode.js';
export {
  parseDuration,
  type ChangesOf,
  type Duration,
  type ExpireIdleSessionsOptions,
  type ExpireIdleSessionsResult,
  type SessionHistoryOptions,
} from './core/repository/lifecycle.js';
export type {
  ListSessionsOptions,
  PruneSessionsOptions,
  PruneSessionsResult,
  SessionPage,
} from './core/repository/session-listing.js';
export {
  metricNames,
  type CounterLike,
  type HistogramLike,
  type MeterLike,
  type MeterProviderLike,
  type MetricAttributes,
  type MetricsOption,
} from './core/observability/metrics.js';
export {
  SessionRepository,
  type DeleteSessionOptions,
  type InitialDataRequirement,
  type ReadSessionOptions,
  type SchemaReport,
  type SessionRepositoryOptions,
  type UnreadableRow,
  type UpdateSessionOptions,
  type VerifySchemaOptions,
} from './core/repository/repository.js';
export {
  withRetry,
  withSessionRetry,
  type IdempotentSessionRetryOptions,
  type JitterStrategy,
  type RetryOptions,
  type SessionRetryOptions,
} from './core/retry/retry.js';
export type { LevelLogger } from './core/observability/logger.js';
export type { ColumnMap, ResolvedNames, TableOptions } from './core/sql/table-names.js';
export type {
  IdempotentWrite,
  IdempotentWriteOutcome,
  ListedSessionRecord,
  ObservedWriteOutcome,
  PagePosition,
  ProcessedRecord,
  SessionPageQuery,
  SessionWithProcessed,
  SessionRecord,
  SessionStore,
  SessionTransition,
  StoredChanges,
  StoredDataRow,
  WriteOutcome,
} from './core/session-store.js';
export type { Logger } from './core/observability/logger.js';
export type { Session, SessionChanges, SessionDataInput } from './core/session.js';
export {
  SessionDataError,
  UndecodedData,
  isSessionDataError,
  type DecodeDataContext,
  type SessionDataProblem,
} from './core/session-data.js';
