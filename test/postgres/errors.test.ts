/**
 * Error classification and `isTransientError` on errors raised for real by the PostgreSQL server and
 * the installed `pg`: each case runs what makes the server (or the socket) fail the way the store can
 * meet it. Codes that need a race to happen (serialization failure, deadlock) are built with `pg`'s
 * own `DatabaseError`, shaped as it parses the server's error message.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyPostgresError } from '../../src/postgres/postgres-errors.js';
import { isTransientError } from '../../src/postgres/index.js';
import { describeUnavailable } from '../support/environment.js';
import { uniqueName } from '../support/names.js';

const url = process.env['VERSIONED_SESSIONS_PG_URL'];

/** A server error as pg's protocol parser builds it from an ErrorResponse. */
function serverError(code: string, message: string): pg.DatabaseError {
  return Object.assign(new pg.DatabaseError(message, message.length, 'error'), { code, severity: 'ERROR' });
}

describe('classifyPostgresError without a server', () => {
  it.each([
    ['40001', 'could not serialize access due to concurrent update'],
    ['40P01', 'deadlock detected'],
    ['57P02', 'terminating connection due to crash of another server process'],
    ['57P03', 'the database system is starting up'],
    ['08006', 'connection failure'],
    ['53300', 'sorry, too many clients already'],
  ])('SQLSTATE %s (%s) is transient', (code, message) => {
    const error = serverError(code, message);
    expect(classifyPostgresError(error)).toBe('transient');
    expect(isTransientError(error)).toBe(true);
  });

  it('a refused connection (ECONNREFUSED from the socket) is transient', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: 1, user: 'nobody', connectionTimeoutMillis: 2000 });
    const error = await client.connect().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ECONNREFUSED' });
    expect(classifyPostgresError(error)).toBe('transient');
  });

  it('values that are not driver errors are other, never transient', () => {
    for (const value of [new Error('relation does not exist'), '23505', null, undefined, { code: 23505 }]) {
      expect(classifyPostgresError(value)).toBe('other');
      expect(isTransientError(value)).toBe(false);
    }
  });
});

if (url === undefined) {
  describeUnavailable('postgres', 'classifyPostgresError on a server', 'VERSIONED_SESSIONS_PG_URL is not set');
} else {
  describe('classifyPostgresError on a server', () => {
    const schema = uniqueName('errors');
    const client = new pg.Client({ connectionString: url });

    beforeAll(async () => {
      await client.connect();
      await client.query(`CREATE SCHEMA "${schema}"`);
      await client.query(`CREATE TABLE "${schema}".sessions (key text PRIMARY KEY, state text)`);
      await client.query(`INSERT INTO "${schema}".sessions (key) VALUES ('a')`);
    });

    afterAll(async () => {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    });

    const errorOf = (sql: string): Promise<unknown> =>
      client.query(sql).then(
        () => {
          throw new Error(`expected ${sql} to fail`);
        },
        (error: unknown) => error,
      );

    it.each([
      ['a duplicate key', (s: string) => `INSERT INTO "${s}".sessions (key) VALUES ('a')`, '23505', 'unique-violation'],
      ['a missing table', (s: string) => `SELECT * FROM "${s}".missing`, '42P01', 'schema-missing'],
      ['a missing column', (s: string) => `SELECT version FROM "${s}".sessions`, '42703', 'schema-missing'],
      ['a missing schema', (s: string) => `CREATE TABLE "${s}_missing".t (v int)`, '3F000', 'schema-missing'],
      [
        'an ON CONFLICT target without a unique index (an adopted table)',
        (s: string) => `INSERT INTO "${s}".sessions (key, state) VALUES ('b', 'x') ON CONFLICT (state) DO NOTHING`,
        '42P10',
        'schema-missing',
      ],
      ['a NOT NULL violation', (s: string) => `INSERT INTO "${s}".sessions (key) VALUES (NULL)`, '23502', 'other'],
      ['a syntax error', () => 'SELEC 1', '42601', 'other'],
    ])('%s (SQLSTATE %s) is %s', async (_title, sql, code, kind) => {
      const error = await errorOf(sql(schema));
      expect(error).toMatchObject({ code });
      expect(classifyPostgresError(error)).toBe(kind);
      expect(isTransientError(error)).toBe(kind === 'transient');
    });

    it('a connection the server terminates (SQLSTATE 57P01) is transient', async () => {
      const victim = new pg.Client({ connectionString: url });
      // A terminated client also emits 'error'; without a listener that would crash the run.
      victim.on('error', () => undefined);
      await victim.connect();
      const {
        rows: [row],
      } = await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const sleeping = victim.query('SELECT pg_sleep(10)').catch((e: unknown) => e);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await client.query('SELECT pg_terminate_backend($1)', [row!.pid]);
      const error = await sleeping;
      await victim.end().catch(() => undefined);
      expect(classifyPostgresError(error)).toBe('transient');
      expect(isTransientError(error)).toBe(true);
    });
  });
}
