import { describe, expect, it } from 'vitest';
import { splitTsqlBatches, stripSqlcmdCommands } from '../../src/migrations/tsql-batches.js';

const texts = (script: string): string[] => splitTsqlBatches(script).map((batch) => batch.text.trim());

describe('T-SQL GO batches', () => {
  it('splits on GO alone on its line, in any case, with surrounding whitespace', () => {
    expect(texts('SELECT 1;\nGO\nSELECT 2;\n  go  \nSELECT 3;\n\tGo\n')).toEqual([
      'SELECT 1;',
      'SELECT 2;',
      'SELECT 3;',
    ]);
  });

  it('reads the optional count of GO <n> and the line each batch starts on', () => {
    const batches = splitTsqlBatches('INSERT t VALUES (1);\nGO 3\n\nSELECT 2;\nGO\n');
    expect(batches.map(({ repeat, line }) => ({ repeat, line }))).toEqual([
      { repeat: 3, line: 1 },
      { repeat: 1, line: 3 },
    ]);
  });

  it('accepts a -- comment after GO and comment lines around it', () => {
    const script = 'SELECT 1;\n-- before\nGO -- the end of batch one\n-- after\nSELECT 2;\nGO 2 -- twice\n';
    const batches = splitTsqlBatches(script);
    expect(batches.map((batch) => batch.text.trim())).toEqual(['SELECT 1;\n-- before', '-- after\nSELECT 2;']);
    expect(batches.map((batch) => batch.repeat)).toEqual([1, 2]);
  });

  it('does not split on GO inside a string, a quoted identifier, a block comment or a line comment', () => {
    const script = [
      "SELECT N'line one",
      'GO',
      "line three';",
      '/* outer /* nested */',
      'GO',
      '*/',
      'SELECT [a',
      'GO',
      'b] FROM t; -- GO',
      'SELECT "x',
      'GO',
      '" FROM t;',
      'GO',
    ].join('\n');
    expect(splitTsqlBatches(script)).toHaveLength(1);
    expect(splitTsqlBatches(script)[0]!.text.split('\n')).toHaveLength(12);
  });

  it('does not take words that merely start with GO, or GO followed by other text, as a separator', () => {
    expect(texts('SELECT 1 AS GOAL\nGOTO label\nGO;\nGO x\nGOOD\n')).toEqual([
      'SELECT 1 AS GOAL\nGOTO label\nGO;\nGO x\nGOOD',
    ]);
  });

  it('drops batches holding only comments and whitespace', () => {
    expect(texts('-- header\n/* note */\nGO\nSELECT 1;\nGO\n\n-- trailer\n')).toEqual(['SELECT 1;']);
  });

  it('handles CRLF line ends', () => {
    expect(texts('SELECT 1;\r\nGO\r\nSELECT 2;\r\nGO 2\r\n')).toEqual(['SELECT 1;', 'SELECT 2;']);
    expect(splitTsqlBatches('SELECT 1;\r\nGO 2\r\n')[0]!.repeat).toBe(2);
  });

  it('leaves :setvar and :on error lines out of batches, but not inside strings', () => {
    const script = ":setvar Schema dbo\n:on error exit\nSELECT N'a\n:setvar kept\n';\nGO\n";
    expect(texts(script)).toEqual(["SELECT N'a\n:setvar kept\n';"]);
    expect(stripSqlcmdCommands(script)).toBe("SELECT N'a\n:setvar kept\n';\nGO\n");
  });

  it('refuses sqlcmd commands only sqlcmd can run, and GO 0', () => {
    expect(() => splitTsqlBatches('SELECT 1;\n:r other.sql\nGO\n')).toThrow(/":r".*:setvar and :on error only/);
    expect(() => splitTsqlBatches('SELECT 1;\nGO 0\n')).toThrow(/GO 0/);
  });
});
