/**
 * SQLite scripts statement by statement, with the guard comments that make a statement idempotent
 * where SQLite's own syntax cannot (it has no `ADD COLUMN IF NOT EXISTS`).
 *
 * A guard is a comment line directly above a statement:
 *
 * ```sql
 * -- versioned-sessions:skip-if-column-exists sessions version
 * ALTER TABLE "sessions" ADD COLUMN "version" INTEGER NOT NULL DEFAULT 0;
 * ```
 *
 * - `skip-if-column-exists <table> <column>`: skip when `pragma_table_info(<table>)` lists `<column>`.
 * - `skip-if-unique <table> <column>`: skip when `<column>` alone is the table's primary key or has a
 *   unique index of its own.
 * - `skip-if-index-exists <table> <index>`: skip when the table has an index of that name (the operand
 *   travels as `column`).
 *
 * The runner evaluates each guard right before its statement, inside the migration's transaction. The
 * sqlite3 shell ignores guards (they are comments), so a guarded file is re-runnable through the runner only.
 *
 * @module
 */
import { insideRange, protectedRanges, type LexerRules } from './sql-lexer.js';

/** A guard of a SQLite statement. */
export type SqliteGuard =
  | { readonly kind: 'skip-if-column-exists'; readonly table: string; readonly column: string }
  | { readonly kind: 'skip-if-unique'; readonly table: string; readonly column: string }
  | { readonly kind: 'skip-if-index-exists'; readonly table: string; readonly column: string };

/** One statement of a SQLite script with the guards written above it. */
export interface SqliteScriptStatement {
  readonly sql: string;
  readonly guards: readonly SqliteGuard[];
}

const SQLITE_RULES: LexerRules = { nestedBlockComments: false, backtickIdentifiers: true };
const GUARD_LINE = /^[ \t]*--[ \t]*versioned-sessions:([a-z-]+)[ \t]*(.*?)[ \t]*$/gm;
const GUARD_KINDS = new Set(['skip-if-column-exists', 'skip-if-unique', 'skip-if-index-exists']);
// A trigger body holds semicolons of its own: a `CREATE TRIGGER … BEGIN … END;` runs to the `;` after
// the END that closes its BEGIN (CASE … END counted too). MySQL's single-statement bodies have no BEGIN.
const CREATE_TRIGGER = /^\s*create\s+(?:temp\s+|temporary\s+)?trigger\b/i;

/** The code of `text` without comments, strings and quoted identifiers, for counting keywords. */
function bareCode(text: string): string {
  const ranges = protectedRanges(text, SQLITE_RULES);
  let code = '';
  let offset = 0;
  for (const range of ranges) {
    code += `${text.slice(offset, range.start)} `;
    offset = range.end;
  }
  return code + text.slice(offset);
}

/** Whether `statement` (up to a `;`) is a trigger whose BEGIN block is still open. */
function insideTriggerBody(statement: string): boolean {
  const code = bareCode(statement);
  if (!CREATE_TRIGGER.test(code)) return false;
  const words: string[] = code.toLowerCase().match(/\b(?:begin|case|end)\b/g) ?? [];
  if (!words.includes('begin')) return false;
  const opened = words.filter((word) => word !== 'end').length;
  return opened > words.length - opened;
}

function leadingComments(statement: string, ranges: ReturnType<typeof protectedRanges>): string {
  // The comments before the statement's first code character.
  let offset = 0;
  const comments: string[] = [];
  for (;;) {
    while (offset < statement.length && /\s/.test(statement[offset]!)) offset += 1;
    const range = insideRange(ranges, offset);
    if (range === undefined || (range.kind !== 'line-comment' && range.kind !== 'block-comment')) break;
    comments.push(statement.slice(range.start, range.end));
    offset = range.end;
  }
  return comments.join('\n');
}

function parseGuards(comments: string): SqliteGuard[] {
  const guards: SqliteGuard[] = [];
  for (const match of comments.matchAll(GUARD_LINE)) {
    const kind = match[1]!;
    const operands = match[2]!.split(/\s+/).filter((operand) => operand.length > 0);
    if (!GUARD_KINDS.has(kind) || operands.length !== 2) {
      throw new Error(
        `Unknown guard "versioned-sessions:${kind} ${match[2]}"; expected skip-if-column-exists, skip-if-unique or skip-if-index-exists with <table> <column or index>.`,
      );
    }
    guards.push({ kind: kind as SqliteGuard['kind'], table: operands[0]!, column: operands[1]! });
  }
  return guards;
}

function withoutComments(text: string, ranges: ReturnType<typeof protectedRanges>): string {
  let code = '';
  let offset = 0;
  for (const range of ranges) {
    if (range.kind === 'string' || range.kind === 'identifier') continue;
    code += text.slice(offset, range.start);
    offset = range.end;
  }
  return code + text.slice(offset);
}

/**
 * Splits a SQLite script at every `;` that is plain code, keeping each statement's guards.
 *
 * @throws Error for an unknown guard.
 */
export function splitSqliteScript(script: string): SqliteScriptStatement[] {
  const ranges = protectedRanges(script, SQLITE_RULES);
  const statements: SqliteScriptStatement[] = [];
  let start = 0;
  const take = (end: number): void => {
    const sql = script.slice(start, end);
    start = end;
    const localRanges = protectedRanges(sql, SQLITE_RULES);
    const code = withoutComments(sql, localRanges).replace(/;\s*$/, '').trim();
    if (code === '') return;
    statements.push({ sql: sql.trim(), guards: parseGuards(leadingComments(sql, localRanges)) });
  };
  for (let index = script.indexOf(';'); index !== -1; index = script.indexOf(';', index + 1)) {
    if (insideRange(ranges, index) === undefined && !insideTriggerBody(script.slice(start, index))) take(index + 1);
  }
  take(script.length);
  return statements;
}
