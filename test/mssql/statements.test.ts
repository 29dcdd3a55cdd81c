/**
 * Pins every T-SQL batch the SQL Server store sends. No SQL Server runs on this project's machines, so
 * the exact text is kept in reviewable `.sql` snapshots (checked by hand against the SQL Server
 * documentation; see the notes of the mssql statements module) and its properties are asserted here.
 */
import { describe, expect, it } from 'vitest';
import { resolveNames } from '../../src/core/sql/table-names.js';
import {
  mssqlStatements,
  PRUNE_BATCH,
  type MssqlParameterType,
  type MssqlStatement,
} from '../../src/mssql/mssql-statements.js';
import { parameterType, type KeyColumnTypes } from '../../src/mssql/mssql-key-column.js';
import { ADOPTED, ADOPTED_IN_BOT, everyStatement, KEY } from './support/tsql-texts.js';

const HOSTILE = "x'; DROP TABLE [dbo].[Sessions]; --";

function describeType(type: MssqlParameterType): string {
  if (type.type === 'DateTime2') return `DateTime2(${type.scale})`;
  if (type.type === 'Int') return type.type;
  return `${type.type}(${type.length})`;
}

const COMPARED_WITH = { key: 'the key column', processedId: 'the processed id column' } as const;

/** The statements as the store sends them once it knows its keyed columns' types (none known: the defaults). */
function snapshotOf(statements: [string, MssqlStatement][], types: KeyColumnTypes = {}): string {
  return statements
    .map(([label, statement]) => {
      const parameters = statement.parameters.map(
        (p) =>
          `-- @${p.name} ${describeType(parameterType(p, types))}${p.column === undefined ? '' : `, as ${COMPARED_WITH[p.column]}`}`,
      );
      return [`-- ${label}`, ...parameters, `${statement.text}`].join('\n');
    })
    .join('\n\n')
    .concat('\n');
}

// Names declared inside the batches themselves, not parameters.
const LOCAL_VARIABLES = new Set(['row', 'written', 'current', 'pruned', 'total', 'batch']);

