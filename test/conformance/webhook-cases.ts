/**
 * Conformance cases for the webhook path a bot writes from the quick start: the idempotency key given
 * once to withSessionRetry governs the handler's writes, the defaults absorb a burst, legacy data that
 * cannot be decoded gets a typed error and a way forward, and retry lines say why they retry.
 */
import { describe, expect, it } from 'vitest';
import { keyQueueOf } from '../../src/core/repository/key-queue.js';
import {
  InvalidArgumentError,
  SessionDataError,
  SessionRepository,
  isSessionDataError,
  withSessionRetry,
  type Session,
} from '../../src/index.js';
import { suiteLog } from '../support/log-sink.js';
import { processedRows, recordingLogger } from './exactly-once-cases.js';
import { MASKED, PHONE } from './shared.js';
import type { DialectTarget, Fixture } from './target.js';

type Counter = { count?: number };

/** The handler of the reproduction: the key is given to withSessionRetry only. */
function countOnce(repository: SessionRepository<Counter>, messageId: string): Promise<unknown> {
  return withSessionRetry(
    repository,
    PHONE,
    (s) =>
      repository.updateSession(PHONE, { data: { count: (s.data.count ?? 0) + 1 } }, { expectedVersion: s.version }),
    { idempotencyKey: messageId },
  );
}

/** Makes the data column plain nullable text, as on a table adopted from a bot that wrote it by hand. */
async function makeDataColumnText(target: DialectTarget, fixture: Fixture): Promise<void> {
  const column = fixture.quote(fixture.names.columns.data);
  if (target.dialect === 'postgres') {
    await fixture.exec(
      `ALTER TABLE ${fixture.table} ALTER COLUMN ${column} DROP DEFAULT, ALTER COLUMN ${column} DROP NOT NULL, ALTER COLUMN ${column} TYPE text USING ${column}::text`,
    );
  } else if (target.dialect === 'mssql') {
    await fixture.exec(`ALTER TABLE ${fixture.table} ALTER COLUMN ${column} NVARCHAR(MAX) NULL`);
  } else if (target.dialect === 'mysql') {
    await fixture.exec(`ALTER TABLE ${fixture.table} MODIFY COLUMN ${column} LONGTEXT CHARACTER SET utf8mb4 NULL`);
  }
}

async function insertRawData(fixture: Fixture, key: string, data: string | null): Promise<void> {
  const c = fixture.names.columns;
  const q = fixture.quote;
  const p = fixture.placeholder;
  await fixture.exec(
    `INSERT INTO ${fixture.table} (${q(c.key)}, ${q(c.state)}, ${q(c.data)}) VALUES (${p(1)}, ${p(2)}, ${p(3)})`,
    [key, 'MENU', data],
  );
}

