/**
 * Every T-SQL text the SQL Server store and the migration runner can send, gathered for the tests that
 * pin them (snapshots) and parse them (the T-SQL grammar test).
 */
import { DEFAULT_NAMES, resolveNames } from '../../../src/core/sql/table-names.js';
import type { TableOptions } from '../../../src/core/sql/table-names.js';
import { migrate, migrationStatus, renderMigrations } from '../../../src/migrations/index.js';
import type { MssqlMigrationPool, MssqlMigrationRequest } from '../../../src/migrations/mssql-migrations.js';
import { loadMigrationTemplates, loadOptionalTemplate } from '../../../src/migrations/templates.js';
import { splitTsqlBatches } from '../../../src/migrations/tsql-batches.js';
import { mssqlKeyColumnTypes, mssqlStatements, type MssqlStatement } from '../../../src/mssql/mssql-statements.js';
import { REPRESENTATIVE_KEY, representativeStatements } from '../../support/representative-statements.js';

export const KEY = REPRESENTATIVE_KEY;
/** An existing `bot.SesionesChat` keyed by `Telefono`, as adopted by 0002. */
export const ADOPTED: TableOptions = {
  table: 'SesionesChat',
  columns: { key: 'Telefono', state: 'Estado', data: 'DatosTemp' },
};
export const ADOPTED_IN_BOT: TableOptions = { schema: 'bot', ...ADOPTED };

/** Every statement the store can send, with representative values, and the catalog read before the first keyed one. */
export function everyStatement(options: TableOptions, key = KEY): [string, MssqlStatement][] {
  const names = resolveNames('mssql', options);
  return [
    ...representativeStatements(mssqlStatements(names), key),
    ['keyColumnTypes (the catalog read before the first keyed statement)', mssqlKeyColumnTypes(names)],
  ];
}

/** What sqlcmd does with a file: collect `:setvar` definitions, then substitute `$(Name)` (names are case-insensitive). */
export function runAsSqlcmd(script: string): string {
  const variables = new Map<string, string>();
  const body = script.replace(/^:setvar[ \t]+(\S+)[ \t]+(\S+)[ \t]*\r?\n/gim, (_line, name: string, value: string) => {
    variables.set(name.toLowerCase(), value);
    return '';
  });
  return body.replace(/\$\(([^)]+)\)/g, (_placeholder, name: string) => {
    const value = variables.get(name.toLowerCase());
    if (value === undefined) throw new Error(`'${name}' scripting variable not defined.`);
    return value;
  });
}

/** The `GO` batches of every packaged T-SQL migration as `sqlcmd -i` runs the file (its `:setvar` defaults). */
export function sqlcmdBatches(): [string, string][] {
  const optional = [
    loadOptionalTemplate('mssql', 'guard_legacy_writes'),
    loadOptionalTemplate('mssql', 'remove_legacy_guard'),
  ];
  return [...loadMigrationTemplates('mssql'), ...optional].flatMap((template) =>
    splitTsqlBatches(runAsSqlcmd(template.template)).map((batch): [string, string] => [
      `${template.id} line ${batch.line} (sqlcmd -i)`,
      batch.text,
    ]),
  );
}

/** The `GO` batches of `versioned-sessions print --dialect mssql` for the given names. */
export function printedBatches(label: string, options: TableOptions): [string, string][] {
  const variants: [string, string][] = [
    ['', renderMigrations({ dialect: 'mssql', ...options })],
    [' --guard-legacy-writes', renderMigrations({ dialect: 'mssql', ...options, guardLegacyWrites: true })],
    [' --remove-legacy-guard', renderMigrations({ dialect: 'mssql', ...options, removeLegacyGuard: true })],
  ];
  return variants.flatMap(([flag, script]) =>
    splitTsqlBatches(script).map((batch): [string, string] => [`print ${label}${flag} line ${batch.line}`, batch.text]),
  );
}

/** What a {@link recordingMigrationPool} saw. */
export interface RecordingMigrationPool {
  readonly pool: MssqlMigrationPool;
  /** Every text the runner sent, in order. */
  readonly sent: string[];
  /** The same texts with `begin` / `commit` / `rollback` and the transactions' overrides in between. */
  readonly events: string[];
}

/** How a {@link recordingMigrationPool} departs from an empty database. */
export interface MigrationPoolScript {
  /** The error the server raises for a text, if any. */
  readonly fail?: (text: string) => Error | undefined;
  /** The rows a query returns instead of the empty database's, if any. */
  readonly answer?: (text: string) => Record<string, unknown>[] | undefined;
}

/**
 * A stand-in `mssql.ConnectionPool` that answers the migration runner the way an empty database would
 * (or as `script` says) and keeps the tracking rows it is given, recording every text the runner sends.
 */
export function recordingMigrationPool(script: MigrationPoolScript = {}): RecordingMigrationPool {
  const fail = script.fail ?? (() => undefined);
  const sent: string[] = [];
  const events: string[] = [];
  const tracked: { id: unknown; checksum: unknown }[] = [];
  const send = (text: string): Error | undefined => {
    sent.push(text);
    events.push(text);
    return fail(text);
  };
  const request = (): MssqlMigrationRequest => {
    const inputs = new Map<string, unknown>();
    const self: MssqlMigrationRequest = {
      input(name, value) {
        inputs.set(name, value);
        return self;
      },
      query(command) {
        const error = send(command);
        if (error !== undefined) return Promise.reject(error);
        const answer = script.answer?.(command);
        if (answer !== undefined) return Promise.resolve({ recordset: answer });
        if (command.includes('OBJECT_ID(@table'))
          return Promise.resolve({ recordset: [{ id: tracked.length > 0 ? 1 : null }] });
        if (/^\s*INSERT INTO/.test(command)) tracked.push({ id: inputs.get('id'), checksum: inputs.get('checksum') });
        if (/^\s*SELECT Id AS id/.test(command)) {
          return Promise.resolve({
            recordset: tracked.map((row) => ({ id: row.id, checksum: row.checksum, applied_at: new Date(0) })),
          });
        }
        return Promise.resolve({ recordset: [] });
      },
      batch(text) {
        const error = send(text);
        return error === undefined ? Promise.resolve({}) : Promise.reject(error);
      },
    };
    return self;
  };
  const step = (name: string) => () => {
    events.push(name);
    return Promise.resolve();
  };
  const transaction = (overrides?: { requestTimeout?: number }) => {
    events.push(`transaction ${JSON.stringify(overrides ?? {})}`);
    return { begin: step('begin'), commit: step('commit'), rollback: step('rollback'), request };
  };
  return { pool: { connected: true, request, transaction }, sent, events };
}

/** Every text the migration runner sends: a first migrate, a second (nothing pending) and a status read. */
export async function runnerTexts(label: string, options: TableOptions): Promise<[string, string][]> {
  const { pool, sent } = recordingMigrationPool();
  await migrate({ dialect: 'mssql', pool, ...options });
  await migrate({ dialect: 'mssql', pool, ...options });
  await migrationStatus({ dialect: 'mssql', pool, ...options });
  await migrate({ dialect: 'mssql', pool, ...options, guardLegacyWrites: true });
  await migrate({ dialect: 'mssql', pool, ...options, removeLegacyGuard: true });
  return sent.map((text, index): [string, string] => [`runner ${label} #${index + 1}`, text]);
}

export const NAME_SETS: [string, TableOptions][] = [
  ['default names', {}],
  ['bot.SesionesChat', ADOPTED_IN_BOT],
];

export { DEFAULT_NAMES };
