/**
 * Conformance cases for caller transactions: a bot's own statement (the end-of-flow report row) and
 * the session update commit or roll back together.
 */
import { describe, expect, it } from 'vitest';
import { ConcurrencyError, InvalidArgumentError, SessionRepository, withSessionRetry } from '../../src/index.js';
import { uniqueName } from '../support/names.js';
import type { CallerTransaction, DialectTarget, Fixture } from './target.js';

const PHONE = '+5215512345678';

/** A report table next to the sessions table, and an insert of one row into it. */
async function reportTable(
  fixture: Fixture,
): Promise<{ insert(tx: CallerTransaction, total: number): Promise<void>; count(): Promise<number> }> {
  const name = uniqueName('reports');
  const table =
    fixture.names.schema === null
      ? fixture.quote(name)
      : `${fixture.quote(fixture.names.schema)}.${fixture.quote(name)}`;
  await fixture.exec(`CREATE TABLE ${table} (phone varchar(255) NOT NULL, total integer NOT NULL)`);
  return {
    async insert(tx, total) {
      await tx.exec(
        `INSERT INTO ${table} (phone, total) VALUES (${fixture.placeholder(1)}, ${fixture.placeholder(2)})`,
        [PHONE, total],
      );
    },
    async count() {
      return Number((await fixture.exec(`SELECT COUNT(*) AS n FROM ${table}`))[0]!['n']);
    },
  };
}

export function defineTransactionCases(target: DialectTarget): void {
  describe('caller transactions', () => {
    it('a report row and the session update commit together; reads in the transaction see its writes', async () => {
      const fixture = await target.createFixture();
      const reports = await reportTable(fixture);
      const session = await fixture.repository.getOrCreateSession(PHONE, { state: 'REFRI_ESPERA_SAP' });
      const tx = await target.beginTransaction(fixture);
      try {
        await reports.insert(tx, 1200);
        const updated = await fixture.repository.updateSession(
          PHONE,
          { state: 'CERRADO' },
          { expectedVersion: session.version, transaction: tx.handle },
        );
        expect(updated).toMatchObject({ state: 'CERRADO', version: 1 });
        expect(await fixture.repository.getSessionWithVersion(PHONE, { transaction: tx.handle })).toMatchObject({
          state: 'CERRADO',
          version: 1,
        });
        await tx.commit();
      } catch (error) {
        await tx.rollback();
        throw error;
      }
      expect(await reports.count()).toBe(1);
      expect(await fixture.repository.getSession(PHONE)).toMatchObject({ state: 'CERRADO', version: 1 });
    });

    it('when the version check fails, the report row and the session roll back together', async () => {
      const fixture = await target.createFixture();
      const reports = await reportTable(fixture);
      const session = await fixture.repository.getOrCreateSession(PHONE, { state: 'REFRI_ESPERA_SAP' });
      await fixture.repository.updateSession(PHONE, { state: 'OTRA_INSTANCIA' }, { expectedVersion: session.version });
      const tx = await target.beginTransaction(fixture);
      await reports.insert(tx, 1200);
      const error = await fixture.repository
        .updateSession(
          PHONE,
          { state: 'CERRADO' },
          { expectedVersion: session.version, transaction: tx.handle, idempotencyKey: 'wamid.REPORTE' },
        )
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConcurrencyError);
      expect(error).toMatchObject({ expectedVersion: 0, actualVersion: 1 });
      await tx.rollback();
      expect(await reports.count()).toBe(0);
      expect(await fixture.repository.getSession(PHONE)).toMatchObject({ state: 'OTRA_INSTANCIA', version: 1 });
      expect(await fixture.repository.isProcessed('wamid.REPORTE')).toBe(false);
    });

    it('an idempotent update in a rolled-back transaction leaves the key unrecorded; committed, it is recorded', async () => {
      const fixture = await target.createFixture();
      const reports = await reportTable(fixture);
      await fixture.repository.getOrCreateSession(PHONE);
      const rolledBack = await target.beginTransaction(fixture);
      await reports.insert(rolledBack, 1);
      await fixture.repository.updateSession(
        PHONE,
        { state: 'A' },
        { expectedVersion: 0, idempotencyKey: 'wamid.X', transaction: rolledBack.handle },
      );
      await rolledBack.rollback();
      expect(await fixture.repository.isProcessed('wamid.X')).toBe(false);
      expect(await fixture.repository.getSession(PHONE)).toMatchObject({ state: null, version: 0 });
      const committed = await target.beginTransaction(fixture);
      await reports.insert(committed, 2);
      await fixture.repository.updateSession(
        PHONE,
        { state: 'A' },
        { expectedVersion: 0, idempotencyKey: 'wamid.X', transaction: committed.handle },
      );
      await committed.commit();
      expect(await reports.count()).toBe(1);
      expect(await fixture.repository.getSession(PHONE)).toMatchObject({ state: 'A', version: 1 });
      const repeat = await fixture.repository
        .updateSession(PHONE, { state: 'A' }, { expectedVersion: 1, idempotencyKey: 'wamid.X' })
        .catch((e: unknown) => e);
      expect(repeat).toMatchObject({ name: 'DuplicateOperationError', committedVersion: 1 });
    });

    it("with the per-key queue, a write in a rolled-back transaction never serves the next handler's read", async () => {
      const fixture = await target.createFixture();
      const repository = new SessionRepository({ store: fixture.store, perKeyQueue: true });
      await repository.getOrCreateSession(PHONE, { state: 'INICIO' });
      const seen: number[] = [];
      const first = withSessionRetry(repository, PHONE, async (session) => {
        const tx = await target.beginTransaction(fixture);
        await repository.updateSession(
          PHONE,
          { state: 'DESHECHO' },
          { expectedVersion: session.version, transaction: tx.handle },
        );
        await tx.rollback();
        return 'rolled back';
      });
      const second = withSessionRetry(repository, PHONE, async (session) => {
        seen.push(session.version);
        return repository.updateSession(PHONE, { state: 'SIGUIENTE' }, { expectedVersion: session.version });
      });
      expect(await first).toBe('rolled back');
      expect(await second).toMatchObject({ state: 'SIGUIENTE', version: 1 });
      expect(seen).toEqual([0]); // read from the database, not the uncommitted version 1
    });

    it("something that is not a transaction of the store's driver is an InvalidArgumentError and nothing is written", async () => {
      const fixture = await target.createFixture();
      await fixture.repository.getOrCreateSession(PHONE);
      for (const transaction of [{}, 'BEGIN', 42]) {
        for (const attempt of [
          () => fixture.repository.updateSession(PHONE, { state: 'X' }, { expectedVersion: 0, transaction }),
          () =>
            fixture.repository.updateSession(
              PHONE,
              { state: 'X' },
              { expectedVersion: 0, transaction, idempotencyKey: 'wamid.Y' },
            ),
          () => fixture.repository.getSessionWithVersion(PHONE, { transaction }),
        ]) {
          const error = await attempt().catch((e: unknown) => e);
          expect(error).toBeInstanceOf(InvalidArgumentError);
          expect((error as InvalidArgumentError).argument).toBe('options.transaction');
        }
      }
      expect(await fixture.repository.getSession(PHONE)).toMatchObject({ state: null, version: 0 });
      expect(await fixture.repository.isProcessed('wamid.Y')).toBe(false);
    });
  });
}
