/**
 * Property cases for configuration: identifiers, store options, retry and repository options, and
 * pruneProcessed's cut-off date.
 */
import fc from 'fast-check';
import { it, expect } from 'vitest';
import { MAX_IDENTIFIER_LENGTH } from '../../src/core/sql/table-names.js';
import { InvalidArgumentError, SessionRepository, withRetry, withSessionRetry } from '../../src/index.js';
import { uniqueName } from '../support/names.js';
import type { DialectTarget } from '../conformance/target.js';
import { anyIdentifier, identifierIsValid } from './arbitraries.js';
import { recordingConnection } from './recording.js';
import { RUNS, attempt, expectRefused, snapshot, unwrap } from './support.js';

/** Registers the configuration cases for `target` (inside its describe block). */
export function defineConfigurationCases(target: DialectTarget): void {
  it('identifiers: a plain name round-trips through a real table; anything else is refused before any SQL is sent', async () => {
    const fixture = await target.createFixture();
    const connection = await recordingConnection(fixture.connection);
    const maxLength = MAX_IDENTIFIER_LENGTH[target.dialect];
    const roles = ['key', 'state', 'data', 'version', 'createdAt', 'updatedAt'] as const;
    const plainName = fc.oneof(
      fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/),
      fc.constantFrom('select', 'order', 'user', 'Key'),
    );
    const fields = ['table', 'processedTable', 'schema', ...roles.map((role) => `columns.${role}`)];
    // Mostly plain names with one field replaced by a generated (often hostile) one, so that both
    // the refusals and the round trips happen often.
    const optionsArbitrary = fc
      .tuple(
        fc.record(Object.fromEntries(fields.filter((field) => field !== 'schema').map((field) => [field, plainName])), {
          requiredKeys: [],
        }),
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
          const names = [options['table'], options['processedTable'], ...Object.values(columns)].filter(
            (name) => name !== undefined,
          );
          const defaults = ['key', 'state', 'data', 'version', 'created_at', 'updated_at'];
          const effective = roles.map((role, index) =>
            typeof columns[role] === 'string' ? (columns[role] as string).toLowerCase() : defaults[index]!,
          );
          const schemaValid =
            options['schema'] === undefined ||
            (target.dialect !== 'sqlite' && identifierIsValid(options['schema'], maxLength));
          const tables = [options['table'] ?? 'sessions', options['processedTable'] ?? 'processed_operations'].map(
            (name) => String(name).toLowerCase(),
          );
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
          // A real table under the generated names, in a schema of this test's own (PostgreSQL, MySQL) or
          // dropped afterwards from this test's own file (SQLite).
          const ownOptions: Record<string, unknown> = { ...options };
          if (target.dialect === 'postgres' || target.dialect === 'mysql') ownOptions['schema'] = uniqueName('vsp');
          try {
            await connection.migrate(ownOptions);
            const repository = new SessionRepository({ store: connection.newStore(ownOptions) });
            await repository.verifySchema();
            const created = await repository.getOrCreateSession('+5215512345678', { state: 'INICIO', data: { a: 1 } });
            const updated = await repository.updateSession(
              '+5215512345678',
              { data: { a: 2 } },
              { expectedVersion: created.version },
            );
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

  it('store options: a bad connection or option is refused at construction, before any statement', async () => {
    const fixture = await target.createFixture();
    const connection = await recordingConnection(fixture.connection);
    const anyValue = fc.oneof(
      fc.integer({ min: -3, max: 10_000 }),
      fc.double(),
      fc.constantFrom(Number.NaN, '5', null, true, false, {}, undefined),
    );
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...(target.dialect === 'sqlite' ? ['busyTimeoutMs', 'wal'] : ['pool'])),
          anyValue,
          async (name, value) => {
            connection.statements.length = 0;
            const options = { ...fixture.tableOptions };
            let constructed: unknown;
            try {
              constructed =
                name === 'pool'
                  ? fixture.newStore({ ...options, pool: value })
                  : connection.newStore({ ...options, [name]: value });
            } catch (error) {
              constructed = error;
            }
            // null, like undefined, means the default.
            const valid =
              name === 'busyTimeoutMs'
                ? value === undefined ||
                  value === null ||
                  (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)
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
          },
        ),
        { numRuns: RUNS },
      );
    } finally {
      await connection.close();
    }
  });

  it('options: bad retry, repository and store options are refused before anything runs or is written', async () => {
    const fixture = await target.createFixture();
    const anyOption = fc.oneof(
      fc.integer({ min: -3, max: 5 }),
      fc.double(),
      fc.constantFrom(Number.NaN, '3', null, true, {}, () => 1, 2 ** 60),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          'maxAttempts',
          'baseDelayMs',
          'maxDelayMs',
          'jitter',
          'operationName',
          'onRetry',
          'shouldRetry',
          'random',
          'signal',
        ),
        anyOption,
        fc.boolean(),
        async (name, value, session) => {
          const before = await snapshot(fixture);
          let calls = 0;
          const key = '+5215500000001';
          const options = { [name]: value, baseDelayMs: name === 'baseDelayMs' ? value : 0 } as never;
          const result = await attempt(() =>
            session
              ? withSessionRetry(
                  fixture.repository,
                  key,
                  (current) => {
                    calls++;
                    return fixture.repository.updateSession(key, { state: 'X' }, { expectedVersion: current.version });
                  },
                  options,
                )
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
      fc.constantFrom(
        undefined,
        null,
        0,
        '2026-01-01',
        {},
        new Date('+010000-01-01T00:00:00Z'),
        new Date('-004714-01-01T00:00:00Z'),
      ),
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
        const valid =
          maxDataLength === null ||
          (typeof maxDataLength === 'number' && Number.isSafeInteger(maxDataLength) && maxDataLength >= 2);
        if (valid) expect(constructed).toBeInstanceOf(SessionRepository);
        else expect(constructed).toBeInstanceOf(InvalidArgumentError);
      }),
      { numRuns: RUNS },
    );
  });
}
