/**
 * The CLI's commands, their options (for `node:util` `parseArgs`) and their help texts.
 *
 * @module
 */
import { DIALECTS } from '../core/dialect.js';
import { COLUMN_FLAGS } from '../core/sql/table-names.js';

const DIALECT_CHOICES = DIALECTS.join('|');

/**
 * Options in the shape `node:util` `parseArgs` takes. Declared here rather than taken from
 * `ParseArgsConfig`, whose option type the declaration build cannot name.
 */
type Options = Readonly<
  Record<string, { readonly type: 'string' | 'boolean'; readonly short?: string; readonly multiple?: boolean }>
>;

/** The flags naming the tables and columns, the same as `migrateCommand()` writes. */
export const NAME_OPTIONS: Options = Object.fromEntries(
  ['schema', 'table', ...Object.values(COLUMN_FLAGS), 'processed-table', 'history-table'].map((flag) => [
    flag,
    { type: 'string' },
  ]),
);

const HELP = { help: { type: 'boolean', short: 'h' } } as const satisfies Options;

const NAMES_HELP = `
Names (defaults: the dialect's conventions; use the names your store is configured with):
  --schema <name>              schema (postgres: public, mssql: dbo; mysql: the database,
                               by default the one in the URL; not for sqlite)
  --table <name>               sessions table (sessions / Sessions)
  --key-column <name>          key column (key / SessionKey)
  --state-column <name>        state column (state / State)
  --data-column <name>         data column (data / Data)
  --version-column <name>      version column (version / Version)
  --created-at-column <name>   creation time column (created_at / CreatedAt)
  --updated-at-column <name>   last activity column (updated_at / UpdatedAt)
  --processed-table <name>     processed-operations table (processed_operations / ProcessedOperations)
  --history-table <name>       transition history table (session_history / SessionHistory)`;

const CONNECTION_HELP = `
Connection:
  --dialect <${DIALECT_CHOICES}>   the database (required)
  --url <connection>                  postgres://user@host:5432/db (or postgresql://),
                                      mssql://user:password@host:1433/db (or sqlserver://, or an ADO
                                      connection string), mysql://user:password@host:3306/db (MySQL or
                                      MariaDB), or for sqlite a file path, file:sessions.db,
                                      file:///abs/sessions.db or sqlite:///abs/sessions.db.
                                      Defaults to $VERSIONED_SESSIONS_DATABASE_URL. Never echoed.
  --tracking-table <name>             the table recording applied migrations
                                      (versioned_sessions_migrations / VersionedSessionsMigrations)`;

/** One command: its options and its help. */
export interface CommandSpec {
  readonly options: Options;
  readonly help: string;
}

/** The options of the commands that connect to a database (migrate, status). */
const CONNECTED_OPTIONS: Options = {
  ...HELP,
  ...NAME_OPTIONS,
  dialect: { type: 'string' },
  url: { type: 'string' },
  'tracking-table': { type: 'string' },
};

/** The optional legacy-writer guard, for migrate and print. */
const GUARD_OPTIONS: Options = {
  'guard-legacy-writes': { type: 'boolean' },
  'remove-legacy-guard': { type: 'boolean' },
};

const GUARD_HELP = `
Legacy writers (optional, see docs/adopting-an-existing-table.md):
  --guard-legacy-writes        also apply guard_legacy_writes: a trigger that bumps the version on any
                               UPDATE that changed state or data without it, so versioned writers see
                               code that writes the table without the library as a conflict
  --remove-legacy-guard        remove that trigger (and its record) once no such code is left`;

