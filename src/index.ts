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
  type Dialect,
  type SessionOperation,
} from './core/errors.js';
export {
  DuplicateOperationError,
  isDuplicateOperationError,
  type DuplicateOperation,
  type IdempotentOperation,
  type IdempotentResult,
} from './core/duplicate.js';
export { hmacKeyMasker, maskKey, type HmacKeyMaskerOptions, type KeyMasker } from './core/mask.js';
export { diagnosticsChannels } from './core/diagnostics.js';
export type {
  ConflictContext,
  DuplicateContext,
  ExhaustedContext,
  RetryContext,
  SessionEvent,
  SessionEventContext,
  SessionHooks,
} from './core/hooks.js';
export type { LockingMode } from './core/locking-mode.js';
export {
  metricNames,
  type CounterLike,
  type HistogramLike,
  type MeterLike,
  type MeterProviderLike,
  type MetricAttributes,
  type MetricsOption,
} from './core/metrics.js';
export {
  SessionRepository,
  type DeleteSessionOptions,
  type ReadSessionOptions,
  type SessionRepositoryOptions,
  type UpdateSessionOptions,
} from './core/repository.js';
export {
  withRetry,
  withSessionRetry,
  type IdempotentSessionRetryOptions,
  type JitterStrategy,
  type RetryOptions,
  type SessionRetryOptions,
} from './core/retry.js';
export type { LevelLogger } from './core/logger.js';
export type {
  ColumnMap,
  IdempotentWrite,
  IdempotentWriteOutcome,
  Logger,
  ObservedWriteOutcome,
  ProcessedRecord,
  ResolvedNames,
  Session,
  SessionChanges,
  SessionRecord,
  SessionStore,
  StoredChanges,
  TableOptions,
  WriteOutcome,
} from './core/types.js';
