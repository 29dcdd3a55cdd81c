/**
 * PostgreSQL-only exactly-once cases: ambiguous commits produced for real by a TCP proxy that cuts the
 * connection after the server has answered, retries of transient connection errors, and a single
 * `pg.Client` given as the pool.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionRepository, isConcurrencyError, withSessionRetry } from '../../src/index.js';
import { PostgresSessionStore, isTransientError } from '../../src/postgres/index.js';
import { distinctDeliveries, processedRows } from '../conformance/exactly-once-cases.js';
import type { Fixture } from '../conformance/target.js';
import { postgresTarget } from '../conformance/targets/postgres.js';
import { isRequired } from '../support/environment.js';
import { uniqueName } from '../support/names.js';
import { startDroppingProxy, type DroppingProxy } from '../support/tcp-proxy.js';

const PHONE = '+5215512345678';
const MESSAGE_ID = 'wamid.HBgN5215512345678FQIAERgSQzI4';
// The keyed write is one statement, committed on its own: its reply is the commit's.
const ONCE_WRITE = 'WITH written AS (UPDATE ';
type Counter = { counter?: number };

const target = postgresTarget();
const availability = await target.availability();

if (!availability.available) {
  if (isRequired('postgres')) {
    describe('postgres exactly-once', () => {
      it('is required by VERSIONED_SESSIONS_REQUIRE but unavailable', () => {
        throw new Error(`postgres is required but unavailable: ${availability.reason}`);
      });
    });
  } else {
    console.warn(`[versioned-sessions tests] skipping the postgres exactly-once cases: ${availability.reason}`);
    describe.skip(`postgres exactly-once (skipped: ${availability.reason})`, () => {
      it('needs a database', () => undefined);
    });
  }
} else {
  describe('postgres exactly-once', () => {
    let proxy: DroppingProxy;
    const pools: pg.Pool[] = [];
    const clients: pg.Client[] = [];

    beforeAll(async () => {
      const upstream = new URL((await target.createFixture()).connection.location);
      proxy = await startDroppingProxy(upstream.hostname, Number(upstream.port || 5432));
    });

    afterAll(async () => {
      for (const pool of pools.splice(0)) await pool.end();
      for (const client of clients.splice(0)) await client.end();
      await proxy.close();
      await target.close();
    });

    /** A repository on the fixture's tables whose connections pass through the proxy. */
    function throughProxy(fixture: Fixture): SessionRepository<Counter> {
      const url = new URL(fixture.connection.location);
      url.hostname = '127.0.0.1';
      url.port = String(proxy.port);
      const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
      pools.push(pool);
      return new SessionRepository<Counter>({ store: new PostgresSessionStore({ pool, ...fixture.tableOptions }) });
    }

    async function stored(fixture: Fixture): Promise<{ counter: number | undefined; version: number }> {
      const session = await (fixture.repository as SessionRepository<Counter>).getSession(PHONE);
      return { counter: session!.data.counter, version: session!.version };
    }

    describe('ambiguous commits through a proxy that cuts the connection after the server answered', () => {
      it('updateSession with an idempotency key recognises its own commit and returns the committed session', async () => {
        const fixture = await target.createFixture();
        const repository = throughProxy(fixture);
        await repository.getOrCreateSession(PHONE, { data: { counter: 0 } });
        const drops = proxy.drops;
        proxy.dropAfterReplyTo(ONCE_WRITE);
        const updated = await repository.updateSession(
          PHONE,
          { state: 'PAGADO', data: { counter: 1 } },
          { expectedVersion: 0, idempotencyKey: MESSAGE_ID },
        );
        expect(proxy.drops).toBe(drops + 1);
        expect(updated).toMatchObject({ key: PHONE, state: 'PAGADO', data: { counter: 1 }, version: 1 });
        expect(await stored(fixture)).toEqual({ counter: 1, version: 1 });
        expect((await processedRows(fixture)).map((row) => Number(row['session_version']))).toEqual([1]);
      });

      it('withSessionRetry with an idempotency key: the effect is there once and the call resolves as applied', async () => {
        const fixture = await target.createFixture();
        const repository = throughProxy(fixture);
        await repository.getOrCreateSession(PHONE, { data: { counter: 0 } });
        const drops = proxy.drops;
        proxy.dropAfterReplyTo(ONCE_WRITE);
        let handlerRuns = 0;
        const result = await withSessionRetry(
          repository,
          PHONE,
          async (session) => {
            handlerRuns++;
            return repository.updateSession(
              PHONE,
              { data: { counter: (session.data.counter ?? 0) + 1 } },
              {
                expectedVersion: session.version,
                idempotencyKey: MESSAGE_ID,
              },
            );
          },
          { idempotencyKey: MESSAGE_ID, baseDelayMs: 1 },
        );
        expect(proxy.drops).toBe(drops + 1);
        expect(handlerRuns).toBe(1);
        expect(result).toMatchObject({ status: 'applied', value: { data: { counter: 1 }, version: 1 } });
        expect(await stored(fixture)).toEqual({ counter: 1, version: 1 });
      });

      it('negative control: without a key the same lost reply gives a false ConcurrencyError on retry, or a double apply', async () => {
        const fixture = await target.createFixture();
        const repository = throughProxy(fixture);
        await repository.getOrCreateSession(PHONE, { data: { counter: 0 } });
        const updateText = `UPDATE "${fixture.names.schema}"."${fixture.names.table}"`;

        proxy.dropAfterReplyTo(updateText);
        const lost = await repository
          .updateSession(PHONE, { data: { counter: 1 } }, { expectedVersion: 0 })
          .catch((e: unknown) => e);
        expect(isTransientError(lost)).toBe(true);
        expect(await stored(fixture)).toEqual({ counter: 1, version: 1 }); // the server did commit it
        const retried = await repository
          .updateSession(PHONE, { data: { counter: 1 } }, { expectedVersion: 0 })
          .catch((e: unknown) => e);
        expect(isConcurrencyError(retried)).toBe(true); // a conflict with its own write

        proxy.dropAfterReplyTo(updateText);
        await withSessionRetry(
          repository,
          PHONE,
          (session) =>
            repository.updateSession(
              PHONE,
              { data: { counter: (session.data.counter ?? 0) + 1 } },
              { expectedVersion: session.version },
            ),
          { shouldRetry: (e) => isConcurrencyError(e) || isTransientError(e), baseDelayMs: 1 },
        );
        expect(await stored(fixture)).toEqual({ counter: 3, version: 3 }); // one delivery, applied twice
      });
    });

    describe('transient connection errors', () => {
      it('withSessionRetry with a key retries a connection lost before its write reached the server; without one it throws', async () => {
        const fixture = await target.createFixture();
        const repository = throughProxy(fixture);
        await repository.getOrCreateSession(PHONE, { data: { counter: 0 } });
        let handlerRuns = 0;
        const increment = (idempotencyKey?: string) => async (session: { version: number; data: Counter }) => {
          handlerRuns++;
          return repository.updateSession(
            PHONE,
            { data: { counter: (session.data.counter ?? 0) + 1 } },
            {
              expectedVersion: session.version,
              ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
            },
          );
        };
        const dropsBefore = proxy.dropsBefore;
        proxy.dropBefore(ONCE_WRITE);
        const result = await withSessionRetry(repository, PHONE, increment(MESSAGE_ID), {
          idempotencyKey: MESSAGE_ID,
          baseDelayMs: 1,
        });
        expect(proxy.dropsBefore).toBe(dropsBefore + 1);
        expect(handlerRuns).toBe(2);
        expect(result).toMatchObject({ status: 'applied', value: { version: 1 } });
        expect(await stored(fixture)).toEqual({ counter: 1, version: 1 });

        handlerRuns = 0;
        proxy.dropAfterReplyTo(`UPDATE "${fixture.names.schema}"`);
        const error = await withSessionRetry(repository, PHONE, increment(), { baseDelayMs: 1 }).catch(
          (e: unknown) => e,
        );
        expect(handlerRuns).toBe(1);
        expect(isTransientError(error)).toBe(true);
      });
    });

    describe('a single pg.Client as the pool', () => {
      it("queues the store's transactions: concurrent idempotent deliveries and reads on one client all apply", async () => {
        const fixture = await target.createFixture();
        const client = new pg.Client({ connectionString: fixture.connection.location });
        await client.connect();
        clients.push(client);
        const repository = new SessionRepository<Counter>({
          store: new PostgresSessionStore({ pool: client, ...fixture.tableOptions }),
        });
        await repository.getOrCreateSession(PHONE, { data: { counter: 0 } });
        const deliveries = distinctDeliveries(repository, 20);
        const reads = Array.from({ length: 20 }, () => repository.getSession(PHONE));
        const results = await Promise.all(deliveries);
        await Promise.all(reads);
        expect(results.map((result) => result.status)).toEqual(Array(20).fill('applied'));
        expect(await stored(fixture)).toEqual({ counter: 20, version: 20 });
        expect(await processedRows(fixture)).toHaveLength(20);
      });

      it("negative control: without a queue, a statement issued during another's transaction on one client rolls back with it", async () => {
        const fixture = await target.createFixture();
        const client = new pg.Client({ connectionString: fixture.connection.location });
        await client.connect();
        clients.push(client);
        const table = `"${fixture.names.schema}"."${uniqueName('t')}"`;
        await client.query(`CREATE TABLE ${table} (n integer)`);
        const transaction = (async () => {
          await client.query('BEGIN');
          await new Promise((resolve) => setTimeout(resolve, 20));
          await client.query('ROLLBACK');
        })();
        await new Promise((resolve) => setTimeout(resolve, 5));
        await client.query(`INSERT INTO ${table} (n) VALUES (1)`); // meant to commit on its own
        await transaction;
        expect(Number((await client.query(`SELECT COUNT(*) AS n FROM ${table}`)).rows[0].n)).toBe(0);
      });

      it("a pool given as the caller's transaction is an InvalidArgumentError saying to pass the client", async () => {
        const fixture = await target.createFixture();
        const pool = new pg.Pool({ connectionString: fixture.connection.location, max: 1 });
        pools.push(pool);
        await fixture.repository.getOrCreateSession(PHONE);
        const error = await fixture.repository
          .updateSession(PHONE, { state: 'X' }, { expectedVersion: 0, transaction: pool })
          .catch((e: unknown) => e);
        expect(error).toMatchObject({ name: 'InvalidArgumentError', argument: 'options.transaction' });
        expect((error as Error).message).toContain("client.query('BEGIN')");
        expect(await fixture.repository.getSession(PHONE)).toMatchObject({ state: null, version: 0 });
      });
    });
  });
}
