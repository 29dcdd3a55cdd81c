/**
 * Error classification and `isTransientError` on errors built with the installed `mssql` package's
 * own classes, shaped as its tedious driver builds them (`RequestError` wrapping an error whose `info`
 * is the server's error token; `ConnectionError` wrapping tedious's own `ConnectionError`), plus real
 * connection failures: a refused port, and logins refused by a TDS listener the real driver talks to.
 */
import { createRequire } from 'node:module';
import sql from 'mssql';
import { describe, expect, it } from 'vitest';
import { SessionRepository } from '../../src/core/repository/repository.js';
import { withSessionRetry } from '../../src/core/retry/retry.js';
import { classifyMssqlError, isTransientError } from '../../src/mssql/mssql-errors.js';
import { MssqlSessionStore } from '../../src/mssql/mssql-store.js';
import { startFakeTdsLogin, type LoginRefusal } from '../support/fake-tds-login.js';

// The tedious copy mssql itself loads, so its ConnectionError is the class the driver really throws.
const tedious = createRequire(createRequire(import.meta.url).resolve('mssql'))('tedious') as {
  ConnectionError: new (message: string, code?: string) => Error & { code?: string; isTransient?: boolean };
};

/**
 * A login refused by the server as the application receives it: tedious's Login7TokenHandler builds
 * `new ConnectionError(token.message, 'ELOGIN')` (the number is not kept; isTransient is set only while
 * tedious itself will retry), and mssql's connection pool wraps it in its own ConnectionError.
 */
function refusedLogin(message: string): sql.ConnectionError {
  return new sql.ConnectionError(new tedious.ConnectionError(message, 'ELOGIN') as never);
}

// Microsoft's wording of the faults a login can meet, with the placeholders filled in.
const TRANSIENT_LOGIN_REFUSALS: [number, string][] = [
  [
    40613,
    "Database 'bot' on server 'sql1' is not currently available.  Please retry the connection later.  If the problem persists, contact customer support, and provide them the session tracing ID of '1B2C'.",
  ],
  [40501, 'The service is currently busy. Retry the request after 10 seconds. Incident ID: 42. Code: 4.'],
  [40197, 'The service has encountered an error processing your request. Please try again. Error code 4815.'],
  [40143, 'The service has encountered an error processing your request. Please try again.'],
  [4060, 'Cannot open database "bot" requested by the login. The login failed.'],
  [10928, 'Resource ID: 1. The request limit for the database is 60 and has been reached.'],
  [
    10929,
    'Resource ID: 1. The request minimum guarantee is 0, maximum limit is 60, and the current usage for the database is 61. However, the server is currently too busy to support requests greater than 60 for this database.',
  ],
  [4221, "Login to read-secondary failed due to long wait on 'HADR_DATABASE_WAIT_FOR_TRANSITION_TO_VERSIONING'."],
  [42109, 'The SQL pool is warming up. Please try again.'],
  [49918, 'Cannot process request. Not enough resources to process request.'],
];

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

  it('does not read a duplicate key raised inside the table\u2019s own trigger as the library\u2019s key already taken', () => {
    const inTrigger = serverError(
      2627,
      "Violation of PRIMARY KEY constraint 'PK_Audit'. Cannot insert duplicate key in object 'dbo.Audit'.",
      'trg_SesionesChat_Audit',
    );
    expect(classifyMssqlError(inTrigger)).toBe('other');
    expect(classifyMssqlError(withPreceding(serverError(3621, 'The statement has been terminated.'), inTrigger))).toBe(
      'other',
    );
    expect(
      classifyMssqlError(serverError(2601, 'Cannot insert duplicate key row.', 'trg_ProcessedOperations_Copy')),
    ).toBe('other');
  });

  it('treats non-driver values as other', () => {
    for (const value of [undefined, null, 'boom', 42, new Error('plain'), { number: '2627' }])
      expect(classifyMssqlError(value)).toBe('other');
  });
});

