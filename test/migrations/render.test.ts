import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { DEFAULT_NAMES, resolveNames } from '../../src/core/sql/table-names.js';
import { renderMigrations } from '../../src/migrations/index.js';
import { migrationScript, renderedMigrations, renderTemplates } from '../../src/migrations/render.js';
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

describe('shipped migrations', () => {
  // The checksums databases recorded when they applied these files. A shipped migration must keep
  // rendering to the same SQL, or migrate refuses every such database (checksum-mismatch); a
  // correction goes into a new numbered migration instead (SQL Server's 0004).
  const SHIPPED: Record<'mssql' | 'postgres' | 'sqlite', Record<string, string>> = {
    mssql: {
      '0001_create_sessions': 'ed88b21ea9840eec09e9a03bd1d0b251a973526f41ebd07a4630276fd0a808a8',
      '0002_adopt_existing_table': '9683f98b5d819c174ffa94fef3733b3eca3a25f94206f89b59c1ea0b513ef8cf',
      '0003_processed_operations': '77b49494162374b7dc6ce864320ed597433e94da670dbf845a2aa58cf8abb315',
    },
    postgres: {
      '0001_create_sessions': '2a93b29f3327cdab3f9334cc7dd76c16ca1aade0ea8372e7a2a32f4002049822',
      '0002_adopt_existing_table': 'fbf1834507db295448bdc778252ac02d5cbe9ea28ff2119684ce32dab068f458',
      '0003_processed_operations': 'd33110ee8bbc594f4dedeab3046370b299c3976243eab35150a151693e308a02',
    },
    sqlite: {
      '0001_create_sessions': '3babc5fcdebf566b0fa0496b9acf221f8c30c54313ebf6e80f3b9186770ac17a',
      '0002_adopt_existing_table': 'ac38ec048f22890a16e687740d7bd958db3fccd19e32d0d7f092a922043528fb',
      '0003_processed_operations': 'd72e64df3d31c33fa4edaf67e78a855c83973902a104cce68362ae7c74ba235f',
    },
  };

  it.each(['mssql', 'postgres', 'sqlite'] as const)(
    '%s: 0001–0003 render to the checksums databases recorded',
    (dialect) => {
      const rendered = Object.fromEntries(
        renderedMigrations(dialect, DEFAULT_NAMES[dialect]).map((migration) => [migration.id, migration.checksum]),
      );
      for (const [id, checksum] of Object.entries(SHIPPED[dialect])) expect(rendered[id], id).toBe(checksum);
    },
  );
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

  it('keeps migration ids aligned across dialects: a number means one migration in every dialect that has it', () => {
    const ids = (dialect: 'postgres' | 'sqlite' | 'mssql' | 'mysql'): string[] =>
      loadMigrationTemplates(dialect).map((migration) => migration.id);
    expect(ids('postgres')).toEqual([
      '0001_create_sessions',
      '0002_adopt_existing_table',
      '0003_processed_operations',
      '0005_session_history',
      '0006_session_listing_index',
      '0007_processed_by_session_key',
    ]);
    expect(ids('sqlite')).toEqual(ids('postgres'));
    expect(ids('mysql')).toEqual(ids('postgres'));
    if (existsSync(`${migrationsRoot()}/mssql`)) {
      // SQL Server alone needs 0004 (corrections of its own 0002 and 0003), in its place by number.
      expect(ids('mssql')).toEqual([
        ...ids('postgres').slice(0, 3),
        '0004_key_index_and_binary_ids',
        '0005_session_history',
        '0006_session_listing_index',
        '0007_processed_by_session_key',
      ]);
    }
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

  it('refuses an unknown guard', () => {
    expect(() => splitSqliteScript('-- versioned-sessions:skip-always t c\nSELECT 1;')).toThrow(/Unknown guard/);
  });

  it('keeps a trigger whose BEGIN … END body holds semicolons (and CASE … END) in one statement', () => {
    const script =
      'DROP TRIGGER IF EXISTS "x";\n' +
      'CREATE TRIGGER "x" AFTER UPDATE ON t WHEN NEW.v IS OLD.v BEGIN\n' +
      '  UPDATE t SET v = CASE WHEN v IS NULL THEN 1 ELSE v + 1 END WHERE k = OLD.k; -- end; here is a comment\n' +
      "  SELECT 'end;';\n" +
      'END;\n' +
      'CREATE TRIGGER y BEFORE UPDATE ON t FOR EACH ROW SET NEW.v = 1;\n' +
      'SELECT 1;';
    expect(splitSqliteScript(script).map((statement) => statement.sql.split('\n')[0])).toEqual([
      'DROP TRIGGER IF EXISTS "x";',
      'CREATE TRIGGER "x" AFTER UPDATE ON t WHEN NEW.v IS OLD.v BEGIN',
      'CREATE TRIGGER y BEFORE UPDATE ON t FOR EACH ROW SET NEW.v = 1;',
      'SELECT 1;',
    ]);
    expect(splitSqliteScript(script)[1]!.sql.endsWith('END;')).toBe(true);
  });
});
