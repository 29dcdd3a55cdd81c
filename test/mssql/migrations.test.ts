/**
 * Pins the T-SQL migrations: each file runs under `sqlcmd -i` as it is (its `:setvar` lines define
 * every variable it uses, with the store's default names), renders to runnable T-SQL for configured
 * names, and guards every change with a catalog check so running it again changes nothing.
 */
import sql from 'mssql';
import { describe, expect, it } from 'vitest';
import { DEFAULT_NAMES, resolveNames } from '../../src/core/sql/table-names.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { isMigrationError, migrate, renderMigrations } from '../../src/migrations/index.js';
import { MSSQL_MIGRATION_LOCK_TIMEOUT_MS } from '../../src/migrations/mssql-migrations.js';
import { loadMigrationTemplates, renderTemplate, templateVariables } from '../../src/migrations/templates.js';
import { splitBatches } from '../conformance/targets/mssql.js';
import { ADOPTED_IN_BOT, recordingMigrationPool, runAsSqlcmd } from './support/tsql-texts.js';

const templates = loadMigrationTemplates('mssql');
const ADOPTED = resolveNames('mssql', {
  table: 'SesionesChat',
  columns: { key: 'Telefono', state: 'Estado', data: 'DatosTemp', version: 'Version' },
});

describe('SQL Server migrations', () => {
  it('are the six expected files, in order', () => {
    expect(templates.map((t) => t.id)).toEqual([
      '0001_create_sessions',
      '0002_adopt_existing_table',
      '0003_processed_operations',
      '0004_key_index_and_binary_ids',
      '0005_session_history',
      '0006_session_listing_index',
      '0007_processed_by_session_key',
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
        // One guarded statement (or one guarded BEGIN … END block) per batch: the guard comes first and
        // nothing follows the guarded change.
        expect(code).toMatch(
          /^IF (SCHEMA_ID|OBJECT_ID|COL_LENGTH)\(|^IF (NOT )?EXISTS \(\s*SELECT 1\s+FROM sys\.(indexes|columns)/,
        );
        if (/^BEGIN$/m.test(code)) expect(code).toMatch(/\nBEGIN\n[^]*\nEND;$/);
        else expect(code.match(/;/g)).toHaveLength(1);
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
    const { pool, events } = recordingMigrationPool({
      fail: (text) => (text.includes('sp_getapplock') ? lockNotGranted() : undefined),
    });
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
    const { pool } = recordingMigrationPool({ fail: (text) => (text.includes('sp_getapplock') ? other : undefined) });
    await expect(migrate({ dialect: 'mssql', pool })).rejects.toBe(other);
  });
});

describe('SQL Server migrations: names that reach the runner', () => {
  it('creates the history table under historyTable, not SessionHistory', async () => {
    const { pool, sent } = recordingMigrationPool();
    await migrate({ dialect: 'mssql', pool, schema: 'bot', historyTable: 'HistorialChat' });
    expect(sent.some((text) => text.includes('CREATE TABLE [bot].[HistorialChat]'))).toBe(true);
    expect(sent.some((text) => text.includes('[SessionHistory]'))).toBe(false);
  });

  it('records a second sessions table in a tracking table derived from its name', async () => {
    const { pool, sent } = recordingMigrationPool();
    const report = await migrate({ dialect: 'mssql', pool, ...ADOPTED_IN_BOT });
    expect(report.trackingTable).toBe('[bot].[VersionedSessionsMigrations_SesionesChat]');
    expect(sent.some((text) => text.includes('CREATE TABLE [bot].[VersionedSessionsMigrations_SesionesChat]'))).toBe(
      true,
    );
    const defaults = await migrate({ dialect: 'mssql', pool: recordingMigrationPool().pool });
    expect(defaults.trackingTable).toBe('[dbo].[VersionedSessionsMigrations]');
  });
});

describe('SQL Server migrations refuse what SQL Server would refuse halfway', () => {
  /** A pool whose catalog read of the key column returns `row`. */
  const answerWith = (row: Record<string, unknown>) =>
    recordingMigrationPool({ answer: (text) => (text.includes('INFORMATION_SCHEMA.COLUMNS') ? [row] : undefined) });

  it.each([
    [{ data_type: 'nvarchar', max_length: -1 }, 'NVARCHAR(MAX), which SQL Server cannot index (error 1919)'],
    [{ data_type: 'varchar', max_length: -1 }, 'VARCHAR(MAX), which SQL Server cannot index (error 1919)'],
    [{ data_type: 'ntext', max_length: 1073741823 }, 'NTEXT, which SQL Server cannot index (error 1919)'],
    [
      { data_type: 'bigint', max_length: null },
      "BIGINT, but session keys are text: a key such as '+5215512345678' fails to convert",
    ],
    [{ data_type: 'decimal', max_length: null }, 'DECIMAL, but session keys are text'],
  ])('refuses an adopted key column of %o before running any batch, naming it and the fix', async (row, says) => {
    const { pool, sent } = answerWith(row);
    const error = await migrate({ dialect: 'mssql', pool, ...ADOPTED_IN_BOT }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ reason: 'failed', migrationId: '0001_create_sessions' });
    expect((error as Error).message).toContain(`The key column [Telefono] of [bot].[SesionesChat] is ${says}`);
    expect((error as Error).message).toContain(
      'ALTER TABLE [bot].[SesionesChat] ALTER COLUMN [Telefono] NVARCHAR(255) NOT NULL',
    );
    expect(sent.some((text) => text.includes('CREATE TABLE [bot].[SesionesChat]'))).toBe(false);
  });

  it('adopts a VARCHAR(20) Telefono key column', async () => {
    const { pool, sent } = answerWith({ data_type: 'varchar', max_length: 20 });
    const report = await migrate({ dialect: 'mssql', pool, ...ADOPTED_IN_BOT });
    expect(report.applied.map((migration) => migration.id)).toEqual(templates.map((t) => t.id));
    expect(sent.some((text) => text.includes('CREATE INDEX [IX_SesionesChat_Telefono_Version]'))).toBe(true);
  });

  it('refuses names whose generated constraint or index names would pass 128 characters, before touching the database', async () => {
    const longest = 'T'.repeat(106);
    expect(() => renderMigrations({ dialect: 'mssql', table: longest })).not.toThrow();
    // IX_<table>_SessionKey_Version is 22 characters longer than the table name.
    const tooLong = 'T'.repeat(107);
    const error = (() => {
      try {
        renderMigrations({ dialect: 'mssql', table: tooLong });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ argument: 'table' });
    expect((error as Error).message).toContain(
      "Expected `table` to be short enough for migration 0002_adopt_existing_table to name its constraints and indexes in SQL Server's 128 characters, got a name that makes [IX_TTTT",
    );
    expect((error as Error).message).toContain('of 129 characters.');
    const { pool, sent } = recordingMigrationPool();
    await expect(migrate({ dialect: 'mssql', pool, processedTable: 'P'.repeat(116) })).rejects.toMatchObject({
      argument: 'processedTable',
    });
    await expect(migrate({ dialect: 'mssql', pool, trackingTable: 'M'.repeat(116) })).rejects.toThrow(
      'Expected `trackingTable` to be at most 115 characters on SQL Server, got a string of 116 characters. Its constraint DF_<trackingTable>_AppliedAt must fit in 128.',
    );
    await expect(migrate({ dialect: 'mssql', pool, trackingTable: 'M'.repeat(115) })).resolves.toMatchObject({
      dialect: 'mssql',
    });
    expect(sent.filter((text) => text.includes('M'.repeat(116)) || text.includes('P'.repeat(116)))).toEqual([]);
  });
});
