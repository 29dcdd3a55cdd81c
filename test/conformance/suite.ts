/**
 * The conformance suite: every behaviour of shared/API.md, run once per dialect against a real
 * database. A dialect is done when it passes all of it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  ConcurrencyError,
  InvalidArgumentError,
  MigrationRequiredError,
  SessionNotFoundError,
  SessionRepository,
  isConcurrencyError,
  isVersionedSessionError,
  withSessionRetry,
} from '../../src/index.js';
import { isRequired } from '../support/environment.js';
import { runParallel } from '../support/parallel.js';
import { defineExactlyOnceCases } from './exactly-once-cases.js';
import { defineKeyQueueCases } from './key-queue-cases.js';
import type { DialectTarget, Fixture } from './target.js';
import { defineTransactionCases } from './transaction-cases.js';

const PHONE = '+5215512345678';
const MASKED = '+52*******5678';

type Counter = { counter?: number };

async function rowCount(fixture: Fixture): Promise<number> {
  const rows = await fixture.exec(`SELECT COUNT(*) AS n FROM ${fixture.table}`);
  return Number(rows[0]!['n']);
}

/** Registers the suite for `target`, or a skip with its reason (a failure when the dialect is required). */
export async function defineConformanceSuite(target: DialectTarget): Promise<void> {
  const availability = await target.availability();
  if (!availability.available) {
    if (isRequired(target.dialect)) {
      describe(`${target.dialect} conformance`, () => {
        it(`is required by VERSIONED_SESSIONS_REQUIRE but unavailable`, () => {
          throw new Error(`${target.dialect} is required but unavailable: ${availability.reason}`);
        });
      });
    } else {
      console.warn(`[versioned-sessions tests] skipping the ${target.dialect} conformance suite: ${availability.reason}`);
      describe.skip(`${target.dialect} conformance (skipped: ${availability.reason})`, () => {
        it('needs a database', () => undefined);
      });
    }
    return;
  }

  describe(`${target.dialect} conformance`, () => {
    afterAll(() => target.close());
    defineKeyQueueCases(target);

    defineExactlyOnceCases(target);
    defineTransactionCases(target);

    describe('reading and creating', () => {
      it('returns null for a key that has no session', async () => {
        const { repository } = await target.createFixture();
        expect(await repository.getSession(PHONE)).toBeNull();
        expect(await repository.getSessionWithVersion(PHONE)).toBeNull();
      });

      it('creates a session at version 0 with the initial state and data, once', async () => {
        const fixture = await target.createFixture();
        const created = await fixture.repository.getOrCreateSession(PHONE, { state: 'INICIO', data: { paso: 1 } });
        expect(created).toMatchObject({ key: PHONE, state: 'INICIO', data: { paso: 1 }, version: 0 });
        expect(created.createdAt).toBeInstanceOf(Date);
        expect(created.updatedAt.getTime()).toBeGreaterThan(Date.UTC(2020, 0, 1));
        const again = await fixture.repository.getOrCreateSession(PHONE, { state: 'OTRO', data: { paso: 9 } });
        expect(again).toMatchObject({ state: 'INICIO', data: { paso: 1 }, version: 0 });
        expect(again.createdAt.getTime()).toBe(created.createdAt.getTime());
        expect(await rowCount(fixture)).toBe(1);
      });

      it('creates with a null state and empty data by default', async () => {
        const { repository } = await target.createFixture();
        expect(await repository.getOrCreateSession(PHONE)).toMatchObject({ state: null, data: {}, version: 0 });
      });

      it('round-trips unicode keys, states and nested data', async () => {
        const { repository } = await target.createFixture();
        const key = 'whatsapp:+52 155 ✓ 用户 🙂';
        const data = { nombre: 'José Ñúñez', lista: [1, 2.5, -3e-7, true, null, 'ü'], anidado: { a: { b: { c: [] } } }, vacío: {} };
        const created = await repository.getOrCreateSession(key, { state: 'ESPERA_ÑANDÚ', data });
        const updated = await repository.updateSession(key, { data: { ...data, extra: '🙂' } }, { expectedVersion: created.version });
        const read = await repository.getSession(key);
        expect(read).toMatchObject({ key, state: 'ESPERA_ÑANDÚ', data: { ...data, extra: '🙂' }, version: 1 });
        expect(updated.data).toEqual(read!.data);
      });
    });

    describe('updateSession', () => {
      it('with expectedVersion writes and returns version + 1', async () => {
        const { repository } = await target.createFixture();
        const session = await repository.getOrCreateSession(PHONE, { state: 'INICIO', data: { paso: 1 } });
        const updated = await repository.updateSession(PHONE, { state: 'REFRI_ESPERA_SAP' }, { expectedVersion: session.version });
        expect(updated).toMatchObject({ key: PHONE, state: 'REFRI_ESPERA_SAP', data: { paso: 1 }, version: 1 });
        expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(session.updatedAt.getTime());
        const again = await repository.updateSession(PHONE, { data: { paso: 2 } }, { expectedVersion: 1 });
        expect(again).toMatchObject({ state: 'REFRI_ESPERA_SAP', data: { paso: 2 }, version: 2 });
        expect(await repository.getSession(PHONE)).toMatchObject({ state: 'REFRI_ESPERA_SAP', data: { paso: 2 }, version: 2 });
      });

      it('can clear the state with null and bump the version with no field changed', async () => {
        const { repository } = await target.createFixture();
        await repository.getOrCreateSession(PHONE, { state: 'INICIO', data: { a: 1 } });
        expect(await repository.updateSession(PHONE, { state: null }, { expectedVersion: 0 })).toMatchObject({ state: null, version: 1 });
        expect(await repository.updateSession(PHONE, {}, { expectedVersion: 1 })).toMatchObject({ state: null, data: { a: 1 }, version: 2 });
      });

      it('refuses a stale version with a ConcurrencyError and writes nothing', async () => {
        const fixture = await target.createFixture();
        const { repository } = fixture;
        await repository.getOrCreateSession(PHONE, { state: 'INICIO' });
        await repository.updateSession(PHONE, { state: 'REFRI_ESPERA_SAP' }, { expectedVersion: 0 });
        const error = await repository
          .updateSession(PHONE, { state: 'VEHICULO_ESPERA_EMPLEADO' }, { expectedVersion: 0 })
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(ConcurrencyError);
        expect(isConcurrencyError(error)).toBe(true);
        expect(isVersionedSessionError(error)).toBe(true);
        const conflict = error as ConcurrencyError;
        expect(conflict).toMatchObject({
          name: 'ConcurrencyError',
          key: PHONE,
          expectedVersion: 0,
          actualVersion: 1,
          operation: 'updateSession',
        });
        expect(conflict.message.startsWith(`Concurrency conflict detected for ${MASKED}. Expected version: 0.`)).toBe(true);
        expect(conflict.message).not.toContain(PHONE);
        expect(await repository.getSession(PHONE)).toMatchObject({ state: 'REFRI_ESPERA_SAP', version: 1 });
      });

      it('throws SessionNotFoundError for a missing key, conditional or not, and creates nothing', async () => {
        const fixture = await target.createFixture();
        for (const expectedVersion of [0, 5, null, undefined]) {
          const error = await fixture.repository
            .updateSession(PHONE, { state: 'X' }, { expectedVersion })
            .catch((caught: unknown) => caught);
          expect(error).toBeInstanceOf(SessionNotFoundError);
          expect(error).toMatchObject({ name: 'SessionNotFoundError', key: PHONE });
          expect((error as Error).message).not.toContain(PHONE);
        }
        expect(await rowCount(fixture)).toBe(0);
      });

      it('without expectedVersion (undefined or null) writes unconditionally and still bumps the version', async () => {
        const { repository } = await target.createFixture();
        await repository.getOrCreateSession(PHONE);
        await repository.updateSession(PHONE, { state: 'A' }, { expectedVersion: 0 });
        expect(await repository.updateSession(PHONE, { state: 'B' })).toMatchObject({ state: 'B', version: 2 });
        expect(await repository.updateSession(PHONE, { state: 'C' }, { expectedVersion: null })).toMatchObject({ state: 'C', version: 3 });
        expect(await repository.updateSession(PHONE, { state: 'D' }, {})).toMatchObject({ state: 'D', version: 4 });
      });

      it('reads a legacy NULL version as 0 and accepts expectedVersion 0 on it', async () => {
        const fixture = await target.createFixture();
        await target.makeVersionNullable(fixture);
        const c = fixture.names.columns;
        const q = fixture.quote;
        const p = fixture.placeholder;
        await fixture.exec(
          `INSERT INTO ${fixture.table} (${q(c.key)}, ${q(c.state)}, ${q(c.data)}, ${q(c.version)}, ${q(c.createdAt)}, ${q(c.updatedAt)}) ` +
            `VALUES (${p(1)}, ${p(2)}, ${p(3)}, NULL, ${p(4)}, ${p(5)})`,
          [PHONE, 'INICIO', '{"legacy":true}', '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z'],
        );
        const legacy = await fixture.repository.getSessionWithVersion(PHONE);
        expect(legacy).toMatchObject({ state: 'INICIO', data: { legacy: true }, version: 0 });
        const conflict = await fixture.repository.updateSession(PHONE, { state: 'X' }, { expectedVersion: 1 }).catch((e: unknown) => e);
        expect(conflict).toMatchObject({ name: 'ConcurrencyError', expectedVersion: 1, actualVersion: 0 });
        const updated = await fixture.repository.updateSession(PHONE, { state: 'REFRI_ESPERA_SAP' }, { expectedVersion: 0 });
        expect(updated).toMatchObject({ state: 'REFRI_ESPERA_SAP', data: { legacy: true }, version: 1 });
      });
    });

    describe('deleteSession and touchSession', () => {
      it('deletes unconditionally, returning whether a row went', async () => {
        const fixture = await target.createFixture();
        await fixture.repository.getOrCreateSession(PHONE);
        expect(await fixture.repository.deleteSession(PHONE)).toBe(true);
        expect(await fixture.repository.deleteSession(PHONE)).toBe(false);
        expect(await rowCount(fixture)).toBe(0);
      });

      it('deletes conditionally: stale → ConcurrencyError, missing → SessionNotFoundError, current → gone', async () => {
        const fixture = await target.createFixture();
        const { repository } = fixture;
        await repository.getOrCreateSession(PHONE);
        await repository.updateSession(PHONE, { state: 'A' }, { expectedVersion: 0 });
        const stale = await repository.deleteSession(PHONE, { expectedVersion: 0 }).catch((e: unknown) => e);
        expect(stale).toMatchObject({ name: 'ConcurrencyError', expectedVersion: 0, actualVersion: 1, operation: 'deleteSession' });
        expect(await rowCount(fixture)).toBe(1);
        expect(await repository.deleteSession(PHONE, { expectedVersion: 1 })).toBe(true);
        expect(await rowCount(fixture)).toBe(0);
        const missing = await repository.deleteSession(PHONE, { expectedVersion: 1 }).catch((e: unknown) => e);
        expect(missing).toBeInstanceOf(SessionNotFoundError);
      });

      it('touches updatedAt only: no version bump, no conflict, nothing for a missing key', async () => {
        const fixture = await target.createFixture();
        const { repository } = fixture;
        const created = await repository.getOrCreateSession(PHONE, { state: 'INICIO', data: { a: 1 } });
        await new Promise((resolve) => setTimeout(resolve, 15));
        await repository.touchSession(PHONE);
        const touched = await repository.getSession(PHONE);
        expect(touched).toMatchObject({ state: 'INICIO', data: { a: 1 }, version: 0 });
        expect(touched!.updatedAt.getTime()).toBeGreaterThan(created.updatedAt.getTime());
        await repository.touchSession('+5215500000000');
        expect(await rowCount(fixture)).toBe(1);
        expect(await repository.updateSession(PHONE, { state: 'B' }, { expectedVersion: 0 })).toMatchObject({ version: 1 });
      });
    });

    describe('processed operations', () => {
      it('markProcessed is true the first time only; isProcessed and pruneProcessed agree', async () => {
        const { repository } = await target.createFixture();
        expect(await repository.isProcessed('wamid.A')).toBe(false);
        expect(await repository.markProcessed('wamid.A')).toBe(true);
        expect(await repository.markProcessed('wamid.A')).toBe(false);
        expect(await repository.markProcessed('wamid.B')).toBe(true);
        expect(await repository.isProcessed('wamid.A')).toBe(true);
        expect(await repository.pruneProcessed({ olderThan: new Date(Date.now() - 3_600_000) })).toBe(0);
        expect(await repository.pruneProcessed({ olderThan: new Date(Date.now() + 60_000) })).toBe(2);
        expect(await repository.isProcessed('wamid.A')).toBe(false);
        expect(await repository.markProcessed('wamid.A')).toBe(true);
      });
    });

    describe('schema', () => {
      it('verifySchema passes on a migrated database', async () => {
        const { repository } = await target.createFixture();
        await expect(repository.verifySchema()).resolves.toBeUndefined();
      });

      it('a missing version column → MigrationRequiredError naming the column and the command', async () => {
        const fixture = await target.createFixture();
        await fixture.repository.getOrCreateSession(PHONE);
        await target.dropColumn(fixture, fixture.names.columns.version);
        const error = await fixture.repository.verifySchema().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(MigrationRequiredError);
        const required = error as MigrationRequiredError;
        expect(required.dialect).toBe(target.dialect);
        expect(required.missing).toEqual([expect.stringContaining(`column "${fixture.names.columns.version}"`)]);
        expect(required.message).toContain(`npx versioned-sessions migrate --dialect ${target.dialect}`);
        expect(required.message).toContain(required.command);
        const write = await fixture.repository.updateSession(PHONE, { state: 'X' }, { expectedVersion: 0 }).catch((e: unknown) => e);
        expect(write).toBeInstanceOf(MigrationRequiredError);
        expect((write as MigrationRequiredError).cause).toBeDefined();
      });

      it('a missing table → MigrationRequiredError on verifySchema and on use', async () => {
        const fixture = await target.createFixture({ migrate: false });
        const error = await fixture.repository.verifySchema().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(MigrationRequiredError);
        expect((error as MigrationRequiredError).missing).toEqual(
          expect.arrayContaining([expect.stringContaining(`table `), expect.stringContaining(fixture.names.table)]),
        );
        await expect(fixture.repository.getSession(PHONE)).rejects.toBeInstanceOf(MigrationRequiredError);
      });

      it('maps onto an existing table with other names (SesionesChat / Telefono / Estado / DatosTemp)', async () => {
        const fixture = await target.createFixture({
          tableOptions: { table: 'SesionesChat', columns: { key: 'Telefono', state: 'Estado', data: 'DatosTemp', version: 'Version' } },
        });
        const { repository } = fixture;
        await repository.verifySchema();
        const session = await repository.getOrCreateSession(PHONE, { state: 'INICIO', data: { paso: 0 } });
        const updated = await repository.updateSession(PHONE, { state: 'REFRI_ESPERA_SAP', data: { paso: 1 } }, { expectedVersion: session.version });
        expect(updated).toMatchObject({ state: 'REFRI_ESPERA_SAP', data: { paso: 1 }, version: 1 });
        const q = fixture.quote;
        const rows = await fixture.exec(`SELECT ${q('Telefono')} AS t, ${q('Estado')} AS e, ${q('Version')} AS v FROM ${fixture.table}`);
        expect(rows.map((row) => [row['t'], row['e'], Number(row['v'])])).toEqual([[PHONE, 'REFRI_ESPERA_SAP', 1]]);
      });

      it('reads and writes a data column holding JSON text', async () => {
        const fixture = await target.createFixture();
        const c = fixture.names.columns;
        if (target.dialect === 'postgres') {
          await fixture.exec(`ALTER TABLE ${fixture.table} ALTER COLUMN ${fixture.quote(c.data)} DROP DEFAULT`);
          await fixture.exec(`ALTER TABLE ${fixture.table} ALTER COLUMN ${fixture.quote(c.data)} TYPE text USING ${fixture.quote(c.data)}::text`);
        }
        const session = await fixture.repository.getOrCreateSession(PHONE, { data: { texto: 'sí', n: 1 } });
        await fixture.repository.updateSession(PHONE, { data: { texto: 'no', n: 2 } }, { expectedVersion: session.version });
        const rows = await fixture.exec(`SELECT ${fixture.quote(c.data)} AS d FROM ${fixture.table}`);
        expect(typeof rows[0]!['d']).toBe('string');
        expect(JSON.parse(rows[0]!['d'] as string)).toEqual({ texto: 'no', n: 2 });
        expect(await fixture.repository.getSession(PHONE)).toMatchObject({ data: { texto: 'no', n: 2 }, version: 1 });
      });
    });

    describe('bad input gets InvalidArgumentError and writes nothing', () => {
      const badKeys: [string, unknown][] = [
        ['empty', ''],
        ['a number', 5215512345678],
        ['null', null],
        ['too long', '9'.repeat(256)],
        ['a control character', '+52155\n1234'],
        ['a lone surrogate', '+52\ud800'],
      ];
      it.each(badKeys)('key: %s', async (_label, key) => {
        const fixture = await target.createFixture();
        const attempts = [
          () => fixture.repository.getOrCreateSession(key as string),
          () => fixture.repository.updateSession(key as string, { state: 'X' }),
          () => fixture.repository.getSession(key as string),
          () => fixture.repository.deleteSession(key as string),
          () => fixture.repository.markProcessed(key as string),
        ];
        for (const attempt of attempts) {
          const error = await attempt().catch((e: unknown) => e);
          expect(error).toBeInstanceOf(InvalidArgumentError);
          expect((error as InvalidArgumentError).argument).toMatch(/^(key|id)$/);
          expect((error as Error).message).not.toContain('5215512345678');
        }
        expect(await rowCount(fixture)).toBe(0);
      });

      const cycle: Record<string, unknown> = { a: 1 };
      cycle['self'] = cycle;
      const badData: [string, unknown, string][] = [
        ['an array', [1, 2], 'changes.data'],
        ['null', null, 'changes.data'],
        ['a string', '{"a":1}', 'changes.data'],
        ['a BigInt inside', { n: 10n }, 'changes.data.n'],
        ['a cycle', cycle, 'changes.data.self'],
        ['a Date inside', { at: new Date() }, 'changes.data.at'],
        ['NaN inside', { n: Number.NaN }, 'changes.data.n'],
        ['a function inside', { f: () => 1 }, 'changes.data.f'],
        ['undefined inside', { u: undefined }, 'changes.data.u'],
      ];
      it.each(badData)('data: %s', async (_label, data, argument) => {
        const fixture = await target.createFixture();
        await fixture.repository.getOrCreateSession(PHONE, { state: 'INICIO', data: { ok: true } });
        const error = await fixture.repository
          .updateSession(PHONE, { state: 'CAMBIADO', data: data as Record<string, unknown> }, { expectedVersion: 0 })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect((error as InvalidArgumentError).argument).toBe(argument);
        expect(await fixture.repository.getSession(PHONE)).toMatchObject({ state: 'INICIO', data: { ok: true }, version: 0 });
      });

      const badVersions: [string, unknown][] = [
        ['negative', -1],
        ['fractional', 1.5],
        ['a string', '1'],
        ['NaN', Number.NaN],
        ['Infinity', Number.POSITIVE_INFINITY],
        ['above INT', 2 ** 31],
      ];
      it.each(badVersions)('expectedVersion: %s', async (_label, expectedVersion) => {
        const fixture = await target.createFixture();
        await fixture.repository.getOrCreateSession(PHONE, { state: 'INICIO' });
        for (const attempt of [
          () => fixture.repository.updateSession(PHONE, { state: 'X' }, { expectedVersion: expectedVersion as number }),
          () => fixture.repository.deleteSession(PHONE, { expectedVersion: expectedVersion as number }),
        ]) {
          const error = await attempt().catch((e: unknown) => e);
          expect(error).toBeInstanceOf(InvalidArgumentError);
          expect((error as InvalidArgumentError).argument).toBe('options.expectedVersion');
        }
        expect(await fixture.repository.getSession(PHONE)).toMatchObject({ state: 'INICIO', version: 0 });
      });

      it('changes with an unknown field or a non-string state', async () => {
        const fixture = await target.createFixture();
        await fixture.repository.getOrCreateSession(PHONE);
        const unknownField = await fixture.repository.updateSession(PHONE, { estado: 'X' } as never).catch((e: unknown) => e);
        expect(unknownField).toMatchObject({ name: 'InvalidArgumentError', argument: 'changes.estado' });
        const badState = await fixture.repository.updateSession(PHONE, { state: 42 as never }).catch((e: unknown) => e);
        expect(badState).toMatchObject({ name: 'InvalidArgumentError', argument: 'changes.state' });
        expect(await fixture.repository.getSession(PHONE)).toMatchObject({ state: null, version: 0 });
      });

      const badIdentifiers: [string, Record<string, unknown>, string][] = [
        ['a table with a quote', { table: 'sessions"; DROP TABLE x; --' }, 'table'],
        ['a table with a bracket', { table: 'a]b' }, 'table'],
        ['a table with a semicolon', { table: 'a;b' }, 'table'],
        ['a column with a space', { columns: { key: 'my key' } }, 'columns.key'],
        ['a column with NUL', { columns: { version: 'ver\u0000sion' } }, 'columns.version'],
        ['an over-long column', { columns: { data: 'd'.repeat(200) } }, 'columns.data'],
        ['an unknown column role', { columns: { phone: 'Telefono' } }, 'columns.phone'],
        ['two roles on one column', { columns: { state: 'data' } }, 'columns.data'],
      ];
      it.each(badIdentifiers)('identifier: %s', async (_label, options, argument) => {
        const fixture = await target.createFixture();
        const error = (() => {
          try {
            fixture.newStore(options);
            return undefined;
          } catch (caught) {
            return caught;
          }
        })();
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect((error as InvalidArgumentError).argument).toBe(argument);
        expect((error as Error).message).toMatch(/identifier|unknown column role|already used/);
      });
    });

    describe('concurrency with real parallel workers', () => {
      it('getOrCreateSession: 20 concurrent callers for a new key get one row at version 0', async () => {
        const fixture = await target.createFixture();
        const results = await runParallel({ connection: fixture.connection, workload: 'getOrCreate', key: PHONE, workers: 4, tasksPerWorker: 5 });
        expect(results.filter((result) => !result.ok)).toEqual([]);
        expect(results.map((result) => result.version)).toEqual(Array(20).fill(0));
        expect(new Set(results.map((result) => result.createdAt)).size).toBe(1);
        expect(await rowCount(fixture)).toBe(1);
      });

      it('50 concurrent withSessionRetry increments on one key → counter 50, version 50', async () => {
        const fixture = await target.createFixture();
        await fixture.repository.getOrCreateSession(PHONE, { data: { counter: 0 } });
        const results = await runParallel({
          connection: fixture.connection,
          workload: 'retryIncrement',
          key: PHONE,
          workers: 5,
          tasksPerWorker: 10,
          retry: { maxAttempts: 500, baseDelayMs: 1, maxDelayMs: 20 },
        });
        expect(results.filter((result) => !result.ok)).toEqual([]);
        const final = await fixture.repository.getSession(PHONE);
        expect(final).toMatchObject({ data: { counter: 50 }, version: 50 });
        expect(new Set(results.map((result) => result.version)).size).toBe(50);
        const attempts = results.reduce((sum, result) => sum + result.attempts!, 0);
        expect(attempts).toBeGreaterThan(50); // the workers really collided and retried
      });

      it('negative control: the same workload read-then-write without the version check loses updates', async () => {
        const fixture = await target.createFixture();
        await fixture.repository.getOrCreateSession(PHONE, { data: { counter: 0 } });
        const results = await runParallel({ connection: fixture.connection, workload: 'naiveIncrement', key: PHONE, workers: 5, tasksPerWorker: 10 });
        expect(results.filter((result) => !result.ok)).toEqual([]);
        const final = (await fixture.repository.getSession(PHONE)) as { data: Counter; version: number } | null;
        expect(final!.version).toBe(50);
        expect(final!.data.counter).toBeLessThan(50);
      });

      it('20 concurrent updates with the same expectedVersion → exactly one wins, 19 ConcurrencyErrors', async () => {
        const fixture = await target.createFixture();
        await fixture.repository.getOrCreateSession(PHONE);
        await fixture.repository.updateSession(PHONE, { state: 'INICIO' }, { expectedVersion: 0 });
        const results = await runParallel({
          connection: fixture.connection,
          workload: 'sameVersion',
          key: PHONE,
          workers: 4,
          tasksPerWorker: 5,
          expectedVersion: 1,
        });
        const winners = results.filter((result) => result.ok);
        const losers = results.filter((result) => !result.ok);
        expect(winners).toHaveLength(1);
        expect(winners[0]!.version).toBe(2);
        expect(losers).toHaveLength(19);
        for (const loser of losers) {
          expect(loser.error).toMatchObject({
            name: 'ConcurrencyError',
            isConcurrencyError: true,
            expectedVersion: 1,
            actualVersion: 2,
            operation: 'updateSession',
          });
        }
        expect(await fixture.repository.getSession(PHONE)).toMatchObject({ version: 2 });
      });
    });

    describe('withSessionRetry against the database', () => {
      it('re-reads and re-runs after a conflict, logging the masked key', async () => {
        const fixture = await target.createFixture();
        const lines: string[] = [];
        const sink = { warn: (line: string) => lines.push(line), error: (line: string) => lines.push(line) };
        const repository = new SessionRepository<Counter>({ store: fixture.store, logger: sink });
        await repository.getOrCreateSession(PHONE, { data: { counter: 0 } });
        const seen: number[] = [];
        const result = await withSessionRetry(
          repository,
          PHONE,
          async (session) => {
            seen.push(session.version);
            if (seen.length === 1) {
              // Another instance writes between this handler's read and its write.
              await repository.updateSession(PHONE, { data: { counter: 10 } });
            }
            return repository.updateSession(PHONE, { data: { counter: (session.data.counter ?? 0) + 1 } }, { expectedVersion: session.version });
          },
          { random: () => 0 },
        );
        expect(seen).toEqual([0, 1]);
        expect(result).toMatchObject({ data: { counter: 11 }, version: 2 });
        expect(lines).toEqual([`[ConcurrencyRetry] updateSession(${MASKED}) - attempt 1/3 failed, retrying in 50ms`]);
      });

      it('throws the last ConcurrencyError unchanged after the last attempt', async () => {
        const fixture = await target.createFixture();
        const lines: string[] = [];
        const repository = new SessionRepository({ store: fixture.store, logger: { warn: (l: string) => lines.push(l), error: (l: string) => lines.push(l) } });
        let calls = 0;
        const thrown: unknown[] = [];
        const error = await withSessionRetry(
          repository,
          PHONE,
          async (session) => {
            calls++;
            await repository.updateSession(PHONE, { state: `INTRUSO_${calls}` });
            return repository.updateSession(PHONE, { state: 'MIO' }, { expectedVersion: session.version }).catch((e: unknown) => {
              thrown.push(e);
              throw e;
            });
          },
          { baseDelayMs: 1 },
        ).catch((e: unknown) => e);
        expect(calls).toBe(3);
        expect(error).toBe(thrown[2]);
        expect(error).toMatchObject({ name: 'ConcurrencyError', expectedVersion: 2, actualVersion: 3 });
        expect(lines).toHaveLength(3);
        expect(lines[2]).toBe(`[ConcurrencyRetry] updateSession(${MASKED}) - gave up after 3/3 attempts`);
      });

      it('with createIfMissing false, a missing session is a SessionNotFoundError and nothing is created', async () => {
        const fixture = await target.createFixture();
        const error = await withSessionRetry(fixture.repository, PHONE, async () => 'never', { createIfMissing: false }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SessionNotFoundError);
        expect(await rowCount(fixture)).toBe(0);
      });
    });
  });
}
