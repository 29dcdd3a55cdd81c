/**
 * The CLI commands that work on sessions rather than on the schema: `expire` (the idle-session sweep),
 * `inspect` (one session and its transitions), `list` (a page of sessions) and `prune` (stale
 * sessions deleted in batches).
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

/** The flags of `list`, as parsed. */
export interface ListFlags {
  readonly states: readonly string[] | undefined;
  readonly updatedBefore: string | undefined;
  readonly updatedAfter: string | undefined;
  readonly limit: string | undefined;
  readonly cursor: string | undefined;
  readonly showKey: boolean;
  readonly json: boolean;
}

const ISO_TIME = /^\d{4}-\d\d-\d\d(?:T\d\d:\d\d(?::\d\d(?:\.\d{1,3})?)?(?:Z|[+-]\d\d:\d\d))?$/;

function timeFlag(value: string | undefined, flag: string): Date | undefined {
  if (value === undefined) return undefined;
  const date = ISO_TIME.test(value) ? new Date(value) : new Date(Number.NaN);
  expectThat(
    !Number.isNaN(date.getTime()),
    flag,
    'be an ISO 8601 date or time such as 2026-01-31 or 2026-01-31T18:00:00Z',
    value,
  );
  return date;
}

/** Checks `list`'s own flags before any connection is opened. */
export function checkListFlags(flags: ListFlags): {
  limit: number;
  updatedBefore?: Date;
  updatedAfter?: Date;
} {
  expectThat(
    flags.limit === undefined || (/^[1-9]\d{0,3}$/.test(flags.limit) && Number(flags.limit) <= 1000),
    '--limit',
    'be a whole number from 1 to 1000',
    flags.limit,
  );
  const limit = flags.limit === undefined ? 50 : Number(flags.limit);
  const updatedBefore = timeFlag(flags.updatedBefore, '--updated-before');
  const updatedAfter = timeFlag(flags.updatedAfter, '--updated-after');
  return {
    limit,
    ...(updatedBefore === undefined ? {} : { updatedBefore }),
    ...(updatedAfter === undefined ? {} : { updatedAfter }),
  };
}

/**
 * `versioned-sessions list`: one page of sessions, oldest last activity first. The next page's cursor
 * carries the last key (readable once decoded), so it is printed with --show-key only.
 */
export async function runList(store: SessionStore, flags: ListFlags, write: (text: string) => void): Promise<void> {
  const { limit, updatedBefore, updatedAfter } = checkListFlags(flags);
  const repository = new SessionRepository({ store, metrics: false });
  const page = await repository.listSessions({
    limit,
    ...(flags.states === undefined ? {} : { states: flags.states }),
    ...(updatedBefore === undefined ? {} : { updatedBefore }),
    ...(updatedAfter === undefined ? {} : { updatedAfter }),
    ...(flags.cursor === undefined ? {} : { cursor: flags.cursor }),
  });
  const shown = (key: string): string => (flags.showKey ? key : maskKey(key));
  const nextCursor = flags.showKey ? page.nextCursor : null;
  if (flags.json) {
    const sessions = page.sessions.map((session) => ({ ...session, key: shown(session.key) }));
    write(`${JSON.stringify({ sessions, nextCursor, more: page.nextCursor !== null }, null, 2)}\n`);
    return;
  }
  const lines = page.sessions.map(
    (session) =>
      `${shown(session.key).padEnd(18)} ${String(session.state ?? '(null)').padEnd(20)} v${String(session.version).padEnd(5)} updated ${session.updatedAt.toISOString()}`,
  );
  lines.push(`${page.sessions.length} session${page.sessions.length === 1 ? '' : 's'}.`);
  if (page.nextCursor !== null) {
    lines.push(
      nextCursor === null
        ? "More sessions follow: add --show-key to get the next page's --cursor (it carries the last key)."
        : `More sessions follow: add --cursor ${nextCursor} (with the same filters) for the next page.`,
    );
  }
  write(`${lines.join('\n')}\n`);
}

/** The flags of `prune`, as parsed. */
export interface PruneFlags {
  readonly olderThan: string | undefined;
  readonly states: readonly string[] | undefined;
  readonly batchSize: string | undefined;
}

/** Checks `prune`'s own flags before any connection is opened. */
export function checkPruneFlags(flags: PruneFlags): { olderThan: number; batchSize?: number } {
  expectThat(
    flags.olderThan !== undefined,
    '--older-than',
    "be how long a session must be idle to be deleted (e.g. '90d')",
    flags.olderThan,
  );
  const olderThan = parseDuration(flags.olderThan, '--older-than');
  expectThat(
    flags.batchSize === undefined || (/^[1-9]\d{0,4}$/.test(flags.batchSize) && Number(flags.batchSize) <= 10_000),
    '--batch-size',
    'be a whole number from 1 to 10000',
    flags.batchSize,
  );
  const batchSize = flags.batchSize === undefined ? undefined : Number(flags.batchSize);
  return { olderThan, ...(batchSize === undefined ? {} : { batchSize }) };
}

/** `versioned-sessions prune`: deletes the stale sessions batch by batch, the count on stdout. */
export async function runPrune(store: SessionStore, flags: PruneFlags, write: (text: string) => void): Promise<void> {
  const { olderThan, batchSize } = checkPruneFlags(flags);
  const repository = new SessionRepository({ store, metrics: false });
  const { deleted } = await repository.pruneSessions({
    olderThan,
    ...(flags.states === undefined ? {} : { states: flags.states }),
    ...(batchSize === undefined ? {} : { batchSize }),
  });
  const states = flags.states === undefined ? 'any state' : `state ${flags.states.join(', ')}`;
  write(`deleted ${deleted} session${deleted === 1 ? '' : 's'} idle for more than ${flags.olderThan} (${states}).\n`);
}
