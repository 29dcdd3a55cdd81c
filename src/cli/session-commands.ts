/**
 * The CLI commands that work on sessions rather than on the schema: `expire` (the idle-session sweep).
 * Each builds the dialect's store on the connection the CLI opened, with the names given as flags.
 *
 * @module
 */
import type { Dialect } from '../core/dialect.js';
import { InvalidArgumentError } from '../core/errors.js';
import { SessionRepository } from '../core/repository/repository.js';
import { parseDuration } from '../core/repository/lifecycle.js';
import type { SessionStore } from '../core/session-store.js';
import type { MigrateOptions } from '../migrations/index.js';

/** The dialect's store over the connection the CLI opened. */
export async function openStore(options: MigrateOptions): Promise<SessionStore> {
  const { dialect, pool, database, trackingTable: _tracking, ...names } = options;
  const stores: Record<Dialect, () => Promise<SessionStore>> = {
    postgres: async () =>
      new (await import('../postgres/index.js')).PostgresSessionStore({ pool: pool as never, ...names }),
    mssql: async () => new (await import('../mssql/index.js')).MssqlSessionStore({ pool: pool as never, ...names }),
    sqlite: async () =>
      new (await import('../sqlite/index.js')).SqliteSessionStore({ database: database as never, ...names }),
  };
  return stores[dialect]();
}

/** The flags of `expire`, as parsed. */
export interface ExpireFlags {
  readonly idle: string | undefined;
  readonly state: string | undefined;
  readonly fromState: readonly string[] | undefined;
  readonly limit: string | undefined;
}

/** Checks `expire`'s own flags before any connection is opened. */
export function checkExpireFlags(flags: ExpireFlags): { idleFor: number; state: string; limit?: number } {
  if (flags.idle === undefined)
    throw new InvalidArgumentError('--idle', "is required: how long a session must be idle, e.g. '30m'.");
  if (flags.state === undefined)
    throw new InvalidArgumentError('--state', 'is required: the state an expired session gets, e.g. CANCELADA.');
  const idleFor = parseDuration(flags.idle, '--idle');
  if (flags.limit !== undefined && !/^[1-9]\d{0,4}$/.test(flags.limit)) {
    throw new InvalidArgumentError(
      '--limit',
      `expects a whole number from 1 to 99999, got "${flags.limit.slice(0, 20)}".`,
    );
  }
  return { idleFor, state: flags.state, ...(flags.limit === undefined ? {} : { limit: Number(flags.limit) }) };
}

/** `versioned-sessions expire`: one sweep, its counts on stdout. */
export async function runExpire(store: SessionStore, flags: ExpireFlags, write: (text: string) => void): Promise<void> {
  const { idleFor, state, limit } = checkExpireFlags(flags);
  const repository = new SessionRepository({ store, metrics: false });
  const { expired, skipped } = await repository.expireIdleSessions({
    idleFor,
    changes: { state },
    ...(flags.fromState === undefined ? {} : { states: flags.fromState }),
    ...(limit === undefined ? {} : { limit }),
  });
  write(
    `expired ${expired} session${expired === 1 ? '' : 's'} idle for more than ${flags.idle} (state ${state}); ` +
      `skipped ${skipped} written since the sweep read them.\n`,
  );
}
