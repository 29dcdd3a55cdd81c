/**
 * The CLI commands that work on sessions rather than on the schema: `expire` (the idle-session sweep).
 * Each builds the dialect's store on the connection the CLI opened, with the names given as flags.
 *
 * @module
 */
import type { Dialect } from '../core/dialect.js';
import { MigrationRequiredError } from '../core/errors.js';
import { expectThat } from '../core/validate.js';
import { SessionRepository } from '../core/repository/repository.js';
import { parseDuration } from '../core/repository/lifecycle.js';
import type { SessionStore, SessionTransition } from '../core/session-store.js';
import { maskKey } from '../core/observability/key-mask.js';
import { validateKey } from '../core/repository/input-validation.js';
import type { MigrateOptions } from '../migrations/index.js';

/** The dialect's store over the connection the CLI opened. */
export async function openStore(options: MigrateOptions): Promise<SessionStore> {
  const { dialect, pool, database, trackingTable: _tracking, ...names } = options;
  const stores: Record<Dialect, () => Promise<SessionStore>> = {
    postgres: async () =>
      new (await import('../postgres/index.js')).PostgresSessionStore({ pool: pool as never, ...names }),
    mssql: async () => new (await import('../mssql/index.js')).MssqlSessionStore({ pool: pool as never, ...names }),
    mysql: async () => new (await import('../mysql/index.js')).MysqlSessionStore({ pool: pool as never, ...names }),
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
  expectThat(flags.idle !== undefined, '--idle', "be how long a session must be idle (e.g. '30m')", flags.idle);
  expectThat(
    flags.state !== undefined,
    '--state',
    'be the state an expired session gets (e.g. CANCELADA)',
    flags.state,
  );
  const idleFor = parseDuration(flags.idle, '--idle');
  expectThat(
    flags.limit === undefined || /^[1-9]\d{0,4}$/.test(flags.limit),
    '--limit',
    'be a whole number from 1 to 99999',
    flags.limit,
  );
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

/** The flags of `inspect`, as parsed. */
export interface InspectFlags {
  readonly key: string | undefined;
  readonly limit: string | undefined;
  readonly showKey: boolean;
  readonly json: boolean;
}

/** Checks `inspect`'s own arguments before any connection is opened. */
export function checkInspectFlags(flags: InspectFlags): { key: string; limit: number } {
  expectThat(flags.key !== undefined, '<key>', 'be the session key to inspect', flags.key);
  const key = validateKey(flags.key, '<key>');
  expectThat(
    flags.limit === undefined || /^[1-9]\d{0,2}$/.test(flags.limit),
    '--limit',
    'be a whole number from 1 to 999',
    flags.limit,
  );
  return { key, limit: flags.limit === undefined ? 10 : Number(flags.limit) };
}

/** Outcome of `inspect`: 0 printed, 1 no such session. */
export async function runInspect(
  store: SessionStore,
  flags: InspectFlags,
  write: (text: string) => void,
  fail: (text: string) => void,
): Promise<number> {
  const { key, limit } = checkInspectFlags(flags);
  const repository = new SessionRepository({ store, metrics: false });
  const shown = flags.showKey ? key : maskKey(key);
  const session = await repository.getSession(key);
  if (session === null) {
    fail(`no session with key ${shown}.\n`);
    return 1;
  }
  let transitions: SessionTransition[] | null;
  try {
    transitions = await repository.getSessionHistory(key, { limit });
  } catch (error) {
    if (!(error instanceof MigrationRequiredError)) throw error;
    transitions = null;
  }
  if (flags.json) {
    write(
      `${JSON.stringify({ session: { ...session, key: shown }, transitions: transitions?.map((t) => ({ ...t, key: shown })) ?? null }, null, 2)}\n`,
    );
    return 0;
  }
  const lines = [
    `session  ${shown}`,
    `state    ${session.state ?? '(null)'}`,
    `version  ${session.version}`,
    `created  ${session.createdAt.toISOString()}`,
    `updated  ${session.updatedAt.toISOString()}`,
    `data     ${JSON.stringify(session.data)}`,
    '',
  ];
  if (transitions === null) {
    lines.push(
      'no history table: apply the migrations (versioned-sessions migrate) and turn history on (history: true).',
    );
  } else if (transitions.length === 0) {
    lines.push('no transitions recorded (the store records them with history: true).');
  } else {
    lines.push(`last ${transitions.length} transition${transitions.length === 1 ? '' : 's'}, newest first:`);
    for (const t of transitions) {
      const origin = t.origin ?? '-';
      const reason = t.reason === null ? '' : `  ${JSON.stringify(t.reason)}`;
      lines.push(
        `  v${String(t.version).padEnd(5)} ${t.changedAt.toISOString()}  ${t.previousState ?? '(null)'} -> ${t.state ?? '(null)'}  by ${origin}${reason}`,
      );
    }
  }
  write(`${lines.join('\n')}\n`);
  return 0;
}
