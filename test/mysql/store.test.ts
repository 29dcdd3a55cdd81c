/**
 * What is particular to MySQL and MariaDB, against the real server: the FOUND_ROWS flag, byte-exact
 * keys and ids, utf8mb4, UTC times whatever the session time zone, deep JSON, both `mysql2`
 * APIs, a single connection, and a caller's transaction on a callback-API connection.
 */
import mysqlCallback from 'mysql2';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, SessionRepository } from '../../src/index.js';
import { migrate } from '../../src/migrations/index.js';
import { MysqlSessionStore } from '../../src/mysql/index.js';
import { describeUnavailable } from '../support/environment.js';
import { uniqueName } from '../support/names.js';

const PHONE = '+5215512345678';
const url = process.env['VERSIONED_SESSIONS_MYSQL_URL'];

if (url === undefined || url === '') {
  describeUnavailable('mysql', 'MySQL store specifics', 'VERSIONED_SESSIONS_MYSQL_URL is not set');
} else {
  describe('MySQL store specifics', () => {
    const database = uniqueName('vsx');
    const admin = mysql.createPool({ uri: url, connectionLimit: 4 });
    const opened: { end(): Promise<void> | void }[] = [];
    const quoted = `\`${database}\``;

    /** A fresh, migrated pair of tables in the test database, and a store on `pool`. */
    async function storeOn(
      pool: ConstructorParameters<typeof MysqlSessionStore>[0]['pool'],
    ): Promise<{ repository: SessionRepository; store: MysqlSessionStore; table: string }> {
      const table = uniqueName('sessions');
      const names = { table, processedTable: uniqueName('processed') };
      await migrate({
        dialect: 'mysql',
        pool: admin,
        schema: database,
        trackingTable: uniqueName('migrations'),
        ...names,
      });
      const store = new MysqlSessionStore({ pool, database, ...names });
      return { repository: new SessionRepository({ store }), store, table: `${quoted}.\`${table}\`` };
    }

    beforeAll(async () => {
      await admin.query(`CREATE DATABASE ${quoted}`);
    });
    afterAll(async () => {
      for (const handle of opened.splice(0)) await handle.end();
      await admin.query(`DROP DATABASE IF EXISTS ${quoted}`);
      await admin.end();
    });

    it("a pool with flags '-FOUND_ROWS' does not turn an unchanged touch into a missing row", async () => {
      const connection = await mysql.createConnection({ uri: url, flags: ['-FOUND_ROWS'] });
      opened.push(connection);
      const { repository, store, table } = await storeOn(connection);
      await repository.getOrCreateSession(PHONE);
      // The session clock stands still, so a second touch writes the same updated_at: "changed 0".
      await connection.query('SET TIMESTAMP = 1893456000.5');
      expect(await store.touch(PHONE)).toBe(true);
      expect(await store.touch(PHONE)).toBe(true);
      await expect(repository.touchSession(PHONE)).resolves.toBeUndefined();
      // The trap being avoided: affectedRows counts changed rows under -FOUND_ROWS, and it is 0 here.
      const [header] = await connection.execute(
        `UPDATE ${table} SET \`updated_at\` = UTC_TIMESTAMP(3) WHERE \`key\` = ?`,
        [PHONE],
      );
      expect((header as { affectedRows: number }).affectedRows).toBe(0);
      expect((await repository.getSession(PHONE))!.updatedAt.toISOString()).toBe('2030-01-01T00:00:00.500Z');
      const session = (await repository.getSession(PHONE))!;
      await expect(
        repository.updateSession(PHONE, { state: session.state }, { expectedVersion: session.version }),
      ).resolves.toMatchObject({ version: 1 });
      await connection.query('SET TIMESTAMP = DEFAULT');
    });

    it('keys and idempotency ids are byte-exact: case and trailing spaces make different sessions and ids', async () => {
      const { repository } = await storeOn(admin);
      const upper = await repository.getOrCreateSession('+52155ABC', { state: 'UPPER' });
      const lower = await repository.getOrCreateSession('+52155abc', { state: 'LOWER' });
      const spaced = await repository.getOrCreateSession('+52155abc ', { state: 'SPACED' });
      expect([upper.state, lower.state, spaced.state]).toEqual(['UPPER', 'LOWER', 'SPACED']);
      expect((await repository.getSession('+52155abc '))!.key).toBe('+52155abc ');
      expect(await repository.markProcessed('wamid.ABC')).toBe(true);
      expect(await repository.markProcessed('wamid.abc')).toBe(true);
      expect(await repository.markProcessed('wamid.abc ')).toBe(true);
      expect(await repository.markProcessed('wamid.abc')).toBe(false);
    });

    it('stores utf8mb4 in keys, states and data', async () => {
      const { repository } = await storeOn(admin);
      const key = 'tg:🙂:42';
      await repository.getOrCreateSession(key, { state: 'PAGO_✅', data: { nota: 'año 🧾', kanji: '漢字' } });
      expect(await repository.getSession(key)).toMatchObject({
        key,
        state: 'PAGO_✅',
        data: { nota: 'año 🧾', kanji: '漢字' },
      });
    });

    it('writes and reads UTC times whatever the session time_zone and the pool’s timezone and dateStrings', async () => {
      const pool = mysql.createPool({ uri: url, connectionLimit: 2, timezone: '-05:00', dateStrings: true });
      opened.push(pool);
      pool.on('connection', (connection) => void connection.query("SET time_zone = '+09:00'"));
      const { repository, table } = await storeOn(pool);
      const before = Date.now();
      const session = await repository.getOrCreateSession(PHONE);
      const after = Date.now();
      expect(session.createdAt.getTime()).toBeGreaterThanOrEqual(before - 2000);
      expect(session.createdAt.getTime()).toBeLessThanOrEqual(after + 2000);
      const [rows] = await admin.query(
        `SELECT TIMESTAMPDIFF(SECOND, \`created_at\`, UTC_TIMESTAMP()) AS age FROM ${table}`,
      );
      expect(Math.abs(Number((rows as { age: number }[])[0]!.age))).toBeLessThan(5);
    });

    it('stores data nested deeper than JSON_VALID allows (MariaDB 32 levels, MySQL 100): the column has no such check', async () => {
      const { repository } = await storeOn(admin);
      let deep: Record<string, unknown> = { leaf: 'x' };
      for (let level = 0; level < 150; level++) deep = { n: deep };
      await repository.getOrCreateSession(PHONE, { data: deep });
      expect((await repository.getSession(PHONE))!.data).toEqual(deep);
      const [rows] = await admin.query('SELECT JSON_VALID(?) AS valid', [JSON.stringify(deep)]);
      expect(Number((rows as { valid: number }[])[0]!.valid)).toBe(0);
    });

    it('takes a callback-API pool: plain, conditional and idempotent writes, and a caller transaction on its connection', async () => {
      const pool = mysqlCallback.createPool({ uri: url, connectionLimit: 3 });
      opened.push({ end: () => new Promise<void>((resolve) => pool.end(() => resolve())) });
      const { repository, table } = await storeOn(pool);
      const session = await repository.getOrCreateSession(PHONE, { data: { n: 0 } });
      const updated = await repository.updateSession(
        PHONE,
        { data: { n: 1 } },
        { expectedVersion: session.version, idempotencyKey: 'wamid.1' },
      );
      expect(updated).toMatchObject({ data: { n: 1 }, version: 1 });
      const connection = await new Promise<mysqlCallback.PoolConnection>((resolve, reject) =>
        pool.getConnection((error, got) => (error ? reject(error) : resolve(got))),
      );
      await connection.promise().beginTransaction();
      await repository.updateSession(PHONE, { state: 'CERRADO' }, { expectedVersion: 1, transaction: connection });
      await connection.promise().rollback();
      connection.release();
      expect(await repository.getSession(PHONE)).toMatchObject({ state: null, version: 1 });
      const [rows] = await admin.query(`SELECT COUNT(*) AS n FROM ${table}`);
      expect(Number((rows as { n: number }[])[0]!.n)).toBe(1);
    });

    it('on one connection, 20 concurrent idempotent updates of distinct keys all apply, each transaction alone on it', async () => {
      const connection = await mysql.createConnection({ uri: url });
      opened.push(connection);
      const { repository } = await storeOn(connection);
      const keys = Array.from({ length: 20 }, (_, index) => `+52155100${String(index).padStart(4, '0')}`);
      await Promise.all(keys.map((key) => repository.getOrCreateSession(key)));
      const results = await Promise.all(
        keys.map((key, index) =>
          repository.updateSession(key, { state: 'HECHO' }, { expectedVersion: 0, idempotencyKey: `wamid.${index}` }),
        ),
      );
      expect(results.map((result) => result.version)).toEqual(Array(20).fill(1));
    });

    it('refuses a pool as a caller transaction, and a value that is not a mysql2 pool', async () => {
      const { repository } = await storeOn(admin);
      await repository.getOrCreateSession(PHONE);
      const error = await repository
        .updateSession(PHONE, { state: 'X' }, { expectedVersion: 0, transaction: admin })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toContain('beginTransaction');
      expect(() => new MysqlSessionStore({ pool: {} as never })).toThrow(InvalidArgumentError);
      expect(() => new MysqlSessionStore({ pool: admin, database: 'a;b' })).toThrow(
        /^Expected `database` to be a plain mysql identifier/,
      );
    });
  });
}

