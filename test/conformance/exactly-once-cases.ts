/**
 * Conformance cases for exactly-once updates: idempotency keys on updateSession and withSessionRetry,
 * duplicates reported as typed values, and 50 real parallel deliveries of one message.
 */
import { describe, expect, it } from 'vitest';
import {
  ConcurrencyError,
  DuplicateOperationError,
  InvalidArgumentError,
  MigrationRequiredError,
  SessionRepository,
  isDuplicateOperationError,
  withSessionRetry,
} from '../../src/index.js';
import { suiteLog } from '../support/log-sink.js';
import { runParallel } from '../support/parallel.js';
import type { DialectTarget, Fixture } from './target.js';

const PHONE = '+5215512345678';
const MASKED = '+52*******5678';
// WhatsApp message ids carry the sender's number; the library must never log one raw.
const MESSAGE_ID = 'wamid.HBgN5215512345678FQIAERgSQzI4';
const PHONE_DIGITS = '5215512345678';

type Counter = { counter?: number };

/** The fixture's processed-operations table, schema-qualified and quoted. */
export function processedTable(fixture: Fixture): string {
  const { schema, processedTable: table } = fixture.names;
  return schema === null ? fixture.quote(table) : `${fixture.quote(schema)}.${fixture.quote(table)}`;
}

export async function processedRows(fixture: Fixture): Promise<Record<string, unknown>[]> {
  return fixture.exec(`SELECT id, session_key, session_version FROM ${processedTable(fixture)} ORDER BY id`);
}

