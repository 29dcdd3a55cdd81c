/**
 * Pins every T-SQL batch the SQL Server store sends. No SQL Server runs on this project's machines, so
 * the exact text is kept in reviewable `.sql` snapshots (checked by hand against the SQL Server
 * documentation; see the notes of the mssql statements module) and its properties are asserted here.
 */
import { describe, expect, it } from 'vitest';
import { resolveNames } from '../../src/core/sql/table-names.js';
import type { TableOptions } from '../../src/core/sql/table-names.js';
import { mssqlStatements, type MssqlParameterType, type MssqlStatement } from '../../src/mssql/mssql-statements.js';

const KEY = '+5215512345678';
const HOSTILE = "x'; DROP TABLE [dbo].[Sessions]; --";
const ADOPTED: TableOptions = {
  table: 'SesionesChat',
  columns: { key: 'Telefono', state: 'Estado', data: 'DatosTemp' },
};

/** Every statement the store can send, with representative values. */
function everyStatement(options: TableOptions, key = KEY): [string, MssqlStatement][] {
  const s = mssqlStatements(resolveNames('mssql', options));
  return [
    ['select', s.select(key)],
    ['selectVersion', s.selectVersion(key)],
    ['insertIfAbsent', s.insertIfAbsent(key, 'INICIO', '{"paso":0}')],
    [
      'update (expectedVersion 3, state and data)',
      s.update(key, { state: 'REFRI_ESPERA_SAP', dataJson: '{"paso":1}' }, 3),
    ],
    ['update (expectedVersion 0, no field changed)', s.update(key, {}, 0)],
    ['update (unconditional, data only)', s.update(key, { dataJson: '{"paso":2}' }, null)],
    ['delete (expectedVersion 4)', s.delete(key, 4)],
    ['delete (unconditional)', s.delete(key, null)],
    ['observedUpdate (state and data)', s.observedUpdate(key, { state: 'REFRI_ESPERA_SAP', dataJson: '{"paso":1}' })],
    ['observedDelete', s.observedDelete(key)],
    ['touch', s.touch(key)],
    ['sessionColumns', s.sessionColumns()],
    ['processedColumns', s.processedColumns()],
    ['insertProcessed', s.insertProcessed('wamid.A')],
    ['selectProcessed', s.selectProcessed('wamid.A')],
    ['deleteProcessedBefore', s.deleteProcessedBefore(new Date('2026-01-01T00:00:00.000Z'))],
    ['selectProcessedRecord', s.selectProcessedRecord('wamid.A')],
    ['claimProcessed', s.claimProcessed('wamid.A', '+5215512345678', '00000000-0000-4000-8000-000000000000')],
    ['recordProcessed', s.recordProcessed('wamid.A', '00000000-0000-4000-8000-000000000000', 4, '{"state":"PAGADO"}')],
    ['releaseProcessed', s.releaseProcessed('wamid.A', '00000000-0000-4000-8000-000000000000')],
    ['selectIdle (any state)', s.selectIdle(new Date('2026-01-01T00:00:00.000Z'), null, 100)],
    ['selectIdle (two states)', s.selectIdle(new Date('2026-01-01T00:00:00.000Z'), ['MENU', key], 100)],
    ['lockRow', s.lockRow(key)],
    [
      'insertHistory',
      s.insertHistory({
        key,
        version: 4,
        previousState: 'MENU',
        state: 'EQUIPO_CONFIRMADO',
        origin: 'user',
        reason: 'Equipo confirmado',
      }),
    ],
    ['selectHistory (first page)', s.selectHistory(key, 20, null)],
    ['selectHistory (before version 9)', s.selectHistory(key, 20, 9)],
    ['deleteHistoryBefore', s.deleteHistoryBefore(new Date('2026-01-01T00:00:00.000Z'))],
    ['historyColumns', s.historyColumns()],
  ];
}

function describeType(type: MssqlParameterType): string {
  if (type.type === 'NVarChar') return `NVarChar(${type.length})`;
  if (type.type === 'DateTime2') return `DateTime2(${type.scale})`;
  return type.type;
}

function snapshotOf(statements: [string, MssqlStatement][]): string {
  return statements
    .map(([label, statement]) => {
      const parameters = statement.parameters.map((p) => `-- @${p.name} ${describeType(p.type)}`);
      return [`-- ${label}`, ...parameters, `${statement.text}`].join('\n');
    })
    .join('\n\n')
    .concat('\n');
}

// Names declared inside the batches themselves, not parameters.
const LOCAL_VARIABLES = new Set(['row', 'written', 'current']);

