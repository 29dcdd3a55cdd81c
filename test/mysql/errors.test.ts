/**
 * Error classification and `isTransientError` on errors shaped as `mysql2` builds them (a server error
 * carries `errno`, `code` and `sqlState`; a client-side failure a `code`), and on real errors from the
 * MariaDB server when it is reachable.
 */
import mysql from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { classifyMysqlError, isTransientError } from '../../src/mysql/mysql-errors.js';
import { isRequired } from '../support/environment.js';

function serverError(errno: number, code: string, message: string): Error {
  return Object.assign(new Error(message), { errno, code, sqlState: 'HY000', sqlMessage: message, fatal: false });
}

function clientError(code: string, message: string, fatal = true): Error {
  return Object.assign(new Error(message), { code, fatal });
}

describe('classifyMysqlError', () => {
  it.each([
    [1062, 'ER_DUP_ENTRY', "Duplicate entry '+5215512345678' for key 'PRIMARY'", 'unique-violation'],
    [1146, 'ER_NO_SUCH_TABLE', "Table 'bot.sessions' doesn't exist", 'schema-missing'],
    [1054, 'ER_BAD_FIELD_ERROR', "Unknown column 'version' in 'field list'", 'schema-missing'],
    [1213, 'ER_LOCK_DEADLOCK', 'Deadlock found when trying to get lock; try restarting transaction', 'transient'],
    [1205, 'ER_LOCK_WAIT_TIMEOUT', 'Lock wait timeout exceeded; try restarting transaction', 'transient'],
    [1040, 'ER_CON_COUNT_ERROR', 'Too many connections', 'transient'],
    [2013, 'CR_SERVER_LOST', 'Lost connection to MySQL server during query', 'transient'],
    [2006, 'CR_SERVER_GONE_ERROR', 'MySQL server has gone away', 'transient'],
    [1927, 'ER_CONNECTION_KILLED', 'Connection was killed', 'transient'],
    [
      4031,
      'ER_CLIENT_INTERACTION_TIMEOUT',
      'The client was disconnected by the server because of inactivity.',
      'transient',
    ],
    [1049, 'ER_BAD_DB_ERROR', "Unknown database 'bot'", 'other'],
    [1406, 'ER_DATA_TOO_LONG', "Data too long for column 'state' at row 1", 'other'],
    [3819, 'ER_CHECK_CONSTRAINT_VIOLATED', "Check constraint 'data' is violated.", 'other'],
  ] as const)('server error %i (%s) → %s', (errno, code, message, kind) => {
    expect(classifyMysqlError(serverError(errno, code, message))).toBe(kind);
    expect(isTransientError(serverError(errno, code, message))).toBe(kind === 'transient');
  });

  it.each([
    'PROTOCOL_CONNECTION_LOST',
    'ECONNRESET',
    'ECONNREFUSED',
    'EPIPE',
    'ETIMEDOUT',
    'PROTOCOL_SEQUENCE_TIMEOUT',
  ])('client error %s → transient', (code) => {
    expect(classifyMysqlError(clientError(code, 'Connection lost: The server closed the connection.'))).toBe(
      'transient',
    );
  });

  it('reads a closed connection reported by message only as transient', () => {
    expect(isTransientError(new Error("Can't add new command when connection is in closed state"))).toBe(true);
  });

  it('treats non-driver values as other', () => {
    for (const value of [undefined, null, 'boom', 42, new Error('plain'), { errno: '1062' }, { code: 1213 }])
      expect(classifyMysqlError(value)).toBe('other');
  });
});

const url = process.env['VERSIONED_SESSIONS_MYSQL_URL'];

describe.skipIf((url === undefined || url === '') && !isRequired('mysql'))(
  'classifyMysqlError on the server’s own errors',
  () => {
    const pool = mysql.createPool({ uri: url ?? 'mysql://localhost/none', connectionLimit: 3 });
    afterAll(() => pool.end());

    it('a missing table and a missing column are schema-missing; a duplicate key is a unique violation', async () => {
      const missingTable = await pool
        .execute('SELECT 1 FROM versioned_sessions_no_such_table')
        .catch((e: unknown) => e);
      expect(classifyMysqlError(missingTable)).toBe('schema-missing');
      const missingColumn = await pool
        .execute('SELECT no_such_column FROM information_schema.TABLES LIMIT 1')
        .catch((e: unknown) => e);
      expect(classifyMysqlError(missingColumn)).toBe('schema-missing');
      const connection = await pool.getConnection();
      const duplicate = await (async () => {
        try {
          await connection.query('CREATE TEMPORARY TABLE t (k INT PRIMARY KEY)');
          await connection.query('INSERT INTO t VALUES (1)');
          return await connection.query('INSERT INTO t VALUES (1)').catch((e: unknown) => e);
        } finally {
          connection.release();
        }
      })();
      expect(classifyMysqlError(duplicate)).toBe('unique-violation');
    });

    it('a connection killed by KILL CONNECTION fails its next statement with a transient error', async () => {
      const victim = await mysql.createConnection({ uri: url! });
      const [[{ id }]] = (await victim.query('SELECT CONNECTION_ID() AS id')) as unknown as [[{ id: number }]];
      victim.on('error', () => undefined);
      await pool.query(`KILL CONNECTION ${Number(id)}`);
      const error = await victim.query('SELECT 1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(isTransientError(error)).toBe(true);
      victim.destroy();
    });
  },
);
