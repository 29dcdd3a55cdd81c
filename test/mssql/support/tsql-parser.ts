/**
 * A real T-SQL grammar for the tests: the grammars-v4 TSqlParser (ANTLR 4) as built by `antlr4ts-sql`.
 * A text is parsed from the whole-input rule `tsql_file`, which ends at EOF, so anything the grammar
 * cannot place — trailing garbage included — is a syntax error. Every lexer and parser error is
 * collected; none is printed.
 */
import { antlr4tsSQL, SQLDialect, TSQLGrammar, type ANTLRErrorListener } from 'antlr4ts-sql';

const tsql = new antlr4tsSQL(SQLDialect.TSQL);

/** The syntax errors of `text` as `line:column message` (the expected-token lists cut short); empty when it parses. */
export function tsqlSyntaxErrors(text: string): string[] {
  const errors: string[] = [];
  const listener: ANTLRErrorListener<unknown> = {
    syntaxError: (_recognizer, _symbol, line, column, message) => {
      errors.push(`${line}:${column} ${message.length > 160 ? `${message.slice(0, 160)}…` : message}`);
    },
  };
  const parser = tsql.getParser(tsql.getTokens(text, [listener]), [listener]);
  if (!(parser instanceof TSQLGrammar.TSqlParser)) throw new Error('antlr4ts-sql did not return its T-SQL parser');
  parser.tsql_file();
  return errors;
}
