import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { resolveNames } from '../../src/core/sql/table-names.js';
import { renderMigrations } from '../../src/migrations/index.js';
import { migrationScript, renderTemplates } from '../../src/migrations/render.js';
import { splitSqliteScript } from '../../src/migrations/sqlite-script.js';
import { loadMigrationTemplates, migrationsRoot } from '../../src/migrations/templates.js';
import { splitTsqlBatches } from '../../src/migrations/tsql-batches.js';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const FIXTURE = fileURLToPath(new URL('../fixtures/tsql', import.meta.url));
const CUSTOM = { schema: 'bot', table: 'SesionesChat', columns: { key: 'Telefono', version: 'Version' } };

describe('rendering T-SQL migrations (fixture in the packaged shape)', () => {
  const names = resolveNames('mssql', CUSTOM);
  const rendered = renderTemplates('mssql', loadMigrationTemplates('mssql', FIXTURE), names);

  it('fills in the placeholders, drops the :setvar lines, and checksums the result', () => {
    expect(rendered.map((migration) => migration.id)).toEqual(['0001_create_sessions', '0002_notes']);
    const first = rendered[0]!;
    expect(first.sql).not.toMatch(/^:setvar/m);
    expect(first.sql).not.toContain('$(');
    expect(first.sql).toContain("IF OBJECT_ID(N'[bot].[SesionesChat]', N'U') IS NULL");
    expect(first.sql).toContain('[Telefono] NVARCHAR(255) NOT NULL PRIMARY KEY');
    expect(first.checksum).toBe(sha256(first.sql));
    // The sqlcmd command inside the string literal is text: neither refused nor dropped.
    expect(rendered[1]!.sql).toContain(':r nothing.sql');
  });

  it('splits the rendered files into the batches sqlcmd would send', () => {
    const batches = rendered.map((migration) =>
      splitTsqlBatches(migration.sql).map((batch) => [batch.repeat, batch.text.trim().split('\n')[0]]),
    );
    expect(batches).toEqual([
      [
        [1, '-- Fixture: a T-SQL migration in the packaged shape (sqlcmd :setvar defaults, GO batches).'],
        [1, '/* A block comment that mentions'],
      ],
      [[2, '-- A string literal that spans lines and holds GO and a sqlcmd command on lines of their own.']],
    ]);
  });

  it('prints one script with a header per migration and every file ending its batch (pinned)', () => {
    const script = migrationScript('mssql', rendered);
    expect(script.match(/^-- ==== versioned-sessions migration (\S+) \(sha256 ([0-9a-f]{64})\) ====$/gm)).toHaveLength(
      2,
    );
    expect(script).toContain(`0001_create_sessions (sha256 ${rendered[0]!.checksum})`);
    expect(splitTsqlBatches(script)).toHaveLength(3);
    expect(sha256(script)).toBe('a0dbe3d417453361887c69df866c173884d27d39428681c17a2fc8fac90fbb6d');
  });
});

describe('renderMigrations', () => {
  it('renders PostgreSQL and SQLite with every placeholder filled and the configured names quoted', () => {
    const postgres = renderMigrations({ dialect: 'postgres', ...CUSTOM });
    expect(postgres).not.toContain('$(');
    expect(postgres).toContain('CREATE TABLE IF NOT EXISTS "bot"."SesionesChat" (\n  "Telefono" varchar(255)');
    const sqlite = renderMigrations({ dialect: 'sqlite', table: 'SesionesChat', columns: { key: 'Telefono' } });
    expect(sqlite).not.toContain('$(');
    expect(sqlite).toContain('-- versioned-sessions:skip-if-column-exists SesionesChat version');
  });

  it('keeps migration ids aligned across dialects', () => {
    const ids = (dialect: 'postgres' | 'sqlite' | 'mssql'): string[] =>
      loadMigrationTemplates(dialect).map((migration) => migration.id);
    expect(ids('postgres')).toEqual([
      '0001_create_sessions',
      '0002_adopt_existing_table',
      '0003_processed_operations',
      '0005_session_history',
    ]);
    expect(ids('sqlite')).toEqual(ids('postgres'));
    if (existsSync(`${migrationsRoot()}/mssql`)) expect(ids('mssql')).toEqual(ids('postgres'));
  });

  it('refuses an unknown dialect and a name that is not a plain identifier', () => {
    expect(() => renderMigrations({ dialect: 'oracle' as never })).toThrow(InvalidArgumentError);
    const error = (() => {
      try {
        renderMigrations({ dialect: 'postgres', table: 'sessions"; DROP TABLE x; --' });
      } catch (caught) {
        return caught as InvalidArgumentError;
      }
      return undefined;
    })();
    expect(error?.argument).toBe('table');
    expect(() => renderMigrations({ dialect: 'sqlite', schema: 'main' })).toThrow(/SQLite stores take no schema/);
  });
});

describe('SQLite statements and guards', () => {
  it('splits at semicolons outside strings, identifiers and comments, keeping the guards above each statement', () => {
    const script = [
      "INSERT INTO t VALUES ('a;b'); -- trailing; comment",
      '-- versioned-sessions:skip-if-column-exists t version',
      'ALTER TABLE "t" ADD COLUMN "ver;sion" INTEGER;',
      '/* block; comment */',
      '-- versioned-sessions:skip-if-unique t key',
      'CREATE UNIQUE INDEX IF NOT EXISTS ux ON t (key)',
    ].join('\n');
    const statements = splitSqliteScript(script);
    expect(statements.map((statement) => statement.guards)).toEqual([
      [],
      [{ kind: 'skip-if-column-exists', table: 't', column: 'version' }],
      [{ kind: 'skip-if-unique', table: 't', column: 'key' }],
    ]);
    expect(statements[0]!.sql).toBe("INSERT INTO t VALUES ('a;b');");
    expect(statements[1]!.sql.endsWith('ALTER TABLE "t" ADD COLUMN "ver;sion" INTEGER;')).toBe(true);
  });

  it('refuses an unknown guard and a trigger', () => {
    expect(() => splitSqliteScript('-- versioned-sessions:skip-always t c\nSELECT 1;')).toThrow(/Unknown guard/);
    expect(() => splitSqliteScript('CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; END;')).toThrow(
      /CREATE TRIGGER/,
    );
  });
});
