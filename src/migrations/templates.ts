/**
 * The packaged SQL migrations: finding them inside the installed package and filling in their
 * `$(Name)` placeholders with validated names.
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dialect } from '../core/dialect.js';
import { VersionedSessionError } from '../core/errors.js';
import type { ResolvedNames } from '../core/sql/table-names.js';

/** One packaged migration file, unrendered. */
export interface MigrationTemplate {
  /** The file name without `.sql`, e.g. `0001_create_sessions`. */
  readonly id: string;
  readonly dialect: Dialect;
  /** The file's text with its `$(Name)` placeholders. */
  readonly template: string;
}

/**
 * The package's root folder (the one holding its package.json and `migrations/`), found upward from
 * this module: its source file, its built file in `dist/`, or a bundle of it.
 */
export function packageRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 5; depth++) {
    if (existsSync(join(directory, 'migrations', 'postgres')) && existsSync(join(directory, 'package.json')))
      return directory;
    directory = dirname(directory);
  }
  throw new VersionedSessionError(
    'The packaged migrations/ folder was not found next to versioned-sessions; reinstall the package.',
  );
}

/** The package's `migrations/` folder. */
export function migrationsRoot(): string {
  return join(packageRoot(), 'migrations');
}

/** The installed package's version, from its package.json. */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
  return String(manifest.version);
}

/** The dialect's migration files in id order. */
export function loadMigrationTemplates(
  dialect: Dialect,
  folder = join(migrationsRoot(), dialect),
): MigrationTemplate[] {
  return readdirSync(folder)
    .filter((name) => /^\d{4}_[a-z0-9_]+\.sql$/.test(name))
    .sort()
    .map((name) => ({
      id: name.slice(0, -'.sql'.length),
      dialect,
      template: readFileSync(join(folder, name), 'utf8'),
    }));
}

/**
 * The optional migrations, applied only when asked: `guard_legacy_writes` (a trigger that makes an
 * update from code outside the library bump the version) and the script that removes it. They live in
 * `migrations/<dialect>/optional/`, out of reach of {@link loadMigrationTemplates}.
 */
export type OptionalMigration = 'guard_legacy_writes' | 'remove_legacy_guard';

/** One optional migration of the dialect; its id is its file name. */
export function loadOptionalTemplate(
  dialect: Dialect,
  name: OptionalMigration,
  folder = join(migrationsRoot(), dialect, 'optional'),
): MigrationTemplate {
  return { id: name, dialect, template: readFileSync(join(folder, `${name}.sql`), 'utf8') };
}

/** The value of every placeholder for a store's names. */
export function templateVariables(names: ResolvedNames): Record<string, string> {
  const c = names.columns;
  return {
    ...(names.schema === null ? {} : { Schema: names.schema }),
    SessionsTable: names.table,
    ProcessedTable: names.processedTable,
    HistoryTable: names.historyTable,
    KeyColumn: c.key,
    StateColumn: c.state,
    DataColumn: c.data,
    VersionColumn: c.version,
    CreatedAtColumn: c.createdAt,
    UpdatedAtColumn: c.updatedAt,
  };
}

// sqlcmd's `:setvar Name value` lines give a T-SQL file its default names when it runs as-is. They are
// not T-SQL (SSMS outside SQLCMD mode and the driver reject them) and a `:setvar` overrides
// `sqlcmd -v`, so rendered output, which carries the configured names in place, leaves them out.
const SQLCMD_SETVAR_LINE = /^:setvar[ \t][^\r\n]*(?:\r?\n|$)/gim;

/**
 * Fills every `$(Name)` placeholder and drops sqlcmd `:setvar` lines, so the output runs as it is.
 * The names were validated as plain identifiers, so they cannot break out of the quotes the template
 * puts around them.
 */
export function renderTemplate(template: string, names: ResolvedNames): string {
  const variables = templateVariables(names);
  return template.replace(SQLCMD_SETVAR_LINE, '').replace(/\$\(([A-Za-z]+)\)/g, (placeholder, name: string) => {
    const value = variables[name];
    if (value === undefined) throw new Error(`Unknown placeholder ${placeholder} in a packaged migration.`);
    return value;
  });
}
