/**
 * Adapts whatever logger the caller hands over (console, pino, an Azure Functions context) to four
 * methods that always exist.
 *
 * @module
 */
/**
 * A console-compatible logger. `console`, pino, winston and an Azure Functions v4 `InvocationContext`
 * fit as they are; a method that is missing falls back to `log`, then to nothing.
 *
 * @example
 * ```ts
 * new SessionRepository({ store, logger: context }); // Azure Functions v4
 * ```
 */
export interface Logger {
  /** Debug lines, e.g. each refused conditional write. */
  debug?(message: string, ...meta: unknown[]): void;
  /** Informational lines. */
  info?(message: string, ...meta: unknown[]): void;
  /** Retries after a conflict (`[ConcurrencyRetry] …`). */
  warn?(message: string, ...meta: unknown[]): void;
  /** Retries given up. */
  error?(message: string, ...meta: unknown[]): void;
  /** The fallback for any level the logger lacks. */
  log?(message: string, ...meta: unknown[]): void;
}

/**
 * A logger with every level present: what {@link SessionRepository.logger} exposes, whatever logger
 * the repository was given.
 *
 * @example
 * ```ts
 * const log: LevelLogger = repository.logger;
 * log.info('session store ready');
 * ```
 */
export interface LevelLogger {
  /** Detail for debugging, e.g. each refused conditional write. */
  debug(message: string): void;
  /** Routine events. */
  info(message: string): void;
  /** Something that was handled, e.g. a retry after a conflict. */
  warn(message: string): void;
  /** Something that was not handled, e.g. retries given up. */
  error(message: string): void;
}

type Level = 'debug' | 'info' | 'warn' | 'error';
type LogMethod = (message: string, ...meta: unknown[]) => void;

const silent = (): void => {};

// An Azure Functions v3 context has no level methods of its own: `context.log` is a function that also
// carries `error`, `warn`, `info` and `verbose`.
const V3_LEVEL: Readonly<Record<Level, string>> = { debug: 'verbose', info: 'info', warn: 'warn', error: 'error' };

function bind(owner: unknown, method: unknown): ((message: string) => void) | undefined {
  return typeof method === 'function' ? (message) => (method as LogMethod).call(owner, message) : undefined;
}

/**
 * Binds each level to the logger's own method (console, pino, an Azure Functions v4 context), then to
 * `log.<level>` (an Azure Functions v3 context), then to `log`, then to nothing.
 */
export function toLevelLogger(logger: Logger | undefined): LevelLogger {
  if (logger === undefined) return { debug: silent, info: silent, warn: silent, error: silent };
  const log = logger.log as (LogMethod & Record<string, unknown>) | undefined;
  const pick = (level: Level): ((message: string) => void) =>
    bind(logger, logger[level]) ??
    (typeof log === 'function' ? bind(log, log[V3_LEVEL[level]]) : undefined) ??
    bind(logger, log) ??
    silent;
  return { debug: pick('debug'), info: pick('info'), warn: pick('warn'), error: pick('error') };
}
