/**
 * Property-based tests of bad input, run once per dialect against the real database: every public
 * entry point, given generated keys, data, states, versions, identifiers and options, either round-
 * trips faithfully or throws a typed InvalidArgumentError and leaves every table exactly as it was.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_IDENTIFIER_LENGTH } from '../../src/core/identifiers.js';
import { PostgresSessionStore } from '../../src/postgres/index.js';
import { InvalidArgumentError, SessionRepository, isConcurrencyError, withRetry, withSessionRetry } from '../../src/index.js';
import { describeUnavailable } from '../support/environment.js';
import { uniqueName } from '../support/names.js';
import type { DialectTarget, Fixture } from '../conformance/target.js';
import {
  anyData,
  anyIdentifier,
  anyKey,
  anyVersion,
  canonicalJson,
  dataIsValid,
  hostileString,
  identifierIsValid,
  keyIsValid,
  versionIsValid,
} from './arbitraries.js';
import { recordingConnection } from './recording.js';

/** Runs per property: bounded, because every run is a real round trip. */
const RUNS = Number(process.env['VERSIONED_SESSIONS_PROPERTY_RUNS'] ?? 40);

type Result = { ok: true; value: unknown } | { ok: false; error: unknown };

async function attempt(fn: () => Promise<unknown>): Promise<Result> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

function expectRefused(result: Result, argument: RegExp): void {
  expect(result.ok, 'expected a typed refusal').toBe(false);
  const error = (result as { error: unknown }).error;
  expect(error).toBeInstanceOf(InvalidArgumentError);
  expect((error as InvalidArgumentError).argument).toMatch(argument);
  expect((error as Error).message).toMatch(/^Invalid /);
}

function unwrap(result: Result): unknown {
  if (!result.ok) throw result.error;
  return result.value;
}

/** Both tables, row by row: what "nothing partially written" is checked against. */
async function snapshot(fixture: Fixture): Promise<string> {
  const sessions = await fixture.exec(`SELECT * FROM ${fixture.table}`);
  const processedTable =
    fixture.names.schema === null ? fixture.quote(fixture.names.processedTable) : `${fixture.quote(fixture.names.schema)}.${fixture.quote(fixture.names.processedTable)}`;
  const processed = await fixture.exec(`SELECT * FROM ${processedTable}`);
  const sort = (rows: Record<string, unknown>[]): string[] => rows.map((row) => JSON.stringify(row)).sort();
  return JSON.stringify([sort(sessions), sort(processed)]);
}

/** The key column exactly as stored, read with raw SQL. */
async function storedKeys(fixture: Fixture, key: string): Promise<string[]> {
  const column = fixture.quote(fixture.names.columns.key);
  const rows = await fixture.exec(`SELECT ${column} AS k FROM ${fixture.table} WHERE ${column} = ${fixture.placeholder(1)}`, [key]);
  return rows.map((row) => String(row['k']));
}

const KEY_ENTRY_POINTS = [
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

function callWithKey(repository: SessionRepository, entry: (typeof KEY_ENTRY_POINTS)[number], key: unknown): Promise<unknown> {
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
      return withSessionRetry(repository, k, (session) => repository.updateSession(k, { data: { paso: 2 } }, { expectedVersion: session.version }));
  }
}

