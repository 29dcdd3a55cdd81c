/**
 * Every T-SQL text the SQL Server store and the migration runner can send, parsed by a maintained
 * T-SQL grammar (grammars-v4 TSqlParser) from its whole-input rule. No SQL Server runs here; a clean
 * parse does not prove a statement right (the snapshots and the reviewed notes do the rest), but a
 * text the grammar refuses is a defect found before any server sees it.
 */
import { describe, expect, it } from 'vitest';
import { DROP_SCHEMA_WITH_TABLES } from '../conformance/targets/mssql.js';
import { tsqlSyntaxErrors } from './support/tsql-parser.js';
import { everyStatement, NAME_SETS, printedBatches, runnerTexts, sqlcmdBatches } from './support/tsql-texts.js';

/** Each distinct text once, under the first label that produced it, and how many were gathered before that. */
async function everyText(): Promise<{ texts: Map<string, string>; gathered: number }> {
  const labelled: [string, string][] = [
    ...NAME_SETS.flatMap(([label, options]) =>
      everyStatement(options).map(([name, statement]): [string, string] => [`store ${label}: ${name}`, statement.text]),
    ),
    ...sqlcmdBatches(),
    ...NAME_SETS.flatMap(([label, options]) => printedBatches(label, options)),
    ...(await Promise.all(NAME_SETS.map(([label, options]) => runnerTexts(label, options)))).flat(),
    ['test target cleanup', DROP_SCHEMA_WITH_TABLES],
  ];
  const texts = new Map<string, string>();
  for (const [label, text] of labelled) if (!texts.has(text)) texts.set(text, label);
  return { texts, gathered: labelled.length };
}

describe('T-SQL grammar', () => {
  it('parses every statement of the store, every batch of every migration (sqlcmd -i and print) and every runner text', async () => {
    const { texts, gathered } = await everyText();
    const refused = [...texts]
      .map(([text, label]) => ({ label, errors: tsqlSyntaxErrors(text) }))
      .filter((entry) => entry.errors.length > 0);
    expect(refused).toEqual([]);
    // Each source contributes: the count is reported, and a collection that lost a source fails here.
    const labels = [...texts.values()];
    for (const source of [
      'store default names',
      'store bot.SesionesChat',
      '(sqlcmd -i)',
      'print default names',
      'print bot.SesionesChat',
      'runner default names',
      'runner bot.SesionesChat',
    ]) {
      expect(
        labels.some((label) => label.includes(source)),
        source,
      ).toBe(true);
    }
    console.info(`T-SQL grammar: ${texts.size} distinct texts parsed (${gathered} gathered)`);
  });

  it.each([
    [
      'OUTPUT after WHERE',
      'DECLARE @w TABLE (k INT);\nDELETE FROM [dbo].[Sessions] WHERE [SessionKey] = @key OUTPUT deleted.[SessionKey] INTO @w (k);',
    ],
    ['ELSE without IF', 'SELECT 1 AS a;\nELSE BEGIN\n  SELECT 2 AS b;\nEND;'],
    ['BEGIN without END', 'IF EXISTS (SELECT 1 FROM [dbo].[Sessions])\nBEGIN\n  SELECT 1 AS a;'],
    ['trailing garbage after a valid statement', 'SELECT 1 AS a FROM [dbo].[Sessions] WHERE [SessionKey] = @key )'],
  ])('refuses a broken text: %s', (_label, text) => {
    expect(tsqlSyntaxErrors(text).length).toBeGreaterThan(0);
  });

  it('accepts the corrected forms of those texts (the controls fail for the reason they name)', () => {
    expect(
      tsqlSyntaxErrors(
        'DECLARE @w TABLE (k INT);\nDELETE FROM [dbo].[Sessions] OUTPUT deleted.[SessionKey] INTO @w (k) WHERE [SessionKey] = @key;',
      ),
    ).toEqual([]);
    expect(tsqlSyntaxErrors('IF 1 = 0 SELECT 1 AS a;\nELSE BEGIN\n  SELECT 2 AS b;\nEND;')).toEqual([]);
    expect(tsqlSyntaxErrors('IF EXISTS (SELECT 1 FROM [dbo].[Sessions])\nBEGIN\n  SELECT 1 AS a;\nEND;')).toEqual([]);
  });
});