export function recordingLogger(): {
  lines: string[];
  logger: Record<'debug' | 'info' | 'warn' | 'error', (line: string) => void>;
} {
  const lines: string[] = [];
  // Every line also goes to the suite's sink, for the PII check at the end of the suite.
  const push =
    (level: string) =>
    (line: string): void => {
      lines.push(line);
      suiteLog.add([{ level, line }]);
    };
  return { lines, logger: { debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') } };
}

/** `count` concurrent deliveries of distinct messages to one session, each incrementing its counter once. */
export function distinctDeliveries(
  repository: SessionRepository<Counter>,
  count: number,
): Promise<{ status: string }>[] {
  return Array.from({ length: count }, (_, index) =>
    withSessionRetry(
      repository,
      PHONE,
      (session) =>
        repository.updateSession(
          PHONE,
          { data: { counter: (session.data.counter ?? 0) + 1 } },
          {
            expectedVersion: session.version,
            idempotencyKey: `wamid.distinct.${index}`,
          },
        ),
      { idempotencyKey: `wamid.distinct.${index}`, maxAttempts: 100, baseDelayMs: 1, maxDelayMs: 5 },
    ),
  );
}

export function defineExactlyOnceCases(target: DialectTarget): void {
  describe('exactly-once updates (idempotency keys)', () => {
    it('updateSession applies a key once; the repeat writes nothing and throws DuplicateOperationError with the committed session', async () => {
      const fixture = await target.createFixture();
      const { lines, logger } = recordingLogger();
      const repository = new SessionRepository<Counter>({ store: fixture.store, logger });
      await repository.getOrCreateSession(PHONE, { state: 'INICIO', data: { counter: 0 } });
      const applied = await repository.updateSession(
        PHONE,
        { state: 'PAGADO', data: { counter: 1 } },
        { expectedVersion: 0, idempotencyKey: MESSAGE_ID },
      );
      expect(applied).toMatchObject({ state: 'PAGADO', data: { counter: 1 }, version: 1 });
      // The session moves on; the repeat still gets the session as the first delivery committed it.
      await repository.updateSession(PHONE, { state: 'SIGUIENTE' }, { expectedVersion: 1 });
      const repeat = await repository
        .updateSession(
          PHONE,
          { state: 'PAGADO', data: { counter: 2 } },
          { expectedVersion: 1, idempotencyKey: MESSAGE_ID },
        )
        .catch((e: unknown) => e);
      expect(repeat).toBeInstanceOf(DuplicateOperationError);
      expect(repeat).not.toBeInstanceOf(ConcurrencyError);
      expect(isDuplicateOperationError(repeat)).toBe(true);
      const duplicate = repeat as DuplicateOperationError<Counter>;
      expect(duplicate).toMatchObject({
        name: 'DuplicateOperationError',
        operation: 'updateSession',
        idempotencyKey: MESSAGE_ID,
        key: PHONE,
        maskedKey: MASKED,
        committedVersion: 1,
        session: { key: PHONE, state: 'PAGADO', data: { counter: 1 }, version: 1 },
      });
      expect(duplicate.session!.updatedAt.getTime()).toBe(applied.updatedAt.getTime());
      expect(duplicate.session!.createdAt.getTime()).toBe(applied.createdAt.getTime());
      expect(duplicate.processedAt).toBeInstanceOf(Date);
      expect(duplicate.toDuplicate()).toEqual({
        operation: 'updateSession',
        idempotencyKey: MESSAGE_ID,
        maskedIdempotencyKey: duplicate.maskedIdempotencyKey,
        key: PHONE,
        maskedKey: MASKED,
        session: duplicate.session,
        committedVersion: 1,
        processedAt: duplicate.processedAt,
      });
      expect(await repository.getSession(PHONE)).toMatchObject({
        state: 'SIGUIENTE',
        data: { counter: 1 },
        version: 2,
      });
      expect(
        (await processedRows(fixture)).map((row) => [row['id'], row['session_key'], Number(row['session_version'])]),
      ).toEqual([[MESSAGE_ID, PHONE, 1]]);
      // Neither the phone number nor the message id that embeds it appears raw in messages or logs.
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^\[DuplicateOperation\] Duplicate operation /);
      for (const text of [duplicate.message, ...lines]) {
        expect(text).not.toContain(PHONE_DIGITS);
        expect(text).toContain(MASKED);
        expect(text).toContain(duplicate.maskedIdempotencyKey);
      }
    });

    it('a refused write records nothing: a conflict stays a ConcurrencyError and the key can still be applied', async () => {
      const fixture = await target.createFixture();
      const { repository } = fixture;
      await repository.getOrCreateSession(PHONE);
      await repository.updateSession(PHONE, { state: 'OTRO' }, { expectedVersion: 0 });
      const conflict = await repository
        .updateSession(PHONE, { state: 'MIO' }, { expectedVersion: 0, idempotencyKey: MESSAGE_ID })
        .catch((e: unknown) => e);
      expect(conflict).toMatchObject({ name: 'ConcurrencyError', expectedVersion: 0, actualVersion: 1 });
      const missing = await repository
        .updateSession('+5215500000000', { state: 'X' }, { expectedVersion: 0, idempotencyKey: MESSAGE_ID })
        .catch((e: unknown) => e);
      expect(missing).toMatchObject({ name: 'SessionNotFoundError' });
      expect(await repository.isProcessed(MESSAGE_ID)).toBe(false);
      expect(
        await repository.updateSession(PHONE, { state: 'MIO' }, { expectedVersion: 1, idempotencyKey: MESSAGE_ID }),
      ).toMatchObject({ state: 'MIO', version: 2 });
      expect(await repository.isProcessed(MESSAGE_ID)).toBe(true);
    });

    it('a key recorded by markProcessed, or for another session, is a duplicate without a session', async () => {
      const fixture = await target.createFixture();
      const { repository } = fixture;
      await repository.getOrCreateSession(PHONE);
      await repository.getOrCreateSession('+5215599999999');
      expect(await repository.markProcessed('wamid.MARKED')).toBe(true);
      const marked = await repository
        .updateSession(PHONE, { state: 'X' }, { expectedVersion: 0, idempotencyKey: 'wamid.MARKED' })
        .catch((e: unknown) => e);
      expect(marked).toMatchObject({
        name: 'DuplicateOperationError',
        session: null,
        committedVersion: null,
        key: PHONE,
      });
      await repository.updateSession(
        '+5215599999999',
        { state: 'Y' },
        { expectedVersion: 0, idempotencyKey: 'wamid.OTHER' },
      );
      const other = await repository
        .updateSession(PHONE, { state: 'X' }, { expectedVersion: 0, idempotencyKey: 'wamid.OTHER' })
        .catch((e: unknown) => e);
      expect(other).toMatchObject({
        name: 'DuplicateOperationError',
        session: null,
        committedVersion: null,
        key: PHONE,
      });
      expect(await repository.getSession(PHONE)).toMatchObject({ state: null, version: 0 });
    });

    it('an unconditional update with a key is applied once too', async () => {
      const fixture = await target.createFixture();
      const { repository } = fixture;
      await repository.getOrCreateSession(PHONE);
      expect(await repository.updateSession(PHONE, { state: 'A' }, { idempotencyKey: MESSAGE_ID })).toMatchObject({
        state: 'A',
        version: 1,
      });
      const repeat = await repository
        .updateSession(PHONE, { state: 'A' }, { idempotencyKey: MESSAGE_ID })
        .catch((e: unknown) => e);
      expect(repeat).toMatchObject({ name: 'DuplicateOperationError', committedVersion: 1 });
      expect(await repository.getSession(PHONE)).toMatchObject({ version: 1 });
    });

    it('a bad idempotency key is an InvalidArgumentError and nothing is written', async () => {
      const fixture = await target.createFixture();
      await fixture.repository.getOrCreateSession(PHONE);
      for (const idempotencyKey of ['', 'x'.repeat(256), 'a\u0000b', 42]) {
        const error = await fixture.repository
          .updateSession(PHONE, { state: 'X' }, { expectedVersion: 0, idempotencyKey: idempotencyKey as string })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect((error as InvalidArgumentError).argument).toBe('options.idempotencyKey');
        const viaRetry = await withSessionRetry(fixture.repository, PHONE, async () => 'never', {
          idempotencyKey: idempotencyKey as string,
        }).catch((e: unknown) => e);
        expect(viaRetry).toMatchObject({ name: 'InvalidArgumentError', argument: 'idempotencyKey' });
      }
      expect(await fixture.repository.getSession(PHONE)).toMatchObject({ state: null, version: 0 });
      expect(await processedRows(fixture)).toEqual([]);
    });

    it('verifySchema names a processed-operations column that is missing', async () => {
      const fixture = await target.createFixture();
      await fixture.exec(`ALTER TABLE ${processedTable(fixture)} DROP COLUMN commit_token`);
      const error = await fixture.repository.verifySchema().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MigrationRequiredError);
      expect((error as MigrationRequiredError).missing).toEqual([expect.stringContaining('column "commit_token"')]);
    });
  });

  describe('withSessionRetry with an idempotency key', () => {
    it('applies once, then skips the handler and resolves to a typed duplicate', async () => {
      const fixture = await target.createFixture();
      const { lines, logger } = recordingLogger();
      const repository = new SessionRepository<Counter>({ store: fixture.store, logger });
      let handlerRuns = 0;
      const deliver = (): Promise<unknown> =>
        withSessionRetry(
          repository,
          PHONE,
          async (session) => {
            handlerRuns++;
            const updated = await repository.updateSession(
              PHONE,
              { data: { counter: (session.data.counter ?? 0) + 1 } },
              { expectedVersion: session.version, idempotencyKey: MESSAGE_ID },
            );
            return `respuesta v${updated.version}`;
          },
          { idempotencyKey: MESSAGE_ID, initial: { data: { counter: 0 } } },
        );
      expect(await deliver()).toEqual({ status: 'applied', value: 'respuesta v1' });
      const second = await deliver();
      expect(handlerRuns).toBe(1);
      expect(second).toMatchObject({
        status: 'duplicate',
        operation: 'withSessionRetry',
        idempotencyKey: MESSAGE_ID,
        key: PHONE,
        committedVersion: 1,
        session: { data: { counter: 1 }, version: 1 },
      });
      expect(await repository.getSession(PHONE)).toMatchObject({ data: { counter: 1 }, version: 1 });
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(MASKED);
      expect(lines[0]).not.toContain(PHONE_DIGITS);
    });

    it('a delivery that commits while the handler runs turns its conflict into a duplicate, not a ConcurrencyError', async () => {
      const fixture = await target.createFixture();
      const repository = new SessionRepository<Counter>({ store: fixture.store });
      await repository.getOrCreateSession(PHONE, { data: { counter: 0 } });
      let handlerRuns = 0;
      const result = await withSessionRetry(
        repository,
        PHONE,
        async (session) => {
          handlerRuns++;
          // Another instance, given the same message, commits between this handler's read and its write.
          await fixture.repository.updateSession(
            PHONE,
            { data: { counter: 1 } },
            { expectedVersion: session.version, idempotencyKey: MESSAGE_ID },
          );
          return repository.updateSession(
            PHONE,
            { data: { counter: (session.data.counter ?? 0) + 1 } },
            {
              expectedVersion: session.version,
              idempotencyKey: MESSAGE_ID,
            },
          );
        },
        { idempotencyKey: MESSAGE_ID },
      );
      expect(handlerRuns).toBe(1);
      expect(result).toMatchObject({ status: 'duplicate', operation: 'updateSession', committedVersion: 1 });
      expect(await repository.getSession(PHONE)).toMatchObject({ data: { counter: 1 }, version: 1 });
    });
  });

  describe('exactly-once with real parallel workers', () => {
    it('50 concurrent deliveries of one message id → applied once, 49 duplicates', async () => {
      const fixture = await target.createFixture();
      await fixture.repository.getOrCreateSession(PHONE, { data: { counter: 0 } });
      const results = await runParallel({
        connection: fixture.connection,
        workload: 'deliverOnce',
        key: PHONE,
        messageId: MESSAGE_ID,
        workers: 5,
        tasksPerWorker: 10,
        poolSize: 4,
        retry: { maxAttempts: 50, baseDelayMs: 1, maxDelayMs: 20 },
      });
      expect(results.filter((result) => !result.ok)).toEqual([]);
      expect(results.filter((result) => result.status === 'applied')).toHaveLength(1);
      expect(results.filter((result) => result.status === 'duplicate')).toHaveLength(49);
      expect(results.map((result) => result.version)).toEqual(Array(50).fill(1));
      expect(await fixture.repository.getSession(PHONE)).toMatchObject({ data: { counter: 1 }, version: 1 });
      expect((await processedRows(fixture)).map((row) => row['id'])).toEqual([MESSAGE_ID]);
    });

    it('negative control: the same 50 deliveries without the idempotency key apply the effect more than once', async () => {
      const fixture = await target.createFixture();
      await fixture.repository.getOrCreateSession(PHONE, { data: { counter: 0 } });
      const results = await runParallel({
        connection: fixture.connection,
        workload: 'deliverWithoutKey',
        key: PHONE,
        workers: 5,
        tasksPerWorker: 10,
        poolSize: 4,
        retry: { maxAttempts: 500, baseDelayMs: 1, maxDelayMs: 20 },
      });
      expect(results.filter((result) => !result.ok)).toEqual([]);
      const final = (await fixture.repository.getSession(PHONE)) as { data: Counter; version: number };
      expect(final.data.counter).toBeGreaterThan(1);
      expect(final.data.counter).toBe(50);
    });

    it('50 concurrent updateSession calls with one key and one expectedVersion → one wins, 49 DuplicateOperationErrors, no ConcurrencyError', async () => {
      const fixture = await target.createFixture();
      await fixture.repository.getOrCreateSession(PHONE, { data: { counter: 0 } });
      const results = await runParallel({
        connection: fixture.connection,
        workload: 'updateOnce',
        key: PHONE,
        messageId: MESSAGE_ID,
        expectedVersion: 0,
        workers: 5,
        tasksPerWorker: 10,
        poolSize: 4,
      });
      expect(results.filter((result) => result.ok).map((result) => result.version)).toEqual([1]);
      const losers = results.filter((result) => !result.ok);
      expect(losers).toHaveLength(49);
      for (const loser of losers) {
        expect(loser.error).toMatchObject({
          name: 'DuplicateOperationError',
          isDuplicateOperationError: true,
          isConcurrencyError: false,
          committedVersion: 1,
        });
      }
      expect(await fixture.repository.getSession(PHONE)).toMatchObject({ data: { counter: 1 }, version: 1 });
    });

    it('30 concurrent idempotent deliveries of distinct messages on one store connection all apply, none inside another transaction', async () => {
      const fixture = await target.createFixture();
      const repository = new SessionRepository<Counter>({ store: fixture.store });
      await repository.getOrCreateSession(PHONE, { data: { counter: 0 } });
      const results = await Promise.all(distinctDeliveries(repository, 30));
      expect(results.map((result) => result.status)).toEqual(Array(30).fill('applied'));
      expect(await repository.getSession(PHONE)).toMatchObject({ data: { counter: 30 }, version: 30 });
      expect(await processedRows(fixture)).toHaveLength(30);
    });
  });
}