describe('SQL Server statements', () => {
  it('match the reviewed text for the default names', async () => {
    await expect(snapshotOf(everyStatement({}))).toMatchFileSnapshot('./__snapshots__/statements.default.sql');
  });

  it('match the reviewed text for an adopted SesionesChat table in its own schema', async () => {
    await expect(snapshotOf(everyStatement({ schema: 'bot', ...ADOPTED }))).toMatchFileSnapshot(
      './__snapshots__/statements.sesioneschat.sql',
    );
  });

  it('match the reviewed text and types for a SesionesChat whose Telefono is VARCHAR(20): every key sent as VARCHAR(20)', async () => {
    const types: KeyColumnTypes = {
      key: { type: 'VarChar', length: 20 },
      processedId: { type: 'NVarChar', length: 255 },
    };
    const pinned = snapshotOf(everyStatement(ADOPTED_IN_BOT), types);
    await expect(pinned).toMatchFileSnapshot('./__snapshots__/statements.sesioneschat-varchar20.sql');
    // Every comparison with [Telefono] has its parameter typed as the column, and only those; the
    // history statements' keys (values of the same column, stored in and compared with the history
    // table's session_key) are typed the same way.
    const keyed: string[] = [];
    for (const [label, statement] of everyStatement(ADOPTED_IN_BOT)) {
      for (const parameter of statement.parameters) {
        const sent = describeType(parameterType(parameter, types));
        if (parameter.column === 'key') {
          keyed.push(label);
          if (statement.text.includes('[bot].[SessionHistory]')) {
            expect(statement.text, label).toMatch(/session_key = @key|\(session_key, [^)]*\) VALUES \(@key,/);
          } else expect(statement.text, label).toMatch(new RegExp(`\\[Telefono\\] [=>] @${parameter.name}\\b`));
          // A NULL (the first data page's `after`) is compared with nothing and keeps its declared type.
          expect(sent, label).toBe(parameter.value === null ? 'NVarChar(255)' : 'VarChar(20)');
        } else expect(sent, label).not.toBe('VarChar(20)');
      }
    }
    expect(keyed).toEqual(
      expect.arrayContaining([
        'lockRow',
        'insertHistory',
        'selectHistory (first page)',
        'selectHistory (before version 9)',
      ]),
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

  it('types every parameter: keys and states NVARCHAR(255), data and snapshots NVARCHAR(MAX), versions INT, times DATETIME2(3), names sysname, commit tokens NVARCHAR(36), listing positions NVARCHAR(40)', () => {
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
      after: ['NVarChar(255)'],
      limit: ['Int'],
      state: ['NVarChar(255)'],
      data: ['NVarChar(MAX)'],
      expected: ['Int'],
      id: ['NVarChar(255)'],
      olderThan: ['DateTime2(3)'],
      schema: ['NVarChar(128)'],
      table: ['NVarChar(128)'],
      keyColumn: ['NVarChar(128)'],
      processedTable: ['NVarChar(128)'],
      token: ['NVarChar(36)'],
      version: ['Int'],
      snapshot: ['NVarChar(MAX)'],
      idleBefore: ['DateTime2(3)'],
      state0: ['NVarChar(255)'],
      state1: ['NVarChar(255)'],
      previous: ['NVarChar(255)'],
      origin: ['NVarChar(32)'],
      reason: ['NVarChar(255)'],
      before: ['Int'],
      updatedAfter: ['DateTime2(3)'],
      updatedBefore: ['DateTime2(3)'],
      afterTime: ['NVarChar(40)'],
      pastTime: ['NVarChar(40)'],
      afterKey: ['NVarChar(255)'],
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
        expect(output[0]).toMatch(/ INTO @(row|written|pruned) \(/);
      expect(statement.text).not.toContain('@@ROWCOUNT');
    }
  });

  it('creates under UPDLOCK, HOLDLOCK so the existence check and the insert are one atomic step', () => {
    const s = mssqlStatements(resolveNames('mssql', {}));
    expect(s.insertIfAbsent(KEY, null, '{}').text).toContain(
      'WHERE NOT EXISTS (SELECT 1 FROM [dbo].[Sessions] WITH (UPDLOCK, HOLDLOCK) WHERE [SessionKey] = @key);',
    );
    expect(s.insertProcessed('m', null).text).toContain(
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

  it('writes once in one batch: its own transaction under XACT_ABORT, or a savepoint inside the caller’s; one outcome row per branch; the key’s rows only', () => {
    const s = mssqlStatements(resolveNames('mssql', {}));
    const write = {
      key: KEY,
      changes: { state: 'PAGADO' },
      expectedVersion: 3,
      id: 'wamid.A',
      commitToken: '00000000-0000-4000-8000-000000000000',
    };
    const own = s.updateOnce!({ ...write, ownTransaction: true }).text.split('\n');
    expect(own.slice(0, 3)).toEqual([
      'SET XACT_ABORT ON;',
      expect.stringMatching(/^DECLARE @row TABLE/),
      'BEGIN TRANSACTION;',
    ]);
    expect(own.at(-1)).toBe('COMMIT TRANSACTION;');
    const inCaller = s.updateOnce!({ ...write, ownTransaction: false }).text;
    expect(inCaller).not.toMatch(/BEGIN TRAN|COMMIT|XACT_ABORT/);
    expect(inCaller).toContain('SAVE TRANSACTION update_once;');
    expect(inCaller).toContain('IF XACT_STATE() = 1 ROLLBACK TRANSACTION update_once;');
    for (const text of [own.join('\n'), inCaller]) {
      // The write is guarded by the key's record, and both branches end in exactly one SELECT row set.
      expect(text).toContain(
        'AND NOT EXISTS (SELECT 1 FROM [dbo].[ProcessedOperations] WHERE session_key = @key AND id = @id);',
      );
      expect(text).toContain("'done' AS outcome FROM @row;");
      expect(text).toContain(
        "CASE WHEN p.id IS NOT NULL THEN 'duplicate' WHEN s.[SessionKey] IS NULL THEN 'missing' ELSE 'conflict' END AS outcome",
      );
      expect(text).toContain('LEFT JOIN [dbo].[ProcessedOperations] AS p ON p.session_key = @key AND p.id = @id;');
      // The snapshot is the written row as JSON, times as UTC ISO-8601 text.
      expect(text).toContain('FOR JSON PATH, INCLUDE_NULL_VALUES, WITHOUT_ARRAY_WRAPPER');
      expect(text).toContain("CONVERT(NVARCHAR(30), r.created_at, 126) + 'Z' AS [createdAt]");
    }
  });

  it('claims an idempotency id without a range lock: no HOLDLOCK / UPDLOCK / SERIALIZABLE in the claim', () => {
    const s = mssqlStatements(resolveNames('mssql', {}));
    const claim = s.claimProcessed('wamid.A', KEY, '00000000-0000-4000-8000-000000000000').text;
    expect(claim).not.toMatch(/HOLDLOCK|UPDLOCK|SERIALIZABLE|TABLOCK/);
    expect(claim).toContain('WHERE NOT EXISTS (SELECT 1 FROM [dbo].[ProcessedOperations] WHERE id = @id);');
  });

  it('outputs bare deleted columns only, and reads a NULL version as 0 in the final SELECT (observe mode)', () => {
    for (const [, statement] of everyStatement(ADOPTED)) {
      for (const output of statement.text.matchAll(/\bOUTPUT\b[^;]*?\bINTO\b/g)) {
        expect(output[0]).not.toMatch(/\w\(\s*deleted\./i);
      }
    }
    const s = mssqlStatements(resolveNames('mssql', ADOPTED));
    expect(s.observedUpdate(KEY, { state: 'X' }).text).toContain(', deleted.[Version] INTO @row (');
    expect(s.observedUpdate(KEY, { state: 'X' }).text).toContain('COALESCE(previous_version, 0) AS previous_version');
    expect(s.observedDelete(KEY).text).toContain('OUTPUT deleted.[Version] INTO @row (previous_version)');
    expect(s.observedDelete(KEY).text).toContain('SELECT COALESCE(previous_version, 0) AS previous_version FROM @row;');
  });

  it('prunes in bounded batches, each its own DELETE TOP, counting through a narrow table variable', () => {
    const prune = mssqlStatements(resolveNames('mssql', {})).deleteProcessedBefore(
      new Date('2026-01-01T00:00:00.000Z'),
    ).text;
    expect(PRUNE_BATCH).toBeLessThan(5000);
    expect(prune).toContain(`WHILE @batch = ${PRUNE_BATCH}`);
    expect(prune).toContain(
      `DELETE TOP (${PRUNE_BATCH}) FROM [dbo].[ProcessedOperations] OUTPUT deleted.processed_at INTO @pruned (processed_at) WHERE processed_at < @olderThan;`,
    );
    expect(prune).not.toContain('NVARCHAR(MAX)');
    expect(prune.trimEnd().endsWith('SELECT @total AS affected_rows;')).toBe(true);
  });
});
