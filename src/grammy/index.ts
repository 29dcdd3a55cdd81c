/**
 * `versioned-sessions/grammy`: sessions for grammY bots with optimistic locking, on any of the
 * library's stores. `versionedSession()` is the middleware (conditional write, optional re-run on
 * conflict, redelivered updates recognised); `VersionedStorageAdapter` plugs into grammY's own
 * `session()`, `lazySession()` and `enhanceStorage()`. grammY itself is not imported.
 *
 * @example
 * ```ts
 * import { versionedSession, VersionedStorageAdapter } from 'versioned-sessions/grammy';
 * ```
 * @module versioned-sessions/grammy
 */
export {
  versionedSession,
  type GrammyHandlers,
  type GrammyMiddleware,
  type GrammyUpdateContext,
  type VersionedSessionFlavor,
  type VersionedSessionOptions,
} from './middleware.js';
export { VersionedStorageAdapter, type VersionedStorageAdapterOptions } from './storage-adapter.js';
export type { UntrackedWrites } from '../frameworks/tracked-sessions.js';