export async function definePropertySuite(target: DialectTarget): Promise<void> {
  const availability = await target.availability();
  if (!availability.available) {
    describeUnavailable(target.dialect, `${target.dialect} properties`, availability.reason);
    return;
  }

  describe(`${target.dialect} properties of bad input`, () => {
    afterAll(() => target.close());

    it('keys: every key-taking entry point round-trips a valid key and refuses any other, writing nothing', async () => {
      const fixture = await target.createFixture();
      await fc.assert(
        fc.asyncProperty(anyKey, fc.constantFrom(...KEY_ENTRY_POINTS), async (key, entry) => {
          const before = await snapshot(fixture);
          const existed = keyIsValid(key) && (await fixture.repository.getSession(key)) !== null;
          const result = await attempt(() => callWithKey(fixture.repository, entry, key));
          if (!keyIsValid(key)) {
            expectRefused(result, /^(key|id)$/);
            expect(await snapshot(fixture)).toBe(before);
            return;
          }
          if (entry === 'updateSession' && !existed) {
            expect((result as { error?: { name?: string } }).error?.name).toBe('SessionNotFoundError');
            expect(await snapshot(fixture)).toBe(before);
            return;
          }
          const value = unwrap(result);
          if (entry === 'getOrCreateSession' || entry === 'withSessionRetry') {
            expect((value as { key: string }).key).toBe(key);
            expect((await fixture.repository.getSession(key))!.key).toBe(key);
            expect(await storedKeys(fixture, key)).toEqual([key]);
          }
          if (entry === 'markProcessed') {
            expect(await fixture.repository.isProcessed(key)).toBe(true);
            expect(await fixture.repository.markProcessed(key)).toBe(false);
          }
        }),
        { numRuns: RUNS * 2 },
      );
    });

    it('data: a faithful JSON object round-trips exactly; anything else is refused and nothing is written', async () => {
      const fixture = await target.createFixture();
      const maxDataLength = 4096;
      const repository = new SessionRepository({ store: fixture.store, maxDataLength });
      let counter = 0;
      await fc.assert(
        fc.asyncProperty(anyData, fc.constantFrom('updateSession', 'getOrCreateSession', 'withSessionRetry'), async (data, entry) => {
          const key = `+52155${String(++counter).padStart(8, '0')}`;
          if (entry !== 'getOrCreateSession') await repository.getOrCreateSession(key, { state: 'INICIO', data: { before: true } });
          const before = await snapshot(fixture);
          const write = (): Promise<unknown> => {
            if (entry === 'getOrCreateSession') return repository.getOrCreateSession(key, { data: data as Record<string, unknown> });
            if (entry === 'updateSession') return repository.updateSession(key, { data: data as Record<string, unknown> }, { expectedVersion: 0 });
            return withSessionRetry(repository, key, (session) =>
              repository.updateSession(key, { data: data as Record<string, unknown> }, { expectedVersion: session.version }),
            );
          };
          const result = await attempt(write);
          if (!dataIsValid(data, maxDataLength)) {
            expectRefused(result, /^(changes|initial)\.data/);
            expect(await snapshot(fixture)).toBe(before);
            return;
          }
          unwrap(result);
          const stored = await repository.getSession(key);
          expect(canonicalJson(stored!.data)).toBe(canonicalJson(data));
          expect(stored!.version).toBe(entry === 'getOrCreateSession' ? 0 : 1);
        }),
        { numRuns: RUNS * 2 },
      );
    });

    it('data: near the default 1,000,000-character limit, stored whole or refused whole', async () => {
      const fixture = await target.createFixture();
      await fixture.repository.getOrCreateSession('+5215512345678');
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 999_970, max: 1_000_010 }), async (length) => {
          const data = { huge: 'ü'.repeat(length - '{"huge":""}'.length) };
          const before = await snapshot(fixture);
          const current = await fixture.repository.getSession('+5215512345678');
          const result = await attempt(() => fixture.repository.updateSession('+5215512345678', { data }, { expectedVersion: current!.version }));
          if (length > 1_000_000) {
            expectRefused(result, /^changes\.data$/);
            expect(await snapshot(fixture)).toBe(before);
          } else {
            unwrap(result);
            expect(((await fixture.repository.getSession('+5215512345678'))!.data as { huge: string }).huge.length).toBe(data.huge.length);
          }
        }),
        { numRuns: 4 },
      );
    });

    it('states: a string or null round-trips; anything else is refused and nothing is written', async () => {
      const fixture = await target.createFixture();
      await fixture.repository.getOrCreateSession('+5215512345678');
      const anyState = fc.oneof(hostileString, fc.constant(null), fc.integer(), fc.constant(undefined), fc.constant({}));
      await fc.assert(
        fc.asyncProperty(anyState, async (state) => {
          const before = await snapshot(fixture);
          const result = await attempt(() => fixture.repository.updateSession('+5215512345678', { state: state as string }));
          const valid = state === undefined || state === null || (typeof state === 'string' && state.length <= 255 && !state.includes('\u0000') && state.isWellFormed());
          if (!valid) {
            expectRefused(result, /^changes\.state$/);
            expect(await snapshot(fixture)).toBe(before);
            return;
          }
          unwrap(result);
          const stored = await fixture.repository.getSession('+5215512345678');
          if (state !== undefined) expect(stored!.state).toBe(state);
        }),
        { numRuns: RUNS },
      );
    });

    it('versions: updateSession and deleteSession accept only null or an integer 0…2^31−1, and honour it', async () => {
      const fixture = await target.createFixture();
      let counter = 0;
      await fc.assert(
        fc.asyncProperty(anyVersion, fc.integer({ min: 0, max: 3 }), fc.boolean(), async (expectedVersion, bumps, deleting) => {
          const key = `+52155${String(++counter).padStart(8, '0')}`;
          await fixture.repository.getOrCreateSession(key, { data: { n: 0 } });
          for (let version = 0; version < bumps; version++) await fixture.repository.updateSession(key, { data: { n: version + 1 } }, { expectedVersion: version });
          const before = await snapshot(fixture);
          const options = { expectedVersion: expectedVersion as number };
          const result = await attempt(() =>
            deleting ? fixture.repository.deleteSession(key, options) : fixture.repository.updateSession(key, { data: { n: 99 } }, options),
          );
          if (!versionIsValid(expectedVersion)) {
            expectRefused(result, /^options\.expectedVersion$/);
            expect(await snapshot(fixture)).toBe(before);
            return;
          }
          const matches = expectedVersion === null || expectedVersion === undefined || expectedVersion === bumps;
          if (!matches) {
            expect(result.ok).toBe(false);
            expect(isConcurrencyError((result as { error: unknown }).error)).toBe(true);
            expect((result as { error: { actualVersion: number } }).error.actualVersion).toBe(bumps);
            expect(await snapshot(fixture)).toBe(before);
            return;
          }
          unwrap(result);
          const stored = await fixture.repository.getSession(key);
          if (deleting) expect(stored).toBeNull();
          else expect(stored).toMatchObject({ version: bumps + 1, data: { n: 99 } });
        }),
        { numRuns: RUNS },
      );
    });

    it('identifiers: a plain name round-trips through a real table; anything else is refused before any SQL is sent', async () => {
      const fixture = await target.createFixture();
      const connection = await recordingConnection(fixture.connection);
      const maxLength = MAX_IDENTIFIER_LENGTH[target.dialect];
      const roles = ['key', 'state', 'data', 'version', 'createdAt', 'updatedAt'] as const;
      const plainName = fc.oneof(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/), fc.constantFrom('select', 'order', 'user', 'Key'));
      const fields = ['table', 'processedTable', 'schema', ...roles.map((role) => `columns.${role}`)];
      // Mostly plain names with one field replaced by a generated (often hostile) one, so that both
      // the refusals and the round trips happen often.
      const optionsArbitrary = fc
        .tuple(
          fc.record(Object.fromEntries(fields.filter((field) => field !== 'schema').map((field) => [field, plainName])), { requiredKeys: [] }),
          fc.constantFrom(...fields),
          anyIdentifier,
          fc.boolean(),
        )
        .map(([plain, field, value, replace]) => {
          const flat: Record<string, unknown> = { ...plain };
          if (replace) flat[field] = value;
          const options: Record<string, unknown> = {};
          const columns: Record<string, unknown> = {};
          for (const [name, entry] of Object.entries(flat)) {
            if (name.startsWith('columns.')) columns[name.slice('columns.'.length)] = entry;
            else options[name] = entry;
          }
          if (Object.keys(columns).length > 0) options['columns'] = columns;
          return options;
        });
      let roundTrips = 0;
      try {
        await fc.assert(
          fc.asyncProperty(optionsArbitrary, async (options) => {
            const columns = (options['columns'] ?? {}) as Record<string, unknown>;
            const names = [options['table'], options['processedTable'], ...Object.values(columns)].filter((name) => name !== undefined);
            const defaults = ['key', 'state', 'data', 'version', 'created_at', 'updated_at'];
            const effective = roles.map((role, index) => (typeof columns[role] === 'string' ? (columns[role] as string).toLowerCase() : defaults[index]!));
            const schemaValid =
              options['schema'] === undefined || (target.dialect !== 'sqlite' && identifierIsValid(options['schema'], maxLength));
            const tables = [options['table'] ?? 'sessions', options['processedTable'] ?? 'processed_operations'].map((name) => String(name).toLowerCase());
            const valid =
              schemaValid &&
              names.every((name) => identifierIsValid(name, maxLength)) &&
              new Set(effective).size === effective.length &&
              tables[0] !== tables[1];
            connection.statements.length = 0;
            const constructed = await attempt(() => Promise.resolve(connection.newStore(options)));
            if (!valid) {
              expectRefused(constructed, /^(table|processedTable|schema|columns\.\w+)$/);
              expect(connection.statements).toEqual([]);
              return;
            }
            unwrap(constructed);
            // A real table under the generated names, in a schema of this test's own (PostgreSQL) or
            // dropped afterwards from this test's own file (SQLite).
            const ownOptions: Record<string, unknown> = { ...options };
            if (target.dialect === 'postgres') ownOptions['schema'] = uniqueName('vsp');
            try {
              await connection.migrate(ownOptions);
              const repository = new SessionRepository({ store: connection.newStore(ownOptions) });
              await repository.verifySchema();
              const created = await repository.getOrCreateSession('+5215512345678', { state: 'INICIO', data: { a: 1 } });
              const updated = await repository.updateSession('+5215512345678', { data: { a: 2 } }, { expectedVersion: created.version });
              expect(updated).toMatchObject({ version: 1, state: 'INICIO', data: { a: 2 } });
              expect(await repository.markProcessed('wamid.1')).toBe(true);
              expect(await repository.isProcessed('wamid.1')).toBe(true);
            } finally {
              await connection.dropMigrated(ownOptions);
            }
            roundTrips++;
          }),
          { numRuns: RUNS },
        );
      } finally {
        await connection.close();
      }
      expect(roundTrips).toBeGreaterThan(0);
    });

    it('masking: a conflict names the key only masked, whatever the key', async () => {
      const fixture = await target.createFixture();
      const phoneLike = fc.string({ unit: fc.constantFrom(...'+0123456789 abcñ用🙂'), minLength: 9, maxLength: 40 });
      await fc.assert(
        fc.asyncProperty(phoneLike, async (key) => {
          const session = await fixture.repository.getOrCreateSession(key);
          const result = await attempt(() => fixture.repository.updateSession(key, { state: 'X' }, { expectedVersion: session.version + 1 }));
          expect(isConcurrencyError((result as { error: unknown }).error)).toBe(true);
          const error = (result as { error: Error & { maskedKey: string } }).error;
          expect(error.message).not.toContain(key);
          expect(error.message).toContain(error.maskedKey);
          // At most seven characters of the key stay visible, the rest are '*'.
          expect(Array.from(error.maskedKey).filter((character) => character !== '*').length).toBeLessThanOrEqual(7);
          expect(Array.from(error.maskedKey)).toHaveLength(Array.from(key).length);
        }),
        { numRuns: RUNS },
      );
    });

    it('store options: a bad connection or option is refused at construction, before any statement', async () => {
      const fixture = await target.createFixture();
      const connection = await recordingConnection(fixture.connection);
      const anyValue = fc.oneof(fc.integer({ min: -3, max: 10_000 }), fc.double(), fc.constantFrom(Number.NaN, '5', null, true, false, {}, undefined));
      try {
        await fc.assert(
          fc.asyncProperty(fc.constantFrom(...(target.dialect === 'sqlite' ? ['busyTimeoutMs', 'wal'] : ['pool'])), anyValue, async (name, value) => {
            connection.statements.length = 0;
            const options = { ...fixture.tableOptions };
            let constructed: unknown;
            try {
              constructed =
                name === 'pool' ? new PostgresSessionStore({ ...options, pool: value } as never) : connection.newStore({ ...options, [name]: value });
            } catch (error) {
              constructed = error;
            }
            // null, like undefined, means the default.
            const valid =
              name === 'busyTimeoutMs'
                ? value === undefined || value === null || (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)
                : name === 'wal'
                  ? value === undefined || typeof value === 'boolean'
                  : false;
            if (valid) {
              expect(constructed).not.toBeInstanceOf(Error);
            } else {
              expect(constructed).toBeInstanceOf(InvalidArgumentError);
              expect((constructed as InvalidArgumentError).argument).toBe(name);
              expect(connection.statements).toEqual([]);
            }
          }),
          { numRuns: RUNS },
        );
      } finally {
        await connection.close();
      }
    });

    it('options: bad retry, repository and store options are refused before anything runs or is written', async () => {
      const fixture = await target.createFixture();
      const anyOption = fc.oneof(fc.integer({ min: -3, max: 5 }), fc.double(), fc.constantFrom(Number.NaN, '3', null, true, {}, () => 1, 2 ** 60));
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('maxAttempts', 'baseDelayMs', 'maxDelayMs', 'jitter', 'operationName', 'onRetry', 'shouldRetry', 'random', 'signal'),
          anyOption,
          fc.boolean(),
          async (name, value, session) => {
            const before = await snapshot(fixture);
            let calls = 0;
            const key = '+5215500000001';
            const options = { [name]: value, baseDelayMs: name === 'baseDelayMs' ? value : 0 } as never;
            const result = await attempt(() =>
              session
                ? withSessionRetry(fixture.repository, key, (current) => {
                    calls++;
                    return fixture.repository.updateSession(key, { state: 'X' }, { expectedVersion: current.version });
                  }, options)
                : withRetry(() => Promise.resolve(++calls), options),
            );
            if (!result.ok) {
              // Whatever was refused was refused up front, typed, and before the work ran.
              expectRefused(result, new RegExp(`^(${name}|maxDelayMs)$`));
              expect(calls).toBe(0);
              expect(await snapshot(fixture)).toBe(before);
            } else {
              expect(calls).toBe(1);
            }
          },
        ),
        { numRuns: RUNS },
      );
      const olderThan = fc.oneof(
        fc.date({ noInvalidDate: false }),
        fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z') }),
        fc.constantFrom(undefined, null, 0, '2026-01-01', {}, new Date('+010000-01-01T00:00:00Z'), new Date('-004714-01-01T00:00:00Z')),
      );
      await fc.assert(
        fc.asyncProperty(olderThan, async (value) => {
          await fixture.repository.markProcessed('wamid.keep');
          const before = await snapshot(fixture);
          const result = await attempt(() => fixture.repository.pruneProcessed({ olderThan: value as Date }));
          const year = value instanceof Date ? value.getUTCFullYear() : Number.NaN;
          if (!(year >= 1 && year <= 9999)) {
            expectRefused(result, /^olderThan$/);
            expect(await snapshot(fixture)).toBe(before);
            return;
          }
          // The id was recorded moments ago: a cut-off a day either side of now must keep or prune it.
          const cutoff = (value as Date).getTime();
          const day = 24 * 3600_000;
          if (cutoff < Date.now() - day) {
            expect(unwrap(result)).toBe(0);
            expect(await fixture.repository.isProcessed('wamid.keep')).toBe(true);
          } else if (cutoff > Date.now() + day) {
            expect(unwrap(result)).toBe(1);
            expect(await fixture.repository.isProcessed('wamid.keep')).toBe(false);
          }
        }),
        { numRuns: RUNS },
      );
      await fc.assert(
        fc.property(anyOption, (maxDataLength) => {
          const constructed = (() => {
            try {
              return new SessionRepository({ store: fixture.store, maxDataLength: maxDataLength as number });
            } catch (error) {
              return error;
            }
          })();
          // null, like undefined, means the default.
          const valid = maxDataLength === null || (typeof maxDataLength === 'number' && Number.isSafeInteger(maxDataLength) && maxDataLength >= 2);
          if (valid) expect(constructed).toBeInstanceOf(SessionRepository);
          else expect(constructed).toBeInstanceOf(InvalidArgumentError);
        }),
        { numRuns: RUNS },
      );
    });
  });
}
