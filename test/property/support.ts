/**
 * What the property cases share: the bounded run count, a call's outcome, the typed-refusal check and
 * the table snapshot that "nothing partially written" is checked against.
 */
import { expect } from 'vitest';
import { InvalidArgumentError, withSessionRetry, type SessionRepository } from '../../src/index.js';
import type { Fixture } from '../conformance/target.js';

/** Runs per property: bounded, because every run is a real round trip. */
export const RUNS = Number(process.env['VERSIONED_SESSIONS_PROPERTY_RUNS'] ?? 40);

export type Result = { ok: true; value: unknown } | { ok: false; error: unknown };

export async function attempt(fn: () => Promise<unknown>): Promise<Result> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

export function expectRefused(result: Result, argument: RegExp): void {
  expect(result.ok, 'expected a typed refusal').toBe(false);
  const error = (result as { error: unknown }).error;
  expect(error).toBeInstanceOf(InvalidArgumentError);
  expect((error as InvalidArgumentError).argument).toMatch(argument);
  const { argument: named, message } = error as InvalidArgumentError;
  expect(message.startsWith(`Expected \`${named}\` to `), message).toBe(true);
  expect(message).toMatch(/, got [^.]+\./);
}

export function unwrap(result: Result): unknown {
  if (!result.ok) throw result.error;
  return result.value;
}

/** Both tables, row by row: what "nothing partially written" is checked against. */
export async function snapshot(fixture: Fixture): Promise<string> {
  const sessions = await fixture.exec(`SELECT * FROM ${fixture.table}`);
  const processedTable =
    fixture.names.schema === null
      ? fixture.quote(fixture.names.processedTable)
      : `${fixture.quote(fixture.names.schema)}.${fixture.quote(fixture.names.processedTable)}`;
  const processed = await fixture.exec(`SELECT * FROM ${processedTable}`);
  const sort = (rows: Record<string, unknown>[]): string[] => rows.map((row) => JSON.stringify(row)).sort();
  return JSON.stringify([sort(sessions), sort(processed)]);
}

/** The key column exactly as stored, read with raw SQL. */
export async function storedKeys(fixture: Fixture, key: string): Promise<string[]> {
  const column = fixture.quote(fixture.names.columns.key);
  const rows = await fixture.exec(
    `SELECT ${column} AS k FROM ${fixture.table} WHERE ${column} = ${fixture.placeholder(1)}`,
    [key],
  );
  return rows.map((row) => String(row['k']));
}

export const KEY_ENTRY_POINTS = [
  'getSession',
  'getSessionWithVersion',
  'getOrCreateSession',
  'updateSession',
  'deleteSession',
  'touchSession',
  'markProcessed',
  'isProcessed',
  'withSessionRetry',
] as const;

export function callWithKey(
  repository: SessionRepository,
  entry: (typeof KEY_ENTRY_POINTS)[number],
  key: unknown,
): Promise<unknown> {
  const k = key as string;
  switch (entry) {
    case 'getSession':
      return repository.getSession(k);
    case 'getSessionWithVersion':
      return repository.getSessionWithVersion(k);
    case 'getOrCreateSession':
      return repository.getOrCreateSession(k, { state: 'INICIO', data: { paso: 1 } });
    case 'updateSession':
      return repository.updateSession(k, { state: 'NEXT' });
    case 'deleteSession':
      return repository.deleteSession(k);
    case 'touchSession':
      return repository.touchSession(k);
    case 'markProcessed':
      return repository.markProcessed(k);
    case 'isProcessed':
      return repository.isProcessed(k);
    case 'withSessionRetry':
      return withSessionRetry(repository, k, (session) =>
        repository.updateSession(k, { data: { paso: 2 } }, { expectedVersion: session.version }),
      );
  }
}
