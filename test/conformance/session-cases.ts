/** Reading, creating, updating, deleting and touching sessions; processed operations; the schema. */
import { describe, expect, it } from 'vitest';
import {
  ConcurrencyError,
  MigrationRequiredError,
  SessionNotFoundError,
  isConcurrencyError,
  isVersionedSessionError,
} from '../../src/index.js';
import { MASKED, PHONE, insertLegacyRow, rowCount } from './shared.js';
import type { DialectTarget } from './target.js';

export function defineSessionCases(target: DialectTarget): void {
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
      const data = {
        nombre: 'José Ñúñez',
        lista: [1, 2.5, -3e-7, true, null, 'ü'],
        anidado: { a: { b: { c: [] } } },
        vacío: {},
      };
      const created = await repository.getOrCreateSession(key, { state: 'ESPERA_ÑANDÚ', data });
      const updated = await repository.updateSession(
        key,
        { data: { ...data, extra: '🙂' } },
        { expectedVersion: created.version },
      );
      const read = await repository.getSession(key);
      expect(read).toMatchObject({ key, state: 'ESPERA_ÑANDÚ', data: { ...data, extra: '🙂' }, version: 1 });
      expect(updated.data).toEqual(read!.data);
    });
  });

  describe('updateSession', () => {
    it('with expectedVersion writes and returns version + 1', async () => {
      const { repository } = await target.createFixture();
      const session = await repository.getOrCreateSession(PHONE, { state: 'INICIO', data: { paso: 1 } });
      const updated = await repository.updateSession(
        PHONE,
        { state: 'REFRI_ESPERA_SAP' },
        { expectedVersion: session.version },
      );
      expect(updated).toMatchObject({ key: PHONE, state: 'REFRI_ESPERA_SAP', data: { paso: 1 }, version: 1 });
      expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(session.updatedAt.getTime());
      const again = await repository.updateSession(PHONE, { data: { paso: 2 } }, { expectedVersion: 1 });
      expect(again).toMatchObject({ state: 'REFRI_ESPERA_SAP', data: { paso: 2 }, version: 2 });
      expect(await repository.getSession(PHONE)).toMatchObject({
        state: 'REFRI_ESPERA_SAP',
        data: { paso: 2 },
        version: 2,
      });
    });

    it('can clear the state with null and bump the version with no field changed', async () => {
      const { repository } = await target.createFixture();
      await repository.getOrCreateSession(PHONE, { state: 'INICIO', data: { a: 1 } });
      expect(await repository.updateSession(PHONE, { state: null }, { expectedVersion: 0 })).toMatchObject({
        state: null,
        version: 1,
      });
      expect(await repository.updateSession(PHONE, {}, { expectedVersion: 1 })).toMatchObject({
        state: null,
        data: { a: 1 },
        version: 2,
      });
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
      expect(conflict.message.startsWith(`Concurrency conflict detected for ${MASKED}. Expected version: 0.`)).toBe(
        true,
      );
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
      expect(await repository.updateSession(PHONE, { state: 'C' }, { expectedVersion: null })).toMatchObject({
        state: 'C',
        version: 3,
      });
      expect(await repository.updateSession(PHONE, { state: 'D' }, {})).toMatchObject({ state: 'D', version: 4 });
    });

    it('reads a legacy NULL version as 0 and accepts expectedVersion 0 on it', async () => {
      const fixture = await target.createFixture();
      await insertLegacyRow(target, fixture, '{"legacy":true}');
      const legacy = await fixture.repository.getSessionWithVersion(PHONE);
      expect(legacy).toMatchObject({ state: 'INICIO', data: { legacy: true }, version: 0 });
      const conflict = await fixture.repository
        .updateSession(PHONE, { state: 'X' }, { expectedVersion: 1 })
        .catch((e: unknown) => e);
      expect(conflict).toMatchObject({ name: 'ConcurrencyError', expectedVersion: 1, actualVersion: 0 });
      const updated = await fixture.repository.updateSession(
        PHONE,
        { state: 'REFRI_ESPERA_SAP' },
        { expectedVersion: 0 },
      );
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
      expect(stale).toMatchObject({
        name: 'ConcurrencyError',
        expectedVersion: 0,
        actualVersion: 1,
        operation: 'deleteSession',
      });
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
      expect(await repository.updateSession(PHONE, { state: 'B' }, { expectedVersion: 0 })).toMatchObject({
        version: 1,
      });
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
      await expect(repository.verifySchema()).resolves.toEqual({ rowsChecked: 0, unreadable: [] });
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
      const write = await fixture.repository
        .updateSession(PHONE, { state: 'X' }, { expectedVersion: 0 })
        .catch((e: unknown) => e);
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
        tableOptions: {
          table: 'SesionesChat',
          columns: { key: 'Telefono', state: 'Estado', data: 'DatosTemp', version: 'Version' },
        },
      });
      const { repository } = fixture;
      await repository.verifySchema();
      const session = await repository.getOrCreateSession(PHONE, { state: 'INICIO', data: { paso: 0 } });
      const updated = await repository.updateSession(
        PHONE,
        { state: 'REFRI_ESPERA_SAP', data: { paso: 1 } },
        { expectedVersion: session.version },
      );
      expect(updated).toMatchObject({ state: 'REFRI_ESPERA_SAP', data: { paso: 1 }, version: 1 });
      const q = fixture.quote;
      const rows = await fixture.exec(
        `SELECT ${q('Telefono')} AS t, ${q('Estado')} AS e, ${q('Version')} AS v FROM ${fixture.table}`,
      );
      expect(rows.map((row) => [row['t'], row['e'], Number(row['v'])])).toEqual([[PHONE, 'REFRI_ESPERA_SAP', 1]]);
    });

    it('reads and writes a data column holding JSON text', async () => {
      const fixture = await target.createFixture();
      const c = fixture.names.columns;
      if (target.dialect === 'postgres') {
        await fixture.exec(`ALTER TABLE ${fixture.table} ALTER COLUMN ${fixture.quote(c.data)} DROP DEFAULT`);
        await fixture.exec(
          `ALTER TABLE ${fixture.table} ALTER COLUMN ${fixture.quote(c.data)} TYPE text USING ${fixture.quote(c.data)}::text`,
        );
      }
      const session = await fixture.repository.getOrCreateSession(PHONE, { data: { texto: 'sí', n: 1 } });
      await fixture.repository.updateSession(
        PHONE,
        { data: { texto: 'no', n: 2 } },
        { expectedVersion: session.version },
      );
      const rows = await fixture.exec(`SELECT ${fixture.quote(c.data)} AS d FROM ${fixture.table}`);
      expect(typeof rows[0]!['d']).toBe('string');
      expect(JSON.parse(rows[0]!['d'] as string)).toEqual({ texto: 'no', n: 2 });
      expect(await fixture.repository.getSession(PHONE)).toMatchObject({ data: { texto: 'no', n: 2 }, version: 1 });
    });
  });
}
