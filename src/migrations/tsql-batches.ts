/**
 * T-SQL scripts as sqlcmd reads them: `GO` on a line of its own ends a batch (optionally `GO <count>`,
 * optionally followed by a `--` comment), and lines starting with `:` are sqlcmd commands such as
 * `:setvar`, which the server never sees. A `GO` or `:setvar` inside a string, a quoted identifier or
 * a block comment is text, not a command.
 *
 * @module
 */
import { insideRange, protectedRanges, type LexerRules } from './sql-lexer.js';

/** One batch to send to SQL Server. */
export interface TsqlBatch {
  /** The batch text, without its `GO` line. */
  readonly text: string;
  /** How many times to execute it: the count of `GO <count>`, else 1. */
  readonly repeat: number;
  /** The 1-based line of the script the batch starts on, for error messages. */
  readonly line: number;
}

const TSQL_RULES: LexerRules = { nestedBlockComments: true, backtickIdentifiers: false };
const GO_LINE = /^[ \t]*go(?:[ \t]+(\d+))?[ \t]*(?:--.*)?\r?$/i;
const SQLCMD_LINE = /^[ \t]*:([A-Za-z]+)\b(.*)$/;
// sqlcmd commands that only configure the sqlcmd session: safe to drop when the script runs elsewhere.
const SESSION_ONLY_COMMANDS = new Set(['setvar', 'on']);

type LineKind = { kind: 'code' } | { kind: 'go'; repeat: number } | { kind: 'sqlcmd'; command: string };

interface ScriptLine {
  readonly text: string;
  readonly number: number;
  readonly classified: LineKind;
}

function classifyLines(script: string): ScriptLine[] {
  const ranges = protectedRanges(script, TSQL_RULES);
  const lines: ScriptLine[] = [];
  let offset = 0;
  for (const [index, text] of script.split('\n').entries()) {
    const enclosing = insideRange(ranges, offset);
    const atCode = enclosing === undefined || enclosing.start === offset;
    let classified: LineKind = { kind: 'code' };
    if (atCode) {
      const go = GO_LINE.exec(text);
      const sqlcmd = go === null ? SQLCMD_LINE.exec(text) : null;
      if (go !== null) classified = { kind: 'go', repeat: go[1] === undefined ? 1 : Number.parseInt(go[1], 10) };
      else if (sqlcmd !== null) classified = { kind: 'sqlcmd', command: sqlcmd[1]!.toLowerCase() };
    }
    lines.push({ text, number: index + 1, classified });
    offset += text.length + 1;
  }
  return lines;
}

function assertSessionOnly(line: ScriptLine): void {
  if (line.classified.kind === 'sqlcmd' && !SESSION_ONLY_COMMANDS.has(line.classified.command)) {
    throw new Error(
      `Line ${line.number} holds the sqlcmd command ":${line.classified.command}", which only sqlcmd can run; ` +
        'a script run through the driver may use :setvar and :on error only.',
    );
  }
}

/** `script` without its sqlcmd command lines (`:setvar`, `:on error`), as the server should see it. */
export function stripSqlcmdCommands(script: string): string {
  return classifyLines(script)
    .filter((line) => {
      assertSessionOnly(line);
      return line.classified.kind !== 'sqlcmd';
    })
    .map((line) => line.text)
    .join('\n');
}

function isBlank(batch: string): boolean {
  const ranges = protectedRanges(batch, TSQL_RULES);
  let code = '';
  let offset = 0;
  for (const range of ranges) {
    if (range.kind === 'line-comment' || range.kind === 'block-comment') {
      code += batch.slice(offset, range.start);
      offset = range.end;
    }
  }
  code += batch.slice(offset);
  return code.trim() === '';
}

/**
 * Splits a T-SQL script into the batches sqlcmd would send. Batches holding only comments and
 * whitespace are dropped; sqlcmd command lines are left out of every batch.
 *
 * @throws Error for a sqlcmd command other than `:setvar` / `:on error`, or `GO 0`.
 */
export function splitTsqlBatches(script: string): TsqlBatch[] {
  const batches: TsqlBatch[] = [];
  let current: string[] = [];
  let firstLine = 1;
  const flush = (repeat: number): void => {
    const text = current.join('\n');
    if (!isBlank(text)) batches.push({ text, repeat, line: firstLine });
    current = [];
  };
  for (const line of classifyLines(script)) {
    assertSessionOnly(line);
    if (line.classified.kind === 'go') {
      if (line.classified.repeat < 1)
        throw new Error(`Line ${line.number}: "GO ${line.classified.repeat}" runs nothing; use a count of 1 or more.`);
      flush(line.classified.repeat);
      firstLine = line.number + 1;
    } else if (line.classified.kind === 'code') {
      if (current.length === 0) firstLine = line.number;
      current.push(line.text);
    }
  }
  flush(1);
  return batches;
}