export function defineWebhookCases(target: DialectTarget): void {
  describe('webhook path: the idempotency key is given once', () => {
    it('the key given to withSessionRetry governs the handler’s update: a redelivery is a duplicate, count 1, one row recorded', async () => {
      const fixture = await target.createFixture();
      const repository = new SessionRepository<Counter>({ store: fixture.store, logger: suiteLog.logger });
      const first = await countOnce(repository, 'wamid.C');
      const second = await countOnce(repository, 'wamid.C');
      expect(first).toMatchObject({ status: 'applied' });
      expect(second).toMatchObject({ status: 'duplicate', idempotencyKey: 'wamid.C', committedVersion: 1 });
      expect(await repository.getSession(PHONE)).toMatchObject({ data: { count: 1 }, version: 1 });
      expect((await processedRows(fixture)).map((row) => row['id'])).toEqual(['wamid.C']);
    });

    it('two deliveries at once, the key given once: one applied, one duplicate, count 1', async () => {
      const fixture = await target.createFixture();
      const repository = new SessionRepository<Counter>({ store: fixture.store, logger: suiteLog.logger });
      await repository.getOrCreateSession(PHONE, { data: { count: 0 } });
      // Two processes' worth: separate repositories, so the per-key queue does not order them.
      const other = new SessionRepository<Counter>({ store: fixture.store, logger: suiteLog.logger });
      const results = (await Promise.all([countOnce(repository, 'wamid.D'), countOnce(other, 'wamid.D')])) as {
        status: string;
      }[];
      expect(results.map((result) => result.status).sort()).toEqual(['applied', 'duplicate']);
      expect(await repository.getSession(PHONE)).toMatchObject({ data: { count: 1 }, version: 1 });
    });

    it('a different explicit key inside the handler is an InvalidArgumentError before anything is written', async () => {
      const fixture = await target.createFixture();
      const repository = new SessionRepository<Counter>({ store: fixture.store, logger: suiteLog.logger });
      await repository.getOrCreateSession(PHONE, { data: { count: 0 } });
      let runs = 0;
      const error = await withSessionRetry(
        repository,
        PHONE,
        (s) => {
          runs++;
          return repository.updateSession(
            PHONE,
            { data: { count: 1 } },
            { expectedVersion: s.version, idempotencyKey: 'wamid.TYPO' },
          );
        },
        { idempotencyKey: 'wamid.E' },
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error).toMatchObject({ argument: 'options.idempotencyKey' });
      expect((error as Error).message).toMatch(/equal the idempotencyKey given to withSessionRetry/);
      expect((error as Error).message).not.toContain('wamid');
      expect(runs).toBe(1);
      expect(await repository.getSession(PHONE)).toMatchObject({ data: { count: 0 }, version: 0 });
      expect(await processedRows(fixture)).toEqual([]);
    });

    it('the same key given to both is accepted, as before', async () => {
      const fixture = await target.createFixture();
      const repository = new SessionRepository<Counter>({ store: fixture.store, logger: suiteLog.logger });
      const deliver = (): Promise<unknown> =>
        withSessionRetry(
          repository,
          PHONE,
          (s) =>
            repository.updateSession(
              PHONE,
              { data: { count: (s.data.count ?? 0) + 1 } },
              { expectedVersion: s.version, idempotencyKey: 'wamid.F' },
            ),
          {
            idempotencyKey: 'wamid.F',
          },
        );
      expect(await deliver()).toMatchObject({ status: 'applied' });
      expect(await deliver()).toMatchObject({ status: 'duplicate' });
      expect(await repository.getSession(PHONE)).toMatchObject({ data: { count: 1 }, version: 1 });
    });

    it('two writes in one handler: the first records the key, the second is a plain conditional write; applied, and a redelivery is a duplicate', async () => {
      const fixture = await target.createFixture();
      const repository = new SessionRepository<Counter>({ store: fixture.store, logger: suiteLog.logger });
      const deliver = (): Promise<unknown> =>
        withSessionRetry(
          repository,
          PHONE,
          async (s) => {
            const once = await repository.updateSession(
              PHONE,
              { state: 'ASK_NAME', data: { count: (s.data.count ?? 0) + 1 } },
              { expectedVersion: s.version },
            );
            return repository.updateSession(PHONE, { state: 'CONFIRM' }, { expectedVersion: once.version });
          },
          { idempotencyKey: 'wamid.G' },
        );
      const first = (await deliver()) as { status: string; value: Session<Counter> };
      expect(first.status).toBe('applied');
      expect(first.value).toMatchObject({ state: 'CONFIRM', version: 2 });
      expect(await deliver()).toMatchObject({ status: 'duplicate', committedVersion: 1 });
      expect(await repository.getSession(PHONE)).toMatchObject({ state: 'CONFIRM', data: { count: 1 }, version: 2 });
      expect((await processedRows(fixture)).map((row) => [row['id'], Number(row['session_version'])])).toEqual([
        ['wamid.G', 1],
      ]);
    });

    it('once the key is recorded, a later write’s conflict is thrown, not retried: the handler cannot run again without applying twice', async () => {
      const fixture = await target.createFixture();
      const repository = new SessionRepository<Counter>({ store: fixture.store, logger: suiteLog.logger });
      let runs = 0;
      const error = await withSessionRetry(
        repository,
        PHONE,
        async (s) => {
          runs++;
          await repository.updateSession(PHONE, { data: { count: 1 } }, { expectedVersion: s.version });
          return repository.updateSession(PHONE, { state: 'STALE' }, { expectedVersion: s.version });
        },
        { idempotencyKey: 'wamid.H' },
      ).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'ConcurrencyError' });
      expect(runs).toBe(1);
      expect(await repository.isProcessed('wamid.H')).toBe(true);
      expect(await repository.getSession(PHONE)).toMatchObject({ data: { count: 1 }, version: 1 });
    });

    it('a handler that writes nothing is recorded as processed: the redelivery does not run it again', async () => {
      const fixture = await target.createFixture();
      const repository = new SessionRepository<Counter>({ store: fixture.store, logger: suiteLog.logger });
      let runs = 0;
      const deliver = (): Promise<unknown> =>
        withSessionRetry(
          repository,
          PHONE,
          (s) => {
            runs++;
            return s.state;
          },
          { idempotencyKey: 'wamid.NOOP' },
        );
      expect(await deliver()).toEqual({ status: 'applied', value: null });
      expect(await deliver()).toMatchObject({ status: 'duplicate', idempotencyKey: 'wamid.NOOP' });
      expect(runs).toBe(1);
      expect(await repository.isProcessed('wamid.NOOP')).toBe(true);
      expect(await repository.getSession(PHONE)).toMatchObject({ version: 0 });
    });

    it('writes outside the call, and to another session inside it, are not given the key', async () => {
      const fixture = await target.createFixture();
      const repository = new SessionRepository<Counter>({ store: fixture.store, logger: suiteLog.logger });
      await repository.getOrCreateSession('+5215599999999');
      const result = await withSessionRetry(
        repository,
        PHONE,
        async (s) => {
          await repository.updateSession('+5215599999999', { state: 'NOTIFIED' }, { expectedVersion: 0 });
          return repository.updateSession(PHONE, { state: 'DONE' }, { expectedVersion: s.version });
        },
        { idempotencyKey: 'wamid.I' },
      );
      expect(result).toMatchObject({ status: 'applied', value: { state: 'DONE', version: 1 } });
      expect((await processedRows(fixture)).map((row) => [row['id'], row['session_key']])).toEqual([
        ['wamid.I', PHONE],
      ]);
      // After the call, the same repository writes without any key.
      await repository.updateSession(PHONE, { state: 'AFTER' }, { expectedVersion: 1 });
      expect(await processedRows(fixture)).toHaveLength(1);
    });
  });

  describe('webhook path: defaults that absorb a burst', () => {
    it('the per-key queue is on by default; perKeyQueue: false turns it off', async () => {
      const fixture = await target.createFixture();
      expect(keyQueueOf(new SessionRepository({ store: fixture.store }))).toBeDefined();
      expect(keyQueueOf(new SessionRepository({ store: fixture.store, perKeyQueue: true }))).toBeDefined();
      expect(keyQueueOf(new SessionRepository({ store: fixture.store, perKeyQueue: false }))).toBeUndefined();
    });

    it('20 deliveries for one chat at once with default options: none exhausted, applied in delivery order', async () => {
      const fixture = await target.createFixture();
      const repository = new SessionRepository<{ ids?: string[] }>({ store: fixture.store, logger: suiteLog.logger });
      const ids = Array.from({ length: 20 }, (_, index) => `wamid.burst.${index}`);
      const results = await Promise.all(
        ids.map((id) =>
          withSessionRetry(
            repository,
            PHONE,
            (s) =>
              repository.updateSession(
                PHONE,
                { data: { ids: [...(s.data.ids ?? []), id] } },
                { expectedVersion: s.version },
              ),
            {
              idempotencyKey: id,
            },
          ),
        ),
      );
      expect(results.map((result) => result.status)).toEqual(ids.map(() => 'applied'));
      expect(await repository.getSession(PHONE)).toMatchObject({ data: { ids }, version: 20 });
    });
  });

  describe('webhook path: legacy data that cannot be decoded', () => {
    async function legacyFixture(): Promise<Fixture> {
      const fixture = await target.createFixture({ tableOptions: { columns: { data: 'datos_temp' } } });
      await makeDataColumnText(target, fixture);
      await insertRawData(fixture, PHONE, 'not json');
      await insertRawData(fixture, '+5215500000001', '[1,2]');
      await insertRawData(fixture, '+5215500000002', '{"ok":true}');
      await insertRawData(fixture, '+5215500000003', '');
      await insertRawData(fixture, '+5215500000004', '"texto"');
      return fixture;
    }

    it('non-JSON text and non-object JSON read as a SessionDataError naming the column and the masked key', async () => {
      const fixture = await legacyFixture();
      const repository = new SessionRepository({ store: fixture.store, logger: suiteLog.logger });
      const notJson = await repository.getSession(PHONE).catch((e: unknown) => e);
      expect(notJson).toBeInstanceOf(SessionDataError);
      expect(isSessionDataError(notJson)).toBe(true);
      expect(notJson).toMatchObject({
        name: 'SessionDataError',
        key: PHONE,
        maskedKey: MASKED,
        column: 'datos_temp',
        reason: 'not-json',
      });
      expect((notJson as Error).message).toContain('"datos_temp"');
      expect((notJson as Error).message).toContain(MASKED);
      expect((notJson as Error).message).not.toContain('5215512345678');
      expect((notJson as Error).message).not.toContain('not json');
      const array = await repository.getSession('+5215500000001').catch((e: unknown) => e);
      expect(array).toMatchObject({ name: 'SessionDataError', column: 'datos_temp', reason: 'not-object' });
      const text = await repository.getSession('+5215500000004').catch((e: unknown) => e);
      expect(text).toMatchObject({ name: 'SessionDataError', reason: 'not-object' });
      // withSessionRetry does not retry it: the row will not change by itself.
      let runs = 0;
      const viaRetry = await withSessionRetry(repository, PHONE, () => runs++).catch((e: unknown) => e);
      expect(viaRetry).toMatchObject({ name: 'SessionDataError' });
      expect(runs).toBe(0);
      expect(await repository.getSession('+5215500000002')).toMatchObject({ data: { ok: true } });
      expect(await repository.getSession('+5215500000003')).toMatchObject({ data: {} });
    });

    it('decodeData reads legacy data, and the next write stores it as JSON', async () => {
      const fixture = await legacyFixture();
      const seen: unknown[] = [];
      const repository = new SessionRepository<{ legacy?: unknown; ok?: boolean }>({
        store: fixture.store,
        decodeData: (raw, context) => {
          seen.push([raw, context.column, context.maskedKey, context.reason]);
          return { legacy: raw };
        },
      });
      expect(await repository.getSession(PHONE)).toMatchObject({ data: { legacy: 'not json' } });
      expect(await repository.getSession('+5215500000001')).toMatchObject({ data: { legacy: [1, 2] } });
      expect(await repository.getSession('+5215500000002')).toMatchObject({ data: { ok: true } });
      expect(seen).toEqual([
        ['not json', 'datos_temp', MASKED, 'not-json'],
        [[1, 2], 'datos_temp', '+52*******0001', 'not-object'],
      ]);
      const result = await withSessionRetry(
        repository,
        PHONE,
        (s) => repository.updateSession(PHONE, { data: { ...s.data, ok: true } }, { expectedVersion: s.version }),
        {
          idempotencyKey: 'wamid.J',
        },
      );
      expect(result).toMatchObject({
        status: 'applied',
        value: { data: { legacy: 'not json', ok: true }, version: 1 },
      });
      const plain = new SessionRepository({ store: fixture.store });
      expect(await plain.getSession(PHONE)).toMatchObject({ data: { legacy: 'not json', ok: true } });
    });

    it('verifySchema({ data: true }) lists the rows that cannot be read, masked, before the bot meets them', async () => {
      const fixture = await legacyFixture();
      const repository = new SessionRepository({ store: fixture.store });
      const report = await repository.verifySchema({ data: true });
      expect(report.rowsChecked).toBe(5);
      expect(report.unreadable).toEqual([
        { key: '+5215500000001', maskedKey: '+52*******0001', column: 'datos_temp', reason: 'not-object' },
        { key: '+5215500000004', maskedKey: '+52*******0004', column: 'datos_temp', reason: 'not-object' },
        { key: PHONE, maskedKey: MASKED, column: 'datos_temp', reason: 'not-json' },
      ]);
      const clean = await (await target.createFixture()).repository.verifySchema({ data: true });
      expect(clean).toEqual({ rowsChecked: 0, unreadable: [] });
    });
  });

  describe('webhook path: undefined properties', () => {
    it('undefined object properties are dropped as JSON drops them; undefined in an array is still refused', async () => {
      const fixture = await target.createFixture();
      const repository = new SessionRepository<{ name?: string; tags?: (string | undefined)[] }>({
        store: fixture.store,
      });
      await repository.getOrCreateSession(PHONE);
      const maybeName: string | undefined = undefined;
      const updated = await repository.updateSession(
        PHONE,
        { data: { name: maybeName, tags: ['a'] } },
        { expectedVersion: 0 },
      );
      expect(updated.data).toEqual({ tags: ['a'] });
      expect(await repository.getSession(PHONE)).toMatchObject({ data: { tags: ['a'] }, version: 1 });
      const array = await repository
        .updateSession(PHONE, { data: { tags: ['a', undefined] } }, { expectedVersion: 1 })
        .catch((e: unknown) => e);
      expect(array).toMatchObject({ name: 'InvalidArgumentError', argument: 'changes.data.tags.1' });
    });

    it('initialData is what a new session, and a legacy row with empty data, reads as', async () => {
      const fixture = await target.createFixture();
      const repository = new SessionRepository<{ ids: string[] }>({ store: fixture.store, initialData: { ids: [] } });
      const created = await withSessionRetry(repository, PHONE, (s) => s.data.ids.length);
      expect(created).toBe(0);
      expect(await repository.getSession(PHONE)).toMatchObject({ data: { ids: [] } });
      await makeDataColumnText(target, fixture);
      await insertRawData(fixture, '+5215500000005', '');
      expect(await repository.getSession('+5215500000005')).toMatchObject({ data: { ids: [] } });
    });
  });

  describe('webhook path: retry lines say why', () => {
    it('a conflict retry names the conflict and its versions; a transient retry names the error class and code; neither shows the key', async () => {
      const fixture = await target.createFixture();
      const { lines, logger } = recordingLogger();
      const repository = new SessionRepository<Counter>({ store: fixture.store, logger, perKeyQueue: false });
      await repository.getOrCreateSession(PHONE);
      let attempt = 0;
      await withSessionRetry(
        repository,
        PHONE,
        async (s) => {
          attempt++;
          // Another process writes between this handler's read and its write.
          if (attempt === 1)
            await fixture.repository.updateSession(PHONE, { state: 'OTHER' }, { expectedVersion: s.version });
          if (attempt === 2) throw Object.assign(new Error(`connection to ${PHONE} reset`), { code: 'ECONNRESET' });
          return repository.updateSession(PHONE, { state: `T${attempt}` }, { expectedVersion: s.version });
        },
        { shouldRetry: () => true, baseDelayMs: 1 },
      );
      const retries = lines.filter((line) => line.startsWith('[ConcurrencyRetry]'));
      expect(retries).toHaveLength(2);
      expect(retries[0]).toMatch(/attempt 1\/\d+ failed: version conflict \(expected 0, found 1\)/);
      expect(retries[1]).toMatch(/attempt 2\/\d+ failed: Error ECONNRESET/);
      for (const line of retries) {
        expect(line).toContain(MASKED);
        expect(line).not.toContain('5215512345678');
        expect(line).not.toContain('reset');
      }
    });
  });
}
