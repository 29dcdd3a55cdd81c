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

/** A real mssql.Transaction, never begun (so mssql refuses each query after binding it), and its requests. */
function unbegunTransaction(pool: sql.ConnectionPool): { transaction: sql.Transaction; requests: sql.Request[] } {
  const transaction = new sql.Transaction(pool);
  const requests: sql.Request[] = [];
  const request = transaction.request.bind(transaction);
  transaction.request = () => {
    const created = request();
    requests.push(created);
    return created;
  };
  return { transaction, requests };
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
  it('hands mssql typed parameters built by the same mssql module: the key column\u2019s VarChar(20), NVarChar(255), NVarChar(MAX), Int', async () => {
    const pool = unreachablePool();
    const { transaction, requests } = unbegunTransaction(pool);
    const store = new MssqlSessionStore({ pool, columnTypes: { key: { type: 'VarChar', length: 20 } } });
    // The transaction was never begun, so mssql refuses the query after the parameters are bound.
    const error = await store
      .update('+5215512345678', { state: 'REFRI_ESPERA_SAP', dataJson: '{"paso":1}' }, 3, transaction)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(sql.ConnectionError);
    expect(requests).toHaveLength(1);
    const parameters = requests[0]!.parameters;
    expect(Object.keys(parameters)).toEqual(['key', 'state', 'data', 'expected']);
    expect(parameters['key']).toMatchObject({ type: sql.VarChar, length: 20, value: '+5215512345678' });
    expect(requests[0]!.arrayRowMode).toBe(false);
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
    const store = new MssqlSessionStore({
      pool,
      sql: counting,
      columnTypes: { key: { type: 'NVarChar', length: 255 } },
    });
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

/** A stand-in pool that answers each batch with the rows `answer` gives, recording every request. */
function answeringPool(answer: (text: string) => Record<string, unknown>[] = () => []) {
  const requests: { text: string; inputs: Record<string, { type: unknown; value: unknown }>; arrayRowMode: unknown }[] =
    [];
  let connected = false;
  let connects = 0;
  const pool = {
    get connected() {
      return connected;
    },
    connect() {
      connects++;
      connected = true;
      return Promise.resolve(pool);
    },
    close() {
      connected = false;
    },
    request() {
      const inputs: Record<string, { type: unknown; value: unknown }> = {};
      const request = {
        arrayRowMode: null as boolean | null,
        input(name: string, type: unknown, value: unknown) {
          inputs[name] = { type, value };
        },
        query(text: string) {
          requests.push({ text, inputs, arrayRowMode: request.arrayRowMode });
          return Promise.resolve({ recordsets: [answer(text)], rowsAffected: [] });
        },
      };
      return request;
    },
    transaction(): never {
      throw new Error('not used here');
    },
  };
  return { pool, requests, connects: () => connects };
}

const catalog =
  (
    key: Record<string, unknown> | undefined,
    id: Record<string, unknown> | undefined = { data_type: 'nvarchar', max_length: 255 },
  ) =>
  (text: string): Record<string, unknown>[] =>
    text.includes('INFORMATION_SCHEMA.COLUMNS') && text.includes('@keyColumn')
      ? [
          ...(key === undefined ? [] : [{ table_name: 'SesionesChat', ...key }]),
          ...(id === undefined ? [] : [{ table_name: 'ProcessedOperations', ...id }]),
        ]
      : [];

const ADOPTED = { table: 'SesionesChat', columns: { key: 'Telefono', state: 'Estado', data: 'DatosTemp' } } as const;

describe('MssqlSessionStore keyed parameters', () => {
  it('reads the keyed columns\u2019 types once, before its first keyed statement, and sends keys as the column\u2019s type', async () => {
    const { pool, requests } = answeringPool(catalog({ data_type: 'varchar', max_length: 20 }));
    const store = new MssqlSessionStore({ pool, sql, ...ADOPTED });
    await Promise.all([store.read('+5215512345678'), store.read('+5215512345679')]);
    await store.read('+5215512345678');
    await store.markProcessed('wamid.A');
    const texts = requests.map((request) => request.text);
    expect(texts.filter((text) => text.includes('INFORMATION_SCHEMA.COLUMNS'))).toHaveLength(1);
    expect(texts[0]).toContain('INFORMATION_SCHEMA.COLUMNS');
    expect(texts).toHaveLength(5);
    for (const request of requests.slice(1, 4))
      expect(request.inputs['key']).toMatchObject({ type: { type: sql.VarChar, length: 20 } });
    expect(requests[4]!.inputs['id']).toMatchObject({ type: { type: sql.NVarChar, length: 255 }, value: 'wamid.A' });
    expect(requests.every((request) => request.arrayRowMode === false)).toBe(true);
  });

  it('sends a key with characters outside ASCII as NVARCHAR against the VARCHAR column', async () => {
    const { pool, requests } = answeringPool(catalog({ data_type: 'varchar', max_length: 20 }));
    await new MssqlSessionStore({ pool, sql, ...ADOPTED }).read('José');
    expect(requests.at(-1)!.inputs['key']).toMatchObject({ type: { type: sql.NVarChar, length: 20 }, value: 'José' });
  });

  it('refuses a key longer than the column before sending it', async () => {
    const { pool, requests } = answeringPool(catalog({ data_type: 'varchar', max_length: 20 }));
    const store = new MssqlSessionStore({ pool, sql, ...ADOPTED });
    await expect(store.read('+521551234567890123456')).rejects.toMatchObject({
      name: 'InvalidArgumentError',
      argument: 'key',
    });
    expect(requests.map((request) => request.text).filter((text) => !text.includes('INFORMATION_SCHEMA'))).toEqual([]);
  });

  it('refuses a key column that cannot hold keys, naming it and the fix, and sends nothing else', async () => {
    const { pool, requests } = answeringPool(catalog({ data_type: 'bigint', max_length: null }));
    const error = await new MssqlSessionStore({ pool, sql, ...ADOPTED })
      .read('+5215512345678')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ argument: 'columns.key' });
    expect((error as Error).message).toContain('The key column [Telefono] of [dbo].[SesionesChat] is BIGINT');
    expect((error as Error).message).toContain(
      'ALTER TABLE [dbo].[SesionesChat] ALTER COLUMN [Telefono] NVARCHAR(255) NOT NULL',
    );
    expect(requests).toHaveLength(1);
  });

  it('reads again while the table is missing, and keeps the defaults meanwhile', async () => {
    let present = false;
    const answer = catalog({ data_type: 'varchar', max_length: 20 });
    const { pool, requests } = answeringPool((text) => (present ? answer(text) : []));
    const store = new MssqlSessionStore({ pool, sql, ...ADOPTED });
    await store.read('+5215512345678');
    expect(requests.at(-1)!.inputs['key']).toMatchObject({ type: { type: sql.NVarChar, length: 255 } });
    present = true;
    await store.read('+5215512345678');
    await store.read('+5215512345678');
    expect(requests.filter((request) => request.text.includes('INFORMATION_SCHEMA'))).toHaveLength(2);
    expect(requests.at(-1)!.inputs['key']).toMatchObject({ type: { type: sql.VarChar, length: 20 } });
  });

  it('takes the types as an option instead, and never reads the catalog then', async () => {
    const { pool, requests } = answeringPool();
    const store = new MssqlSessionStore({
      pool,
      sql,
      ...ADOPTED,
      columnTypes: { key: { type: 'Char', length: 14 }, processedId: { type: 'VarChar', length: 100 } },
    });
    await store.read('+5215512345678');
    await store.markProcessed('wamid.A');
    expect(requests.map((request) => request.text).some((text) => text.includes('INFORMATION_SCHEMA'))).toBe(false);
    expect(requests[0]!.inputs['key']).toMatchObject({ type: { type: sql.Char, length: 14 } });
    expect(requests[1]!.inputs['id']).toMatchObject({ type: { type: sql.VarChar, length: 100 } });
  });

  it.each([
    [{ key: 'VARCHAR(20)' }, 'columnTypes.key'],
    [{ key: { type: 'VarChar', length: 0 } }, 'columnTypes.key'],
    [{ processedId: { type: 'Text', length: 10 } }, 'columnTypes.processedId'],
    [{ telefono: { type: 'VarChar', length: 20 } }, 'columnTypes.telefono'],
    ['VarChar', 'columnTypes'],
  ])('refuses columnTypes %o', (columnTypes, argument) => {
    const error = thrownBy(() => new MssqlSessionStore({ pool: unreachablePool(), columnTypes } as never));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ argument });
  });
});

