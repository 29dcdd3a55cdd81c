/**
 * Finds the parts of SQL text where a separator must not be seen: string literals, quoted identifiers
 * and comments. The batch splitter (T-SQL `GO`) and the statement splitter (SQLite `;`) both ask it
 * whether a position is plain code, so a `GO` or a `;` inside a string or a comment never splits.
 *
 * @module
 */

/** A span of text that is not plain code: `[start, end)` offsets. */
export interface ProtectedRange {
  readonly start: number;
  readonly end: number;
  readonly kind: 'string' | 'identifier' | 'line-comment' | 'block-comment';
}

/** How one dialect writes strings, identifiers and comments. */
export interface LexerRules {
  /** T-SQL block comments nest (`/* a /* b *\/ c *\/`); SQLite's do not. */
  readonly nestedBlockComments: boolean;
  /** Backtick-quoted identifiers (SQLite, for MySQL compatibility). */
  readonly backtickIdentifiers: boolean;
}

function closeQuote(text: string, from: number, quote: string): number {
  // A doubled quote is an escaped quote; anything else ends the literal.
  let index = from;
  for (;;) {
    const next = text.indexOf(quote, index);
    if (next === -1) return text.length;
    if (text[next + 1] === quote) {
      index = next + 2;
      continue;
    }
    return next + 1;
  }
}

function closeBlockComment(text: string, from: number, nested: boolean): number {
  let depth = 1;
  let index = from;
  while (index < text.length) {
    if (text.startsWith('*/', index)) {
      depth -= 1;
      index += 2;
      if (depth === 0) return index;
    } else if (nested && text.startsWith('/*', index)) {
      depth += 1;
      index += 2;
    } else {
      index += 1;
    }
  }
  return text.length;
}

/** Every string, quoted identifier and comment in `text`, in order. Unterminated ones run to the end. */
export function protectedRanges(text: string, rules: LexerRules): ProtectedRange[] {
  const ranges: ProtectedRange[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index]!;
    let end = -1;
    let kind: ProtectedRange['kind'] = 'string';
    if (char === "'") {
      end = closeQuote(text, index + 1, "'");
    } else if (char === '"' || (char === '`' && rules.backtickIdentifiers)) {
      end = closeQuote(text, index + 1, char);
      kind = 'identifier';
    } else if (char === '[') {
      end = closeQuote(text, index + 1, ']');
      kind = 'identifier';
    } else if (text.startsWith('--', index)) {
      const newline = text.indexOf('\n', index);
      end = newline === -1 ? text.length : newline;
      kind = 'line-comment';
    } else if (text.startsWith('/*', index)) {
      end = closeBlockComment(text, index + 2, rules.nestedBlockComments);
      kind = 'block-comment';
    }
    if (end === -1) {
      index += 1;
    } else {
      ranges.push({ start: index, end, kind });
      index = end;
    }
  }
  return ranges;
}

/** Whether `offset` lies strictly inside one of `ranges` (a range's first character counts as inside). */
export function insideRange(ranges: readonly ProtectedRange[], offset: number): ProtectedRange | undefined {
  // Ranges are sorted and disjoint: binary search for the last one starting at or before `offset`.
  let low = 0;
  let high = ranges.length - 1;
  let found: ProtectedRange | undefined;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const range = ranges[middle]!;
    if (range.start <= offset) {
      found = range;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found !== undefined && offset < found.end ? found : undefined;
}