describe('isTransientError', () => {
  it.each([
    1204, 1205, 1222, 3960, 4060, 4221, 10928, 10929, 40143, 40197, 40501, 40540, 40613, 42108, 42109, 49918, 49919,
    49920,
  ])('server error %i is transient', (number) => {
    expect(isTransientError(serverError(number, 'transient'))).toBe(true);
  });

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
    const multi = new AggregateError(
      [Object.assign(new Error('refused'), { code: 'ESOCKET' })],
      'all addresses failed',
    );
    expect(isTransientError(new sql.ConnectionError(multi))).toBe(true);
  });

  it.each(TRANSIENT_LOGIN_REFUSALS)(
    'a login refused with %i reaches the application without its number and is transient',
    (_number, message) => {
      const error = refusedLogin(message);
      expect(error).toMatchObject({ code: 'ELOGIN', message });
      expect((error as { number?: unknown }).number).toBeUndefined();
      expect((error.originalError as { isTransient?: unknown }).isTransient).toBeUndefined();
      expect(isTransientError(error)).toBe(true);
      expect(classifyMssqlError(error)).toBe('transient');
    },
  );

  it('a login refused for a lasting reason is not transient', () => {
    for (const message of [
      "Login failed for user 'bot'.",
      'Login failed. The login is from an untrusted domain and cannot be used with Integrated authentication.',
      'Login failed.',
    ]) {
      expect(isTransientError(refusedLogin(message))).toBe(false);
      expect(classifyMssqlError(refusedLogin(message))).toBe('other');
    }
    // The wording alone is not enough: a statement's own error text is never read as a login refusal.
    expect(
      isTransientError(new sql.RequestError("Database 'bot' on server 'sql1' is not currently available.", 'EREQUEST')),
    ).toBe(false);
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

  const refusal40613: LoginRefusal = {
    number: 40613,
    severity: 20,
    message: "Database 'bot' on server 'fake-sql' is not currently available.  Please retry the connection later.",
  };
  const poolOn = (port: number, retries: number): sql.ConnectionPool =>
    new sql.ConnectionPool({
      server: '127.0.0.1',
      port,
      user: 'bot',
      password: 'unused',
      database: 'bot',
      connectionTimeout: 5000,
      options: { encrypt: false, maxRetriesOnTransientErrors: retries, connectionRetryInterval: 10 },
    });

  it('recognises a real login refused with 40613 after tedious gave up its own retries', async () => {
    const server = await startFakeTdsLogin(refusal40613);
    try {
      const error = await poolOn(server.port, 2)
        .connect()
        .catch((caught: unknown) => caught);
      // tedious retried the login itself maxRetriesOnTransientErrors times before giving up.
      expect(server.logins).toBe(3);
      expect(error).toBeInstanceOf(sql.ConnectionError);
      expect(error).toMatchObject({ code: 'ELOGIN', message: refusal40613.message });
      expect(isTransientError(error)).toBe(true);
      expect(classifyMssqlError(error)).toBe('transient');
    } finally {
      await server.close();
    }
  });

  it('does not retry a real login refused with 18456 (wrong password)', async () => {
    const server = await startFakeTdsLogin({ number: 18456, message: "Login failed for user 'bot'." });
    try {
      const error = await poolOn(server.port, 2)
        .connect()
        .catch((caught: unknown) => caught);
      expect(server.logins).toBe(1);
      expect(error).toMatchObject({ code: 'ELOGIN', message: "Login failed for user 'bot'." });
      expect(isTransientError(error)).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('lets an idempotent withSessionRetry retry a login refused with 40613, each attempt a new connect', async () => {
    const server = await startFakeTdsLogin(refusal40613);
    try {
      const repository = new SessionRepository({ store: new MssqlSessionStore({ pool: poolOn(server.port, 0), sql }) });
      let handlerRuns = 0;
      const outcome = await withSessionRetry(
        repository,
        '+5215512345678',
        () => {
          handlerRuns++;
          return Promise.resolve();
        },
        {
          idempotencyKey: 'wamid.login',
          maxAttempts: 3,
          baseDelayMs: 1,
        },
      ).catch((caught: unknown) => caught);
      expect(outcome).toMatchObject({ code: 'ELOGIN' });
      // Three attempts, one login each (tedious's own retries are off here); the handler never ran.
      expect(server.logins).toBe(3);
      expect(handlerRuns).toBe(0);
    } finally {
      await server.close();
    }
  });
});
