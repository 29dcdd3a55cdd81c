/**
 * Error classification and `isTransientError` on errors built with the installed `mssql` package's
 * own classes, shaped as its tedious driver builds them (`RequestError` wrapping an error whose `info`
 * is the server's error token; `ConnectionError` wrapping tedious's), plus one real connection failure.
 */
import sql from 'mssql';
import { describe, expect, it } from 'vitest';
import { classifyMssqlError, isTransientError } from '../../src/mssql/mssql-errors.js';

/** A server error as mssql's tedious request reports it (see handleError in mssql/lib/tedious/request.js). */
function serverError(number: number, message: string, procName = ''): sql.RequestError {
  const token = new Error(message) as Error & { info: Record<string, unknown> };
  token.info = { number, state: 1, class: 16, message, serverName: 'sql1', procName, lineNumber: 3 };
  return new sql.RequestError(token as never, 'EREQUEST');
}

/** The last error of a batch, with the earlier ones kept as mssql does. */
function withPreceding(last: sql.RequestError, ...preceding: sql.RequestError[]): sql.RequestError {
  return Object.assign(last, { precedingErrors: preceding });
}

describe('classifyMssqlError', () => {
  it('reads the server error number mssql copies from the token', () => {
    expect(serverError(2627, 'x').number).toBe(2627);
  });

  it.each([
    [
      2627,
      "Violation of PRIMARY KEY constraint 'PK_Sessions'. Cannot insert duplicate key in object 'dbo.Sessions'.",
      'unique-violation',
    ],
    [
      2601,
      "Cannot insert duplicate key row in object 'dbo.Sessions' with unique index 'UX_Sessions_SessionKey'.",
      'unique-violation',
    ],
    [207, "Invalid column name 'Version'.", 'schema-missing'],
    [208, "Invalid object name 'dbo.Sessions'.", 'schema-missing'],
    [1205, 'Transaction (Process ID 61) was deadlocked on lock resources with another process.', 'transient'],
    [8152, 'String or binary data would be truncated.', 'other'],
  ] as const)('server error %i → %s', (number, message, kind) => {
    expect(classifyMssqlError(serverError(number, message))).toBe(kind);
  });

  it('finds a duplicate key among the batch\u2019s preceding errors', () => {
    const last = withPreceding(
      serverError(3621, 'The statement has been terminated.'),
      serverError(2627, 'Violation of PRIMARY KEY constraint.'),
    );
    expect(classifyMssqlError(last)).toBe('unique-violation');
    expect(classifyMssqlError(serverError(3621, 'The statement has been terminated.'))).toBe('other');
  });

  it('does not read an invalid column inside the table\u2019s own trigger as a missing migration', () => {
    expect(classifyMssqlError(serverError(207, "Invalid column name 'Audit'.", 'trg_SesionesChat_Audit'))).toBe(
      'other',
    );
  });

  it('treats non-driver values as other', () => {
    for (const value of [undefined, null, 'boom', 42, new Error('plain'), { number: '2627' }])
      expect(classifyMssqlError(value)).toBe('other');
  });
});

describe('isTransientError', () => {
  it.each([1205, 1222, 4060, 40197, 40501, 40613, 49918, 49919, 49920, 10928, 10929])(
    'server error %i is transient',
    (number) => {
      expect(isTransientError(serverError(number, 'transient'))).toBe(true);
    },
  );

  it.each([2627, 207, 208, 547, 8152, 50000])('server error %i is not', (number) => {
    expect(isTransientError(serverError(number, 'permanent'))).toBe(false);
  });

  it.each(['ETIMEOUT', 'ESOCKET', 'ECONNCLOSED'])(
    'driver code %s is transient, on a ConnectionError and a RequestError',
    (code) => {
      expect(isTransientError(new sql.ConnectionError('lost', code as never))).toBe(true);
      expect(isTransientError(new sql.RequestError('lost', code as never))).toBe(true);
    },
  );

  it.each(['ELOGIN', 'EINSTLOOKUP', 'ENOTOPEN', 'EINVALIDSTATE', 'EARGS'])('driver code %s is not', (code) => {
    expect(isTransientError(new sql.ConnectionError('no', code as never))).toBe(false);
  });

  it('looks through precedingErrors and originalError', () => {
    expect(isTransientError(withPreceding(serverError(3621, 'terminated'), serverError(1205, 'deadlocked')))).toBe(
      true,
    );
    const socket = Object.assign(new Error('read ECONNRESET'), { code: 'ESOCKET' });
    expect(isTransientError(new sql.ConnectionError(socket))).toBe(true);
    // A login error tedious marked transient (e.g. 40613 during an Azure SQL failover) carries no number.
    const login = Object.assign(new Error("Database 'bot' on server 'sql1' is not currently available."), {
      code: 'ELOGIN',
      isTransient: true,
    });
    expect(isTransientError(new sql.ConnectionError(login))).toBe(true);
    const multi = new AggregateError(
      [Object.assign(new Error('refused'), { code: 'ESOCKET' })],
      'all addresses failed',
    );
    expect(isTransientError(new sql.ConnectionError(multi))).toBe(true);
  });

  it('survives a cycle between errors', () => {
    const a = serverError(50000, 'a');
    const b = serverError(50001, 'b');
    Object.assign(a, { precedingErrors: [b] });
    Object.assign(b, { precedingErrors: [a] });
    expect(isTransientError(a)).toBe(false);
  });

  it('recognises a real failed connection from the driver', async () => {
    // Port 1 on the loopback refuses at once: tedious reports it and mssql wraps it.
    const pool = new sql.ConnectionPool({
      server: '127.0.0.1',
      port: 1,
      user: 'sa',
      password: 'unused',
      connectionTimeout: 5000,
      options: { encrypt: false },
    });
    const error = await pool.connect().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(sql.ConnectionError);
    expect(error).toMatchObject({ code: 'ESOCKET' });
    expect(isTransientError(error)).toBe(true);
    expect(classifyMssqlError(error)).toBe('transient');
  });
});
