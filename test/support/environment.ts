/**
 * Which databases the tests can reach, and what to do when one cannot be reached: skip with a printed
 * reason, or fail when `VERSIONED_SESSIONS_REQUIRE` names the dialect.
 */
import { describe, it } from 'vitest';
import type { Dialect } from '../../src/core/dialect.js';

export type Availability = { available: true; url: string } | { available: false; reason: string };

export function requiredDialects(): Set<string> {
  return new Set(
    (process.env['VERSIONED_SESSIONS_REQUIRE'] ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter((name) => name.length > 0),
  );
}

export function isRequired(dialect: Dialect): boolean {
  return requiredDialects().has(dialect);
}

/** Probes for a container engine without letting the probe hang the run. */
export async function containerRuntimeAvailable(timeoutMs = 10_000): Promise<{ ok: boolean; reason: string }> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([getContainerRuntimeClient(), timeout]);
    } finally {
      clearTimeout(timer);
    }
    return { ok: true, reason: '' };
  } catch (error) {
    return { ok: false, reason: `no container engine (${error instanceof Error ? error.message : String(error)})` };
  }
}

/** Hides credentials in a connection URL (or an ADO-style `Password=…;` string) before it is printed. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]*)@/, '//$1:***@').replace(/((?:^|;)\s*(?:Password|Pwd)\s*=)[^;]*/gi, '$1***');
}

/**
 * Registers, in place of a dialect's suite, either a failing case (the dialect is required by
 * `VERSIONED_SESSIONS_REQUIRE`) or a printed, visible skip with its reason.
 */
export function describeUnavailable(dialect: Dialect, title: string, reason: string): void {
  if (isRequired(dialect)) {
    describe(title, () => {
      it('is required by VERSIONED_SESSIONS_REQUIRE but unavailable', () => {
        throw new Error(`${dialect} is required but unavailable: ${reason}`);
      });
    });
    return;
  }
  console.warn(`[versioned-sessions tests] skipping ${title}: ${reason}`);
  describe.skip(`${title} (skipped: ${reason})`, () => {
    it('needs a database', () => undefined);
  });
}

/** A database a target reached: its URL, and how to stop the container started for it (if one was). */
export interface ReachedDatabase {
  readonly availability: Availability;
  readonly url: string | undefined;
  readonly stop: (() => Promise<unknown>) | undefined;
}

/** A database container a target started, and how to stop it. */
export type StartContainer = () => Promise<{ readonly url: string; stop(): Promise<unknown> }>;

/** A PostgreSQL 15 container (testcontainers), for a target whose URL variable is not set. */
export const startPostgresContainer: StartContainer = async () => {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer('postgres:15-alpine').start();
  return { url: container.getConnectionUri(), stop: () => container.stop() };
};

/**
 * The one way a dialect target finds its database: the URL in `variable` when it is set, else a
 * container started by `startContainer` when one is given and a container engine answers; then `probe`
 * must succeed on it. Unavailable results say why, with any password in the URL hidden.
 */
export async function reachDatabase(
  variable: string,
  startContainer: StartContainer | undefined,
  probe: (url: string) => Promise<unknown>,
): Promise<ReachedDatabase> {
  let url = process.env[variable];
  let stop: (() => Promise<unknown>) | undefined;
  if (url === undefined || url === '') {
    if (startContainer === undefined) {
      return { availability: { available: false, reason: `${variable} is not set` }, url: undefined, stop: undefined };
    }
    const runtime = await containerRuntimeAvailable();
    if (!runtime.ok) {
      return {
        availability: { available: false, reason: `${variable} is not set and ${runtime.reason}` },
        url: undefined,
        stop: undefined,
      };
    }
    const started = await startContainer();
    url = started.url;
    stop = () => started.stop();
  }
  try {
    await probe(url);
  } catch (error) {
    return {
      availability: { available: false, reason: `cannot connect to ${redactUrl(url)}: ${(error as Error).message}` },
      url,
      stop,
    };
  }
  return { availability: { available: true, url: redactUrl(url) }, url, stop };
}
