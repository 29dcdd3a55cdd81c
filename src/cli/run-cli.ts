/**
 * The `versioned-sessions` command line: parses the arguments, runs one command, and turns every
 * outcome into an exit code (0 ok, 1 runtime failure, 2 usage error) and a message with no password.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { InvalidArgumentError, isVersionedSessionError } from '../core/errors.js';
import { DIALECTS, type Dialect } from '../core/dialect.js';
import { expectOneOf, expectThat } from '../core/validate.js';
import { COLUMN_FLAGS, COLUMN_ROLES, type ColumnMap } from '../core/sql/table-names.js';
import {
  isMigrationError,
  migrate,
  migrationStatus,
  renderMigrations,
  type MigrateOptions,
  type RenderOptions,
} from '../migrations/index.js';
import { packageVersion } from '../migrations/templates.js';
import { COMMANDS, GENERAL_HELP, type CommandName } from './commands.js';
import { ConnectionFailure, describeError, openConnection } from './connect.js';
import { ConnectionUrlError, parseConnectionUrl } from './connection-url.js';
import { connectionSecrets, describeConnection, redact } from './redact.js';

/** Where the CLI writes, and the environment it reads. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

class UsageError extends Error {
  override name = 'UsageError';
}

type Values = Record<string, string | boolean | string[] | undefined>;

function text(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

function dialectOf(values: Values): Dialect {
  const dialect = text(values, 'dialect');
  expectOneOf('--dialect', dialect, DIALECTS);
  return dialect;
}

function renderOptions(values: Values): RenderOptions {
  const columns: ColumnMap = {};
  for (const role of COLUMN_ROLES) {
    const value = text(values, COLUMN_FLAGS[role]);
    if (value !== undefined) columns[role] = value;
  }
  const optional = (name: string, flag: string): Record<string, string> => {
    const value = text(values, flag);
    return value === undefined ? {} : { [name]: value };
  };
  return {
    dialect: dialectOf(values),
    ...optional('schema', 'schema'),
    ...optional('table', 'table'),
    ...optional('processedTable', 'processed-table'),
    ...optional('historyTable', 'history-table'),
    ...(Object.keys(columns).length === 0 ? {} : { columns }),
    ...(values['guard-legacy-writes'] === true ? { guardLegacyWrites: true } : {}),
    ...(values['remove-legacy-guard'] === true ? { removeLegacyGuard: true } : {}),
  };
}

function connectionOf(values: Values, io: CliIo): string {
  const connection = text(values, 'url') ?? io.env['VERSIONED_SESSIONS_DATABASE_URL'];
  expectThat(
    connection !== undefined && connection !== '',
    '--url',
    'be a database URL or, for sqlite, a file path',
    connection,
    { hint: 'Or set VERSIONED_SESSIONS_DATABASE_URL.' },
  );
  return connection;
}

function count(values: Values, name: string): number | undefined {
  const value = text(values, name);
  if (value === undefined) return undefined;
  expectThat(/^[1-9]\d{0,3}$/.test(value), `--${name}`, 'be a whole number from 1 to 9999', value);
  return Number.parseInt(value, 10);
}

async function withDatabase<T>(
  values: Values,
  io: CliIo,
  mustExist: boolean,
  work: (options: MigrateOptions, where: string) => Promise<T>,
): Promise<T> {
  const options = renderOptions(values);
  const trackingTable = text(values, 'tracking-table');
  const connection = parseConnectionUrl(options.dialect, connectionOf(values, io));
  // Names are checked before connecting, so a typo is a usage error and nothing is touched.
  renderMigrations(options);
  const opened = await openConnection(options.dialect, connection, mustExist);
  try {
    return await work(
      { ...options, ...opened.handle, ...(trackingTable === undefined ? {} : { trackingTable }) },
      describeConnection(connection),
    );
  } finally {
    await opened.close().catch(() => undefined);
  }
}

async function runCommand(
  command: CommandName,
  values: Values,
  io: CliIo,
  positionals: readonly string[] = [],
): Promise<number> {
  if (command === 'inspect') {
    const { checkInspectFlags, openStore, runInspect } = await import('./session-commands.js');
    if (positionals.length > 1) throw new UsageError('inspect takes one key.');
    const flags = {
      key: positionals[0],
      limit: text(values, 'limit'),
      showKey: values['show-key'] === true,
      json: values['json'] === true,
    };
    checkInspectFlags(flags);
    return withDatabase(values, io, true, async (options) =>
      runInspect(await openStore(options), flags, io.stdout, io.stderr),
    );
  }
  if (command === 'print') {
    io.stdout(renderMigrations(renderOptions(values)));
    return 0;
  }
  if (command === 'demo') {
    const { runDemo } = await import('../demo/run-demo.js');
    const url = text(values, 'url') ?? io.env['VERSIONED_SESSIONS_DATABASE_URL'];
    const instances = count(values, 'instances');
    const phones = count(values, 'phones');
    const messagesPerPhone = count(values, 'messages');
    await runDemo({
      ...(url === undefined || url === '' ? {} : { url: parseConnectionUrl('postgres', url) }),
      ...(instances === undefined ? {} : { instances }),
      ...(phones === undefined ? {} : { phones }),
      ...(messagesPerPhone === undefined ? {} : { messagesPerPhone }),
      ...(values['keep'] === true ? { keep: true } : {}),
      write: io.stdout,
    });
    return 0;
  }
  if (command === 'expire') {
    const { checkExpireFlags, openStore, runExpire } = await import('./session-commands.js');
    const from = values['from-state'];
    const flags = {
      idle: text(values, 'idle'),
      state: text(values, 'state'),
      fromState: Array.isArray(from) ? from : undefined,
      limit: text(values, 'limit'),
    };
    checkExpireFlags(flags);
    return withDatabase(values, io, true, async (options) => {
      await runExpire(await openStore(options), flags, io.stdout);
      return 0;
    });
  }
  if (command === 'list') {
    const { checkListFlags, openStore, runList } = await import('./session-commands.js');
    const states = values['state'];
    const flags = {
      states: Array.isArray(states) ? states : undefined,
      updatedBefore: text(values, 'updated-before'),
      updatedAfter: text(values, 'updated-after'),
      limit: text(values, 'limit'),
      cursor: text(values, 'cursor'),
      showKey: values['show-key'] === true,
      json: values['json'] === true,
    };
    checkListFlags(flags);
    return withDatabase(values, io, true, async (options) => {
      await runList(await openStore(options), flags, io.stdout);
      return 0;
    });
  }
  if (command === 'prune') {
    const { checkPruneFlags, openStore, runPrune } = await import('./session-commands.js');
    const states = values['state'];
    const flags = {
      olderThan: text(values, 'older-than'),
      states: Array.isArray(states) ? states : undefined,
      batchSize: text(values, 'batch-size'),
    };
    checkPruneFlags(flags);
    return withDatabase(values, io, true, async (options) => {
      await runPrune(await openStore(options), flags, io.stdout);
      return 0;
    });
  }
  if (command === 'check') {
    return withDatabase(values, io, true, async (options, where) => {
      const { checkSessions } = await import('./check.js');
      const report = await checkSessions(options);
      io.stdout(`${options.dialect} ${where}, sessions table ${report.table}\n`);
      for (const row of report.unreadable)
        io.stdout(`unreadable  ${row.maskedKey}  column "${row.column}": ${row.reason}\n`);
      io.stdout(`${report.rowsChecked} rows checked, ${report.unreadable.length} unreadable.\n`);
      return report.unreadable.length === 0 ? 0 : 1;
    });
  }
  if (command === 'migrate') {
    return withDatabase(values, io, false, async (options, where) => {
      const report = await migrate(options);
      io.stdout(`${options.dialect} ${where}, tracking table ${report.trackingTable}\n`);
      for (const migration of report.applied) io.stdout(`applied  ${migration.id}\n`);
      for (const id of report.removed ?? []) io.stdout(`removed  ${id}\n`);
      io.stdout(
        report.applied.length === 0
          ? `Up to date: ${report.alreadyApplied.length} migrations already applied.\n`
          : `${report.applied.length} applied, ${report.alreadyApplied.length} already applied.\n`,
      );
      return 0;
    });
  }
  return withDatabase(values, io, true, async (options, where) => {
    const status = await migrationStatus(options);
    io.stdout(`${options.dialect} ${where}, tracking table ${status.trackingTable}\n`);
    const changed = new Set(status.changed.map((migration) => migration.id));
    const unknown = new Set(status.unknown.map((migration) => migration.id));
    for (const migration of status.applied) {
      const mark = changed.has(migration.id) ? 'changed' : unknown.has(migration.id) ? 'unknown' : 'applied';
      io.stdout(
        `${mark.padEnd(8)} ${migration.id}  ${migration.appliedAt?.toISOString() ?? ''}  sha256 ${migration.checksum.slice(0, 12)}\n`,
      );
    }
    for (const migration of status.pending) io.stdout(`pending  ${migration.id}\n`);
    io.stdout(`${status.applied.length} applied, ${status.pending.length} pending.\n`);
    if (changed.size + unknown.size === 0) return 0;
    io.stderr(
      'versioned-sessions: the recorded migrations do not match this version: ' +
        (changed.size > 0 ? `changed ${[...changed].join(', ')}; ` : '') +
        (unknown.size > 0 ? `unknown to this version ${[...unknown].join(', ')} (upgrade versioned-sessions); ` : '') +
        'run migrate for the full explanation.\n',
    );
    return 1;
  });
}

/**
 * Runs the CLI with `argv` (without `node` and the script) and returns the exit code.
 *
 * @internal
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-v') {
    io.stdout(`${packageVersion()}\n`);
    return 0;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    io.stdout(GENERAL_HELP);
    return 0;
  }
  if (first === undefined || !Object.hasOwn(COMMANDS, first)) {
    io.stderr(
      `${first === undefined ? 'versioned-sessions: a command is required.' : `versioned-sessions: unknown command "${first}".`}\n\n${GENERAL_HELP}`,
    );
    return 2;
  }
  const command = first as CommandName;
  const secrets = connectionSecrets([...rest, io.env['VERSIONED_SESSIONS_DATABASE_URL'] ?? ''].join(';'));
  const safe = (message: string): string => redact(message, secrets);
  try {
    const { values, positionals } = parseArgs({
      args: [...rest],
      options: COMMANDS[command].options,
      strict: true,
      allowPositionals: command === 'inspect',
    });
    if (values['help'] === true) {
      io.stdout(COMMANDS[command].help);
      return 0;
    }
    return await runCommand(
      command,
      values as Values,
      {
        ...io,
        stdout: (output) => io.stdout(command === 'print' ? output : safe(output)),
      },
      positionals,
    );
  } catch (error) {
    if (
      error instanceof UsageError ||
      error instanceof ConnectionUrlError ||
      error instanceof InvalidArgumentError ||
      (error as { code?: unknown }).code?.toString().startsWith('ERR_PARSE_ARGS')
    ) {
      io.stderr(
        safe(
          `versioned-sessions ${command}: ${describeError(error)}\nRun "versioned-sessions ${command} --help" for the options.\n`,
        ),
      );
      return 2;
    }
    if (isMigrationError(error)) {
      // 'failed' and 'insufficient-privilege' messages already quote the database's error.
      const quotesCause = error.reason === 'failed' || error.reason === 'insufficient-privilege';
      const cause = error.cause === undefined || quotesCause ? '' : ` (${describeError(error.cause)})`;
      const migration = error.migrationId === '' ? '' : `migration ${error.migrationId}: `;
      io.stderr(safe(`versioned-sessions ${command}: ${migration}${error.message}${cause}\n`));
      return 1;
    }
    const label = error instanceof ConnectionFailure || isVersionedSessionError(error) ? '' : 'failed: ';
    io.stderr(safe(`versioned-sessions ${command}: ${label}${describeError(error)}\n`));
    return 1;
  }
}