describe('MssqlSessionStore and the pool it is given', () => {
  it('refuses a pool with useUTC: false, under which its times would shift', () => {
    const pool = new sql.ConnectionPool({
      server: '127.0.0.1',
      port: 1,
      user: 'sa',
      password: 'unused',
      options: { encrypt: false, useUTC: false },
    });
    const error = thrownBy(() => new MssqlSessionStore({ pool }));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ argument: 'pool' });
    expect((error as Error).message).toContain('useUTC: false');
    expect(() => new MssqlSessionStore({ pool: unreachablePool() })).not.toThrow();
  });

  it('reads rows by column name from a pool configured with arrayRowMode: true', async () => {
    const pool = new sql.ConnectionPool({
      server: '127.0.0.1',
      port: 1,
      user: 'sa',
      password: 'unused',
      arrayRowMode: true,
      options: { encrypt: false },
    });
    const { transaction, requests } = unbegunTransaction(pool);
    const store = new MssqlSessionStore({ pool, columnTypes: {} });
    await store.read('+5215512345678', transaction).catch(() => undefined);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.arrayRowMode).toBe(false);
  });

  it('fails with a clear, non-transient error once the application closed the pool, without reopening it', async () => {
    const { pool, connects } = answeringPool(catalog({ data_type: 'nvarchar', max_length: 255 }));
    const store = new MssqlSessionStore({ pool, sql });
    await store.read('+5215512345678');
    expect(connects()).toBe(1);
    pool.close();
    const error = await store.read('+5215512345678').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toContain(
      'Expected `pool` to stay open while the store uses it, got a pool closed by pool.close().',
    );
    expect(isTransientError(error)).toBe(false);
    expect(store.isTransientError(error)).toBe(false);
    expect(connects()).toBe(1);
    // Connected again by the application, the store uses it.
    await pool.connect();
    await expect(store.read('+5215512345678')).resolves.toBeNull();
  });
});
