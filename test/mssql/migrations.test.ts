/**
 * Pins the T-SQL migrations: each file runs under `sqlcmd -i` as it is (its `:setvar` lines define
 * every variable it uses, with the store's default names), renders to runnable T-SQL for configured
 * names, and guards every change with a catalog check so running it again changes nothing.
 */
import sql from 'mssql';
import { describe, expect, it } from 'vitest';
import { DEFAULT_NAMES, resolveNames } from '../../src/core/sql/table-names.js';
import { isMigrationError, migrate } from '../../src/migrations/index.js';
import { MSSQL_MIGRATION_LOCK_TIMEOUT_MS } from '../../src/migrations/mssql-migrations.js';
import { loadMigrationTemplates, renderTemplate, templateVariables } from '../../src/migrations/templates.js';
import { splitBatches } from '../conformance/targets/mssql.js';
import { recordingMigrationPool, runAsSqlcmd } from './support/tsql-texts.js';

const templates = loadMigrationTemplates('mssql');
const ADOPTED = resolveNames('mssql', {
  table: 'SesionesChat',
  columns: { key: 'Telefono', state: 'Estado', data: 'DatosTemp', version: 'Version' },
});

describe('SQL Server migrations', () => {
  it('are the three expected files, in order', () => {
    expect(templates.map((t) => t.id)).toEqual([
      '0001_create_sessions',
      '0002_adopt_existing_table',
      '0003_processed_operations',
    ]);
  });

  it.each(templates.map((t) => [t.id, t.template] as const))(
    '%s defines, with :setvar, exactly the variables it uses, set to the store defaults',
    (_id, template) => {
      const used = new Set([...template.matchAll(/\$\(([A-Za-z]+)\)/g)].map((m) => m[1]!));
      const defined = new Map(
        [...template.matchAll(/^:setvar[ \t]+(\S+)[ \t]+(\S+)[ \t]*$/gm)].map((m) => [m[1]!, m[2]!]),
      );
      expect([...defined.keys()].sort()).toEqual([...used].sort());
      const defaults = templateVariables(DEFAULT_NAMES.mssql);
      for (const [name, value] of defined) expect(value).toBe(defaults[name]);
    },
  );

  it.each(templates.map((t) => [t.id, t.template] as const))(
    '%s run as-is by sqlcmd is the same T-SQL the renderer gives for the defaults',
    (_id, template) => {
      expect(runAsSqlcmd(template)).toBe(renderTemplate(template, DEFAULT_NAMES.mssql));
    },
  );

  it.each(templates.map((t) => [t.id, t.template] as const))(
    '%s renders with no sqlcmd command or placeholder left',
    (_id, template) => {
      for (const names of [DEFAULT_NAMES.mssql, ADOPTED]) {
        const rendered = renderTemplate(template, names);
        expect(rendered).not.toMatch(/^:/m);
        expect(rendered).not.toContain('$(');
        expect(rendered.trimEnd().endsWith('\nGO')).toBe(true);
      }
    },
  );

  it.each(templates.map((t) => [t.id, t.template] as const))(
    '%s guards every change with a catalog check (idempotent by construction)',
    (_id, template) => {
      const batches = splitBatches(renderTemplate(template, DEFAULT_NAMES.mssql));
      expect(batches.length).toBeGreaterThan(0);
      for (const batch of batches) {
        const code = batch.replace(/^--.*$/gm, '').trim();
        expect(code).toMatch(/\b(CREATE|ALTER)\b/);
        // One guarded statement per batch: the guard comes first and nothing follows the guarded change.
        expect(code).toMatch(/^IF (SCHEMA_ID|OBJECT_ID|COL_LENGTH)\(|^IF NOT EXISTS \(\s*SELECT 1\s+FROM sys\.indexes/);
        expect(code.match(/;/g)).toHaveLength(1);
      }
    },
  );

  it('renders the adoption of SesionesChat / Telefono as reviewed', async () => {
    const rendered = templates.map((t) => `-- ==== ${t.id}\n${renderTemplate(t.template, ADOPTED)}`).join('\n');
    expect(rendered).toContain('ADD [Version] INT NOT NULL CONSTRAINT [DF_SesionesChat_Version] DEFAULT (0);');
    expect(rendered).toContain(
      'CREATE INDEX [IX_SesionesChat_Telefono_Version]\n        ON [dbo].[SesionesChat] ([Telefono], [Version]);',
    );
    expect(rendered).toContain("COL_LENGTH(N'[dbo].[SesionesChat]', N'Version') IS NULL");
    await expect(rendered).toMatchFileSnapshot('./__snapshots__/migrations.sesioneschat.sql');
  });

  it('renders the default install as reviewed', async () => {
    const rendered = templates
      .map((t) => `-- ==== ${t.id}\n${renderTemplate(t.template, DEFAULT_NAMES.mssql)}`)
      .join('\n');
    await expect(rendered).toMatchFileSnapshot('./__snapshots__/migrations.default.sql');
  });

  it('leaves the other dialects\u2019 templates, which have no :setvar lines, rendering as before', () => {
    for (const dialect of ['postgres', 'sqlite'] as const) {
      for (const { template } of loadMigrationTemplates(dialect)) {
        const rendered = renderTemplate(template, DEFAULT_NAMES[dialect]);
        expect(rendered.split('\n')).toHaveLength(template.split('\n').length);
      }
    }
  });
});

describe('SQL Server migration runner', () => {
  const lockNotGranted = (): Error => {
    // As mssql reports a THROW from the batch: a RequestError whose info is the server's error token.
    const token = Object.assign(new Error('versioned-sessions: another migrator holds the migration lock.'), {
      info: { number: 51001, state: 1, class: 16, procName: '', lineNumber: 5 },
    });
    return new sql.RequestError(token as never, 'EREQUEST');
  };

  it('runs each migration without the pool\u2019s request timeout, with every lock wait bounded, and sets the wait back before the connection returns', async () => {
    const { pool, events } = recordingMigrationPool();
    await migrate({ dialect: 'mssql', pool });
    const transactions = events.filter((event) => event.startsWith('transaction'));
    expect(transactions.length).toBe(templates.length + 1);
    expect(new Set(transactions)).toEqual(new Set(['transaction {"requestTimeout":0}']));
    const takeLock = events.find((event) => event.includes('sp_getapplock'))!;
    expect(takeLock).toContain(`SET LOCK_TIMEOUT ${MSSQL_MIGRATION_LOCK_TIMEOUT_MS};`);
    expect(takeLock).toContain(`@LockTimeout = ${MSSQL_MIGRATION_LOCK_TIMEOUT_MS};`);
    expect(takeLock).not.toContain('@LockTimeout = -1');
    // Every commit is preceded by the reset of the lock wait.
    events.forEach((event, index) => {
      if (event === 'commit') expect(events[index - 1]).toBe('SET LOCK_TIMEOUT -1;');
    });
  });

  it('reports a migration lock held past the wait as MigrationError locked, applying nothing and resetting the wait', async () => {
    const { pool, events } = recordingMigrationPool((text) =>
      text.includes('sp_getapplock') ? lockNotGranted() : undefined,
    );
    const error = await migrate({ dialect: 'mssql', pool }).catch((caught: unknown) => caught);
    expect(isMigrationError(error)).toBe(true);
    expect(error).toMatchObject({ reason: 'locked', migrationId: '0001_create_sessions', dialect: 'mssql' });
    expect((error as Error).message).toContain(
      'Another migrator has held the migration lock of [dbo].[VersionedSessionsMigrations] for 60 s',
    );
    expect((error as Error).message).toContain('run migrate again');
    const rollback = events.indexOf('rollback');
    expect(events.slice(rollback - 1, rollback + 1)).toEqual(['SET LOCK_TIMEOUT -1;', 'rollback']);
    expect(events.some((event) => event.includes('CREATE TABLE [dbo].[Sessions]'))).toBe(false);
  });

  it('passes any other failure of the lock batch through as it is', async () => {
    const other = new sql.RequestError('Login timeout', 'ETIMEOUT');
    const { pool } = recordingMigrationPool((text) => (text.includes('sp_getapplock') ? other : undefined));
    await expect(migrate({ dialect: 'mssql', pool })).rejects.toBe(other);
  });
});
