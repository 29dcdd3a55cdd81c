/**
 * The packaged migrations rendered for one configuration: the SQL the runner applies, its checksum,
 * and the script `print` hands to psql, sqlcmd, mysql or the sqlite3 shell.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { invalidArgument } from '../core/validate.js';
import type { Dialect } from '../core/dialect.js';
import { MAX_IDENTIFIER_LENGTH, type ResolvedNames } from '../core/sql/table-names.js';
import { loadMigrationTemplates, renderTemplate, type MigrationTemplate } from './templates.js';
import { splitSqliteScript } from './sqlite-script.js';
import { stripSqlcmdCommands } from './tsql-batches.js';

/** One migration rendered for a configuration. */
export interface RenderedMigration {
  /** The file name without `.sql`, e.g. `0001_create_sessions`. */
  readonly id: string;
  /** The SQL as the runner applies it. */
  readonly sql: string;
  /** The sha256 (hex) of `sql`: recorded when applied, compared on every later run. */
  readonly checksum: string;
}

/** The SHA-256 of `text` in hex. */
export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * The dialect's migrations with every placeholder filled in. T-SQL files lose their `:setvar` default
 * lines: the values are already in the text, and a stale default would mislead whoever reads it.
 */
export function renderedMigrations(dialect: Dialect, names: ResolvedNames): RenderedMigration[] {
  return renderTemplates(dialect, loadMigrationTemplates(dialect), names);
}

/** {@link renderedMigrations} over the given templates. */
export function renderTemplates(
  dialect: Dialect,
  templates: readonly MigrationTemplate[],
  names: ResolvedNames,
): RenderedMigration[] {
  return templates.map((migration) => {
    let sql = renderTemplate(migration.template, names);
    if (dialect === 'mssql') {
      sql = stripSqlcmdCommands(sql).replace(/^\s*\n/, '');
      assertSqlServerNameLengths(migration.id, sql, names);
    }
    sql = `${sql.trimEnd()}\n`;
    return { id: migration.id, sql, checksum: sha256(sql) };
  });
}

/**
 * The T-SQL migrations name their constraints and indexes after the configured names
 * (`DF_<table>_<column>`, `IX_<table>_<key>_<version>`); SQL Server refuses a whole batch that holds an
 * identifier over 128 characters, so such a configuration is refused before anything runs.
 */
function assertSqlServerNameLengths(id: string, sql: string, names: ResolvedNames): void {
  const max = MAX_IDENTIFIER_LENGTH.mssql;
  for (const [, name] of sql.matchAll(/\[([A-Za-z0-9_]+)\]/g)) {
    if (name!.length <= max) continue;
    const option = name!.includes(names.processedTable) && !name!.includes(names.table) ? 'processedTable' : 'table';
    throw invalidArgument(
      option,
      `be short enough for migration ${id} to name its constraints and indexes in SQL Server's ${max} characters`,
      `a name that makes [${name!.slice(0, 40)}…] of ${name!.length} characters`,
      { hint: 'Those names are built from the table and column names, so shorten those.' },
    );
  }
}

/**
 * A SQLite or MySQL migration for the sqlite3 shell or the mysql client, which cannot evaluate guards:
 * guarded statements are commented out, so the script runs on a new database; they adopt an existing
 * table, where the runner applies them as needed.
 */
function withoutGuardedStatements(sql: string, tool: string): string {
  return splitSqliteScript(sql)
    .map((statement) => {
      if (statement.guards.length === 0) return statement.sql;
      const commented = statement.sql
        .split('\n')
        .map((line) => (line.trimStart().startsWith('--') ? line : `-- ${line}`))
        .join('\n');
      return `-- Guarded: \`versioned-sessions migrate\` runs this only when needed. To adopt an existing table in the ${tool}, uncomment it if its guard does not hold.\n${commented}`;
    })
    .join('\n\n');
}

/**
 * All migrations as one script for the dialect's own tool, each headed by its id and the checksum
 * the runner records for it.
 */
export function migrationScript(
  dialect: Dialect,
  migrations: readonly RenderedMigration[],
  names?: ResolvedNames,
): string {
  const parts = migrations.map((migration) => {
    const header = `-- ==== versioned-sessions migration ${migration.id} (sha256 ${migration.checksum}) ====\n`;
    if (dialect === 'sqlite') return `${header}${withoutGuardedStatements(migration.sql, 'sqlite3 shell')}\n`;
    if (dialect === 'mysql') return `${header}${withoutGuardedStatements(migration.sql, 'mysql client')}\n`;
    // Each file ends its own batch, so the next file never runs inside the previous one's batch.
    const trailer = dialect === 'mssql' && !/^[ \t]*go[ \t]*(?:--.*)?$/im.test(lastLine(migration.sql)) ? 'GO\n' : '';
    return header + migration.sql + trailer;
  });
  // MySQL migrations name their tables unqualified; the runner applies them in the configured database.
  const use = dialect === 'mysql' && names !== undefined && names.schema !== null ? `USE \`${names.schema}\`;\n\n` : '';
  return use + parts.join('\n');
}

function lastLine(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines[lines.length - 1] ?? '';
}
