/**
 * The optional guard_legacy_writes migration on SQL Server, where no server runs here: its T-SQL
 * pinned as reviewed (the grammar test parses it with the other migrations), its sqlcmd variables, and
 * the runner's install and removal texts. The store's statements all write through OUTPUT … INTO (see
 * statements.test.ts), which a table with an enabled trigger requires.
 */
import { describe, expect, it } from 'vitest';
import { resolveNames } from '../../src/core/sql/table-names.js';
import { migrate } from '../../src/migrations/index.js';
import { renderTemplates } from '../../src/migrations/render.js';
import { loadOptionalTemplate } from '../../src/migrations/templates.js';
import { mssqlStatements } from '../../src/mssql/mssql-statements.js';
import { ADOPTED_IN_BOT, everyStatement, recordingMigrationPool } from './support/tsql-texts.js';

const templates = [
  loadOptionalTemplate('mssql', 'guard_legacy_writes'),
  loadOptionalTemplate('mssql', 'remove_legacy_guard'),
];

describe('SQL Server legacy-writer guard', () => {
  it.each(templates.map((t) => [t.id, t.template] as const))(
    '%s defines, with :setvar, exactly the variables it uses, set to the store defaults',
    (_id, template) => {
      const defined = new Map([...template.matchAll(/^:setvar (\w+) (\w+)$/gm)].map((m) => [m[1]!, m[2]!]));
      const used = new Set([...template.matchAll(/\$\((\w+)\)/g)].map((m) => m[1]!));
      expect([...defined.keys()].sort()).toEqual([...used].sort());
      const names = resolveNames('mssql', {});
      const defaults: Record<string, string> = {
        Schema: names.schema!,
        SessionsTable: names.table,
        KeyColumn: names.columns.key,
        StateColumn: names.columns.state,
        DataColumn: names.columns.data,
        VersionColumn: names.columns.version,
      };
      for (const [name, value] of defined) expect(value, name).toBe(defaults[name]);
    },
  );

  it('renders the trigger and its removal as reviewed, for the default names and bot.SesionesChat', async () => {
    const rendered = [{}, ADOPTED_IN_BOT]
      .flatMap((options) => renderTemplates('mssql', templates, resolveNames('mssql', options)))
      .map((migration) => `-- ==== ${migration.id} ====\n${migration.sql}`)
      .join('\n');
    await expect(rendered).toMatchFileSnapshot('./__snapshots__/legacy-guard.sql');
    // The trigger skips rows whose version the statement changed (every write of the library) and rows
    // whose state and data are unchanged (touchSession); its own UPDATE has no OUTPUT at all.
    expect(rendered).toContain('WHERE EXISTS (SELECT i.[Version] INTERSECT SELECT d.[Version])');
    expect(rendered).toContain(
      'AND EXISTS (SELECT i.[Estado], i.[DatosTemp] EXCEPT SELECT d.[Estado], d.[DatosTemp]);',
    );
    expect(rendered.replace(/--[^\n]*/g, '')).not.toMatch(/\bOUTPUT\b/);
  });

  it('touchSession sets the last-activity time only, so the trigger leaves its version alone', () => {
    const touch = mssqlStatements(resolveNames('mssql', ADOPTED_IN_BOT)).touch('+5215512345678').text;
    expect(touch).toMatch(
      /UPDATE \[bot\]\.\[SesionesChat\] SET \[UpdatedAt\] = [^;]* OUTPUT inserted\.\[Telefono\] INTO @written/,
    );
    expect(touch).not.toMatch(/\[Estado\]|\[DatosTemp\]|\[Version\]/);
  });

  it('every statement of the store that writes the sessions table sets the version or only the last-activity time', () => {
    for (const [name, statement] of everyStatement(ADOPTED_IN_BOT)) {
      const update = /UPDATE \[bot\]\.\[SesionesChat\] SET ([^;]*?)(?:\nOUTPUT| OUTPUT| WHERE)/.exec(statement.text);
      if (update === null) continue;
      expect(/\[Version\] = /.test(update[1]!) || /^\[UpdatedAt\] = [^,]*$/.test(update[1]!), name).toBe(true);
    }
  });

  it('the runner applies the guard only when asked, and removes it with its record in one locked transaction', async () => {
    const { pool, sent, events } = recordingMigrationPool();
    const plain = await migrate({ dialect: 'mssql', pool });
    expect(plain.applied.map((migration) => migration.id)).not.toContain('guard_legacy_writes');
    expect(sent.some((text) => text.includes('TR_Sessions_vs_guard'))).toBe(false);
    const guarded = await migrate({ dialect: 'mssql', pool, guardLegacyWrites: true });
    expect(guarded.applied.map((migration) => migration.id)).toEqual(['guard_legacy_writes']);
    expect(sent.filter((text) => text.includes('CREATE OR ALTER TRIGGER [dbo].[TR_Sessions_vs_guard]'))).toHaveLength(
      1,
    );
    events.length = 0;
    const removed = await migrate({ dialect: 'mssql', pool, removeLegacyGuard: true });
    expect(removed.removed).toEqual(['guard_legacy_writes']);
    const drop = events.findIndex((text) => text.includes('DROP TRIGGER [dbo].[TR_Sessions_vs_guard]'));
    const forget = events.indexOf('DELETE FROM [dbo].[VersionedSessionsMigrations] WHERE Id = @id;');
    expect(drop).toBeGreaterThan(events.lastIndexOf('begin'));
    expect(forget).toBeGreaterThan(drop);
    expect(events.indexOf('commit', forget)).toBeGreaterThan(forget);
  });
});