describe('SQL Server statements', () => {
  it('match the reviewed text for the default names', async () => {
    await expect(snapshotOf(everyStatement({}))).toMatchFileSnapshot('./__snapshots__/statements.default.sql');
  });

  it('match the reviewed text for an adopted SesionesChat table in its own schema', async () => {
    await expect(snapshotOf(everyStatement({ schema: 'bot', ...ADOPTED }))).toMatchFileSnapshot(
      './__snapshots__/statements.sesioneschat.sql',
    );
  });

  it.each(everyStatement({}, HOSTILE))(
    '%s: values travel only as parameters, each one declared',
    (_label, statement) => {
      expect(statement.text).not.toContain('DROP TABLE');
      expect(statement.text).not.toContain('wamid');
      expect(statement.text).not.toContain('2026');
      const referenced = new Set(
        [...statement.text.matchAll(/@([A-Za-z_]\w*)/g)]
          .map((match) => match[1]!)
          .filter((n) => !LOCAL_VARIABLES.has(n)),
      );
      expect([...referenced].sort()).toEqual(statement.parameters.map((p) => p.name).sort());
    },
  );

  it('types every parameter: keys and states NVARCHAR(255), data and snapshots NVARCHAR(MAX), versions INT, times DATETIME2(3), names sysname, commit tokens NVARCHAR(36)', () => {
    const types = new Map<string, Set<string>>();
    for (const [, statement] of everyStatement(ADOPTED)) {
      for (const p of statement.parameters) {
        const seen = types.get(p.name) ?? new Set<string>();
        seen.add(describeType(p.type));
        types.set(p.name, seen);
      }
    }
    expect(Object.fromEntries([...types].map(([name, seen]) => [name, [...seen]]))).toEqual({
      key: ['NVarChar(255)'],
      state: ['NVarChar(255)'],
      data: ['NVarChar(MAX)'],
      expected: ['Int'],
      id: ['NVarChar(255)'],
      olderThan: ['DateTime2(3)'],
      schema: ['NVarChar(128)'],
      table: ['NVarChar(128)'],
      token: ['NVarChar(36)'],
      version: ['Int'],
      snapshot: ['NVarChar(MAX)'],
      idleBefore: ['DateTime2(3)'],
      limit: ['Int'],
      state0: ['NVarChar(255)'],
      state1: ['NVarChar(255)'],
      previous: ['NVarChar(255)'],
      origin: ['NVarChar(32)'],
      reason: ['NVarChar(255)'],
      before: ['Int'],
    });
  });

  it('puts the version check in the UPDATE and DELETE statements themselves', () => {
    const s = mssqlStatements(resolveNames('mssql', ADOPTED));
    const update = s.update(KEY, { state: 'X' }, 7);
    expect(update.text).toMatch(
      /UPDATE \[dbo\]\.\[SesionesChat\] SET [^;]*\nOUTPUT [^;]* INTO @row \([^)]*\)\nWHERE \[Telefono\] = @key AND COALESCE\(\[Version\], 0\) = @expected;/,
    );
    expect(update.parameters.find((p) => p.name === 'expected')?.value).toBe(7);
    expect(s.delete(KEY, 7).text).toMatch(
      /DELETE FROM \[dbo\]\.\[SesionesChat\] OUTPUT [^;]*WHERE \[Telefono\] = @key AND COALESCE\(\[Version\], 0\) = @expected;/,
    );
    // Version 0 is a real version, not "no check" (the truthiness bug).
    expect(s.update(KEY, {}, 0).text).toContain('= @expected');
    expect(s.update(KEY, {}, 0).parameters.find((p) => p.name === 'expected')?.value).toBe(0);
    expect(s.update(KEY, {}, null).text).not.toContain('@expected');
  });

  it('never uses OUTPUT without INTO (refused on tables with triggers) nor @@ROWCOUNT', () => {
    for (const [, statement] of everyStatement(ADOPTED)) {
      for (const output of statement.text.matchAll(/\bOUTPUT\b[^;]*/g))
        expect(output[0]).toMatch(/ INTO @(row|written) \(/);
      expect(statement.text).not.toContain('@@ROWCOUNT');
    }
  });

  it('creates under UPDLOCK, HOLDLOCK so the existence check and the insert are one atomic step', () => {
    const s = mssqlStatements(resolveNames('mssql', {}));
    expect(s.insertIfAbsent(KEY, null, '{}').text).toContain(
      'WHERE NOT EXISTS (SELECT 1 FROM [dbo].[Sessions] WITH (UPDLOCK, HOLDLOCK) WHERE [SessionKey] = @key);',
    );
    expect(s.insertProcessed('m').text).toContain(
      'WHERE NOT EXISTS (SELECT 1 FROM [dbo].[ProcessedOperations] WITH (UPDLOCK, HOLDLOCK) WHERE id = @id);',
    );
  });

  it('classifies a refused conditional write in the same batch, with one outcome row either way', () => {
    const s = mssqlStatements(resolveNames('mssql', {}));
    for (const text of [s.update(KEY, {}, 1).text, s.delete(KEY, 1).text]) {
      expect(text).toContain("CASE WHEN @current IS NULL THEN 'missing' ELSE 'conflict' END AS outcome");
      expect(text).toContain(
        'SELECT @current = COALESCE([Version], 0) FROM [dbo].[Sessions] WHERE [SessionKey] = @key;',
      );
    }
    expect(s.delete(KEY, 1).text).toContain('SELECT 0 AS affected_rows, @current AS session_version');
  });
});