describe.skipIf(url === undefined || url === '')('MySQL migrations under a login without DDL rights', () => {
  it('stop with insufficient-privilege naming the rights, and record nothing', async () => {
    const admin = mysql.createPool({ uri: url!, connectionLimit: 2 });
    const database = uniqueName('vsp');
    const user = uniqueName('vs_app').slice(0, 32);
    try {
      await admin.query(`CREATE DATABASE \`${database}\``);
      await admin.query(`CREATE USER '${user}'@'%'`);
      await admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON \`${database}\`.* TO '${user}'@'%'`);
      const login = new URL(url!);
      login.username = user;
      login.pathname = `/${database}`;
      const app = mysql.createPool({ uri: login.toString(), connectionLimit: 2 });
      try {
        const error = await migrate({ dialect: 'mysql', pool: app }).catch((e: unknown) => e);
        expect(error).toMatchObject({ name: 'MigrationError', reason: 'insufficient-privilege' });
        expect((error as { missingRight?: string }).missingRight).toBe(
          'CREATE, ALTER, INDEX, SELECT, INSERT, UPDATE and DELETE on the database.*',
        );
        const [tables] = await admin.query('SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [
          database,
        ]);
        expect(tables).toEqual([]);
      } finally {
        await app.end();
      }
    } finally {
      await admin.query(`DROP USER IF EXISTS '${user}'@'%'`);
      await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await admin.end();
    }
  });
});