export const COMMANDS = {
  migrate: {
    options: { ...CONNECTED_OPTIONS, ...GUARD_OPTIONS },
    help: `Usage: versioned-sessions migrate --dialect <${DIALECT_CHOICES}> --url <connection> [names]

Applies the pending packaged migrations, each in its own transaction under a migration lock, and
records them in the tracking table. Running it again is a no-op.
${CONNECTION_HELP}
${NAMES_HELP}
${GUARD_HELP}

Exit codes: 0 applied or up to date; 1 the database failed (the message names the migration);
2 usage error.
`,
  },
  status: {
    options: CONNECTED_OPTIONS,
    help: `Usage: versioned-sessions status --dialect <${DIALECT_CHOICES}> --url <connection> [names]

Lists the applied and the pending migrations. Changes nothing.
${CONNECTION_HELP}
${NAMES_HELP}

Exit codes: 0 listed; 1 the database failed, or a recorded migration was changed or is unknown to this
version; 2 usage error.
`,
  },
  print: {
    options: { ...HELP, ...NAME_OPTIONS, ...GUARD_OPTIONS, dialect: { type: 'string' } },
    help: `Usage: versioned-sessions print --dialect <${DIALECT_CHOICES}> [names]

Writes the migrations rendered for these names to stdout, for a DBA to review and apply:
  versioned-sessions print --dialect mssql > sessions.sql && sqlcmd -i sessions.sql
  versioned-sessions print --dialect postgres | psql "$DATABASE_URL" -v ON_ERROR_STOP=1
  versioned-sessions print --dialect mysql | mysql --user=bot --password bot
Every file is idempotent; a later "migrate" records them without changing anything.

  --dialect <${DIALECT_CHOICES}>   the database (required)
${NAMES_HELP}
${GUARD_HELP}
                               (print: only the removal script)

Exit codes: 0 printed; 2 usage error.
`,
  },
  expire: {
    options: {
      ...HELP,
      ...NAME_OPTIONS,
      dialect: { type: 'string' },
      url: { type: 'string' },
      idle: { type: 'string' },
      state: { type: 'string' },
      'from-state': { type: 'string', multiple: true },
      limit: { type: 'string' },
    },
    help: `Usage: versioned-sessions expire --dialect <${DIALECT_CHOICES}> --url <connection> --idle <duration> --state <state> [names]

Closes the sessions idle for longer than --idle: each gets --state, written conditionally on the
version the sweep read, so a message that arrives meanwhile wins and that session is skipped.
Run it from a scheduler (cron, an Azure Functions timer) or by hand.

  --idle <duration>        how long without a write or touch: 45s, 30m, 12h, 7d (required)
  --state <state>          the state an expired session gets, e.g. CANCELADA (required)
  --from-state <state>     only sessions in this state; repeat for several (default: any state)
  --limit <n>              the most sessions this run writes or skips (default 1000)
${CONNECTION_HELP}
${NAMES_HELP}

Exit codes: 0 swept (the counts are printed); 1 the database failed; 2 usage error.
`,
  },
  inspect: {
    options: {
      ...HELP,
      ...NAME_OPTIONS,
      dialect: { type: 'string' },
      url: { type: 'string' },
      limit: { type: 'string' },
      'show-key': { type: 'boolean' },
      json: { type: 'boolean' },
    },
    help: `Usage: versioned-sessions inspect <key> --dialect <${DIALECT_CHOICES}> --url <connection> [--limit 10] [--show-key] [--json] [names]

Prints one session (state, version, times, data) and its last recorded transitions: version, time,
previous and new state, origin and reason. The key is masked unless --show-key. Changes nothing.

  --limit <n>      how many transitions, newest first (default 10, at most 999)
  --show-key       print the key as stored instead of masked
  --json           one JSON document instead of text
${CONNECTION_HELP}
${NAMES_HELP}

Exit codes: 0 printed; 1 no such session, or the database failed; 2 usage error.
`,
  },
  list: {
    options: {
      ...HELP,
      ...NAME_OPTIONS,
      dialect: { type: 'string' },
      url: { type: 'string' },
      state: { type: 'string', multiple: true },
      'updated-before': { type: 'string' },
      'updated-after': { type: 'string' },
      limit: { type: 'string' },
      cursor: { type: 'string' },
      'show-key': { type: 'boolean' },
      json: { type: 'boolean' },
    },
    help: `Usage: versioned-sessions list --dialect <${DIALECT_CHOICES}> --url <connection> [--state <s>] [--limit 50] [--show-key] [--json] [names]

Prints one page of sessions, oldest last activity first (then by key): key, state, version, last
activity. Keys are masked unless --show-key. Changes nothing.

  --state <state>           only sessions in this state; repeat for several (default: any state)
  --updated-before <time>   only sessions last active before this ISO 8601 time (exclusive)
  --updated-after <time>    only sessions last active at or after this ISO 8601 time (inclusive)
  --limit <n>               sessions on the page, 1 to 1000 (default 50)
  --cursor <cursor>         the next page: the cursor the previous page printed, with the same filters
  --show-key                print keys as stored, and the next page's cursor (it carries the last key)
  --json                    one JSON document instead of text
${CONNECTION_HELP}
${NAMES_HELP}

Exit codes: 0 printed; 1 the database failed; 2 usage error (a bad or foreign --cursor too).
`,
  },
  prune: {
    options: {
      ...HELP,
      ...NAME_OPTIONS,
      dialect: { type: 'string' },
      url: { type: 'string' },
      'older-than': { type: 'string' },
      state: { type: 'string', multiple: true },
      'batch-size': { type: 'string' },
    },
    help: `Usage: versioned-sessions prune --dialect <${DIALECT_CHOICES}> --url <connection> --older-than <duration> [--state <s>] [names]

Deletes the sessions last written or touched longer ago than --older-than, in batches: each batch is
one short statement of its own, so live chats go on being written in between. Run it from a
scheduler or by hand. History rows and processed ids are aged out by their own prunes.

  --older-than <duration>   how long without a write or touch: 12h, 30d, 90d (required)
  --state <state>           only sessions in this state; repeat for several (default: any state)
  --batch-size <n>          the most sessions one statement deletes, 1 to 10000 (default 1000)
${CONNECTION_HELP}
${NAMES_HELP}

Exit codes: 0 pruned (the count is printed); 1 the database failed; 2 usage error.
`,
  },
  check: {
    options: { ...HELP, ...NAME_OPTIONS, dialect: { type: 'string' }, url: { type: 'string' } },
    help: `Usage: versioned-sessions check --dialect <${DIALECT_CHOICES}> --url <connection> [names]

Checks the sessions table as the store sees it: the table and every column it needs exist, and every
row's data can be read as a JSON object. Lists the rows that cannot (text that is not JSON, JSON that
is not an object) by masked key, so they can be corrected, or read with the repository's decodeData,
before a bot meets them. Changes nothing.
${CONNECTION_HELP}
${NAMES_HELP}

Exit codes: 0 every row readable; 1 a migration is missing, a row cannot be read, or the database
failed; 2 usage error.
`,
  },
  demo: {
    options: {
      ...HELP,
      url: { type: 'string' },
      instances: { type: 'string' },
      phones: { type: 'string' },
      messages: { type: 'string' },
      keep: { type: 'boolean' },
    },
    help: `Usage: versioned-sessions demo [--url postgres://…] [--instances 4] [--phones 3] [--messages 40] [--keep]

Child processes act as function instances and receive a burst of messages for a few phone numbers,
first through a naive read-then-write handler, then through withSessionRetry; the tables show what
each lost. Runs on a temporary SQLite file unless --url (or $VERSIONED_SESSIONS_DATABASE_URL) names
a PostgreSQL database. --keep keeps the SQLite file and prints its path.

Exit codes: 0 done; 1 the demo failed; 2 usage error.
`,
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

export const GENERAL_HELP = `Usage: versioned-sessions <command> [options]

Commands:
  migrate   apply the packaged migrations to a database
  status    list applied and pending migrations
  print     write the rendered migrations to stdout (for psql, sqlcmd, mysql or sqlite3)
  expire    close the sessions idle for longer than a duration (a timeout sweep)
  inspect   print a session and its last transitions (key masked unless --show-key)
  list      print a page of sessions, oldest last activity first (keys masked unless --show-key)
  prune     delete the sessions idle for longer than a duration, in batches
  check     check the table and list the rows whose data cannot be read
  demo      show lost updates without versioning, and none with it

Options:
  -h, --help      help for versioned-sessions, or for a command: versioned-sessions migrate --help
  -v, --version   the installed version

The connection comes from --url or $VERSIONED_SESSIONS_DATABASE_URL.
Exit codes: 0 ok, 1 runtime failure, 2 usage error.
`;
