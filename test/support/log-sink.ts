/**
 * One sink for everything a test file's repositories log, so a final check can assert that no phone
 * number ever reached a log line. Fixtures log into it; tests with a sink of their own tee into it;
 * worker threads send their lines back to it.
 */
import type { Logger } from '../../src/core/observability/logger.js';

export interface LoggedLine {
  readonly level: string;
  readonly line: string;
}

/** An E.164-like number: an optional `+` and 8 to 15 digits in a row. */
export const E164_LIKE = /\+?\d{8,15}/;

const lines: LoggedLine[] = [];

function record(level: string): (line: string) => void {
  return (line) => {
    lines.push({ level, line: String(line) });
  };
}

/** Every line logged in this test file so far. */
export const suiteLog = {
  lines: lines as readonly LoggedLine[],
  /** A logger that writes every level into the sink. */
  logger: {
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
  } satisfies Logger,
  /** A logger that writes into the sink and into `local` (each level `local` has). */
  tee(local: Logger): Logger {
    const both = (level: 'debug' | 'info' | 'warn' | 'error') => (line: string) => {
      record(level)(line);
      local[level]?.(line);
    };
    return { debug: both('debug'), info: both('info'), warn: both('warn'), error: both('error') };
  },
  /** Adds lines logged elsewhere (a worker thread). */
  add(logged: readonly LoggedLine[]): void {
    lines.push(...logged);
  },
};
