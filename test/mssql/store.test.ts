/**
 * What the SQL Server store does before a server answers: option checks, connecting the caller's pool
 * once on first use, and the typed parameters it hands to `mssql`. These run against the installed
 * `mssql` package (a real `ConnectionPool` aimed at a closed port, a real `Transaction`); the full
 * behaviour against a server is the conformance suite (test/conformance/mssql.test.ts).
 */
import sql from 'mssql';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, SessionRepository } from '../../src/index.js';
import { MssqlSessionStore, isTransientError } from '../../src/mssql/index.js';

function unreachablePool(): sql.ConnectionPool {
  return new sql.ConnectionPool({
    server: '127.0.0.1',
    port: 1,
    user: 'sa',
    password: 'unused',
    connectionTimeout: 5000,
    options: { encrypt: false },
  });
}

function thrownBy(construct: () => unknown): unknown {
  try {
    construct();
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('MssqlSessionStore options', () => {
  it.each([
    ['no options', undefined, 'pool'],
    ['no pool', {}, 'pool'],
    ['a connection string as pool', { pool: 'Server=localhost' }, 'pool'],
    ['a pg-like pool', { pool: { query: () => undefined } }, 'pool'],
    ['a sql option that is not the module', { pool: unreachablePool(), sql: { NVarChar: 1 } }, 'sql'],
    ['a table with a bracket', { pool: unreachablePool(), table: 'a]b' }, 'table'],
    ['a key column with a space', { pool: unreachablePool(), columns: { key: 'Tele fono' } }, 'columns.key'],
    ['a schema over 128 characters', { pool: unreachablePool(), schema: 's'.repeat(129) }, 'schema'],
  ])('%s → InvalidArgumentError', (_label, options, argument) => {
    const error = thrownBy(() => new MssqlSessionStore(options as never));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe(argument);
  });

  it('resolves the SQL Server defaults and a SesionesChat mapping', () => {
    expect(new MssqlSessionStore({ pool: unreachablePool() }).names).toEqual({
      schema: 'dbo',
      table: 'Sessions',
      processedTable: 'ProcessedOperations',
      historyTable: 'SessionHistory',
      history: false,
      columns: {
        key: 'SessionKey',
        state: 'State',
        data: 'Data',
        version: 'Version',
        createdAt: 'CreatedAt',
        updatedAt: 'UpdatedAt',
      },
    });
    const adopted = new MssqlSessionStore({
      pool: unreachablePool(),
      table: 'SesionesChat',
      columns: { key: 'Telefono', state: 'Estado', data: 'DatosTemp' },
    });
    expect(adopted.names.columns).toMatchObject({
      key: 'Telefono',
      state: 'Estado',
      data: 'DatosTemp',
      version: 'Version',
    });
    expect(adopted.dialect).toBe('mssql');
  });
});

describe('MssqlSessionStore connecting', () => {
  it('connects an unconnected pool once for all concurrent first calls, and tries again after a failure', async () => {
    const pool = unreachablePool();
    let connects = 0;
    const connect = pool.connect.bind(pool);
    pool.connect = (() => {
      connects++;
      return connect();
    }) as typeof pool.connect;
    const repository = new SessionRepository({ store: new MssqlSessionStore({ pool }) });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => repository.getSession('+5215512345678')));
    expect(connects).toBe(1);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      const reason = (result as PromiseRejectedResult).reason as unknown;
      expect(reason).toBeInstanceOf(sql.ConnectionError);
      expect(isTransientError(reason)).toBe(true);
    }
    await expect(repository.getSession('+5215512345678')).rejects.toBeInstanceOf(sql.ConnectionError);
    expect(connects).toBe(2);
  });
});

describe('MssqlSessionStore parameters', () => {
  it('hands mssql typed parameters built by the same mssql module: NVarChar(255), NVarChar(MAX), Int', async () => {
    const pool = unreachablePool();
    const transaction = new sql.Transaction(pool);
    const requests: sql.Request[] = [];
    const request = transaction.request.bind(transaction);
    transaction.request = () => {
      const created = request();
      requests.push(created);
      return created;
    };
    const store = new MssqlSessionStore({ pool });
    // The transaction was never begun, so mssql refuses the query after the parameters are bound.
    const error = await store
      .update('+5215512345678', { state: 'REFRI_ESPERA_SAP', dataJson: '{"paso":1}' }, 3, transaction)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(sql.ConnectionError);
    expect(requests).toHaveLength(1);
    const parameters = requests[0]!.parameters;
    expect(Object.keys(parameters)).toEqual(['key', 'state', 'data', 'expected']);
    expect(parameters['key']).toMatchObject({ type: sql.NVarChar, length: 255, value: '+5215512345678' });
    expect(parameters['state']).toMatchObject({ type: sql.NVarChar, length: 255, value: 'REFRI_ESPERA_SAP' });
    expect(parameters['data']).toMatchObject({ type: sql.NVarChar, length: sql.MAX, value: '{"paso":1}' });
    expect(parameters['expected']).toMatchObject({ type: sql.Int, value: 3 });
  });

  it('uses the sql module it is given', async () => {
    const pool = unreachablePool();
    const transaction = new sql.Transaction(pool);
    let built = 0;
    const counting = {
      ...sql,
      MAX: sql.MAX,
      NVarChar: (length: number) => (built++, sql.NVarChar(length)),
      Int: () => sql.Int(),
      DateTime2: (scale: number) => sql.DateTime2(scale),
    };
    const store = new MssqlSessionStore({ pool, sql: counting });
    await store.read('+5215512345678', transaction).catch(() => undefined);
    expect(built).toBe(1);
  });
});

describe('the versioned-sessions/mssql entry', () => {
  it('loads no mssql on import (an optional peer; the store imports it on first use)', async () => {
    const { execFileSync } = await import('node:child_process');
    const script = [
      "import { createRequire } from 'node:module';",
      "const { MssqlSessionStore, isTransientError } = await import('./test/.tmp/lib/mssql.mjs');",
      'const files = Object.keys(createRequire(import.meta.url).cache);',
      'console.log(JSON.stringify({ store: typeof MssqlSessionStore, guard: typeof isTransientError, mssql: files.some((f) => /node_modules[\\\\/](mssql|tedious)[\\\\/]/.test(f)) }));',
    ].join('\n');
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(output)).toEqual({ store: 'function', guard: 'function', mssql: false });
  });
});

describe('MssqlSessionStore caller transactions', () => {
  it('refuses the pool as a transaction, before any request, with what to pass instead', async () => {
    const pool = unreachablePool();
    const repository = new SessionRepository({ store: new MssqlSessionStore({ pool, sql }) });
    for (const attempt of [
      () => repository.updateSession('+5215512345678', { state: 'X' }, { expectedVersion: 0, transaction: pool }),
      () =>
        repository.updateSession(
          '+5215512345678',
          { state: 'X' },
          { expectedVersion: 0, transaction: pool, idempotencyKey: 'wamid.A' },
        ),
      () => repository.getSessionWithVersion('+5215512345678', { transaction: pool }),
    ]) {
      const error = await attempt().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error).toMatchObject({ argument: 'options.transaction' });
      expect((error as Error).message).toContain('new sql.Transaction(pool)');
    }
    expect(pool.connected).toBe(false);
  });
});
