/**
 * `node:diagnostics_channel` channels, so APM agents and tests can watch conflicts, retries, exhausted
 * retries and duplicates without changing the code that uses the library.
 *
 * @module
 */
import { channel, type Channel } from 'node:diagnostics_channel';
import type { SessionEvent } from './hooks.js';

/**
 * The names of the library's diagnostics channels. Each message is the same frozen context the
 * matching hook receives ({@link ConflictContext}, {@link RetryContext}, {@link ExhaustedContext},
 * {@link DuplicateContext}). Channels are process-wide, so a subscriber sees every repository, the
 * ESM and CommonJS copies of the library alike.
 *
 * @example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * import { diagnosticsChannels, type ConflictContext } from 'versioned-sessions';
 *
 * subscribe(diagnosticsChannels.conflict, (message) => {
 *   const conflict = message as ConflictContext;
 *   console.warn(`conflict on ${conflict.maskedKey} (${conflict.operation})`);
 * });
 * ```
 */
export const diagnosticsChannels = Object.freeze({
  /** A write named a stale version. */
  conflict: 'versioned-sessions:conflict',
  /** An attempt failed; another follows. */
  retry: 'versioned-sessions:retry',
  /** A retry loop gave up. */
  exhausted: 'versioned-sessions:exhausted',
  /** A write was skipped as already applied. */
  duplicate: 'versioned-sessions:duplicate',
} as const satisfies Record<SessionEvent, string>);

const channels: Readonly<Record<SessionEvent, Channel>> = {
  conflict: channel(diagnosticsChannels.conflict),
  retry: channel(diagnosticsChannels.retry),
  exhausted: channel(diagnosticsChannels.exhausted),
  duplicate: channel(diagnosticsChannels.duplicate),
};

/** Whether anyone listens on the event's channel; checked before a message is even built. */
export function hasSubscribers(event: SessionEvent): boolean {
  return channels[event].hasSubscribers;
}

/** Publishes `message` on the event's channel (callers check {@link hasSubscribers} first). */
export function publish(event: SessionEvent, message: object): void {
  channels[event].publish(message);
}
