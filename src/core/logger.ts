/**
 * Adapts whatever logger the caller hands over (console, pino, an Azure Functions context) to four
 * methods that always exist.
 *
 * @module
 */
import type { Logger } from './types.js';

/** A logger with every level present. */
export interface LevelLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const silent = (): void => {};

/** Binds each level to the logger's own method, falling back to `log`, then to nothing. */
export function toLevelLogger(logger: Logger | undefined): LevelLogger {
  if (logger === undefined) return { debug: silent, info: silent, warn: silent, error: silent };
  const pick = (level: 'debug' | 'info' | 'warn' | 'error'): ((message: string) => void) => {
    const method = logger[level] ?? logger.log;
    return typeof method === 'function' ? (message) => method.call(logger, message) : silent;
  };
  return { debug: pick('debug'), info: pick('info'), warn: pick('warn'), error: pick('error') };
}
