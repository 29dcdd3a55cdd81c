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
