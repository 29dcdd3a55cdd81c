/**
 * SQL Server's permission errors in the migration runner, without a server: a pool whose requests fail
 * as SQL Server fails them for a login without DDL rights (the error numbers of a RequestError), and a
 * control with an error that is not about rights.
 */
import { describe, expect, it } from 'vitest';
import { MigrationError, migrate } from '../../src/migrations/index.js';

/** A RequestError's shape: the server's number, also on the wrapped tedious error. */
function serverError(number: number, message: string): Error {
  return Object.assign(new Error(message), { number, originalError: { info: { number, message } } });
}

/** A pool on which `fails(text)` decides which statement throws which error; it records tracking rows. */
function pool(fails: (text: string) => Error | undefined): unknown {
  const recorded: Record<string, unknown>[] = [];
  let statements = 0;
  const request = (): unknown => {
    const inputs = new Map<string, unknown>();
    const run = (text: string): Promise<{ recordset: Record<string, unknown>[] }> => {
      if (++statements > 100) return Promise.reject(new Error('the fake pool ran more than 100 statements'));
      const error = fails(text);
      if (error !== undefined) return Promise.reject(error);
      if (text.startsWith('INSERT INTO'))
        recorded.push({ id: inputs.get('id'), checksum: inputs.get('checksum'), applied_at: new Date() });
      if (text.startsWith('SELECT Id AS id')) return Promise.resolve({ recordset: [...recorded] });
      return Promise.resolve({ recordset: [] });
    };
    const self = {
      input: (name: string, value: unknown) => {
        inputs.set(name, value);
        return self;
      },
      query: run,
      batch: run,
    };
    return self;
  };
  return {
    connected: true,
    request,
    transaction: () => ({
      begin: () => Promise.resolve(),
      commit: () => Promise.resolve(),
      rollback: () => Promise.resolve(),
      request,
    }),
  };
}

async function migrateWith(fails: (text: string) => Error | undefined): Promise<MigrationError> {
  const error = await migrate({ dialect: 'mssql', pool: pool(fails) as never, schema: 'bot' }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(MigrationError);
  return error as MigrationError;
}

const RIGHT = "CREATE TABLE in the database and ALTER on schema [bot] (or db_ddladmin), as the schema's owner has";

describe('SQL Server migrations under a login without DDL rights', () => {
  it('CREATE TABLE permission denied (262) on the tracking table → insufficient-privilege, before any migration', async () => {
    const error = await migrateWith((text) =>
      text.includes('CREATE TABLE')
        ? serverError(262, "CREATE TABLE permission denied in database 'bots'.")
        : undefined,
    );
    expect(error).toMatchObject({
      reason: 'insufficient-privilege',
      dialect: 'mssql',
      migrationId: '',
      missingRight: RIGHT,
    });
    expect(error.message).toContain("CREATE TABLE permission denied in database 'bots'.");
    expect(error.message).toContain('Run migrations under the login that owns the schema');
  });

  it('ALTER permission denied (229) in a migration batch → insufficient-privilege naming that migration', async () => {
    const error = await migrateWith((text) =>
      text.includes('ALTER TABLE')
        ? serverError(229, "The ALTER permission was denied on the object 'Sessions', database 'bots', schema 'bot'.")
        : undefined,
    );
    expect(error).toMatchObject({ reason: 'insufficient-privilege', missingRight: RIGHT });
    expect(error.migrationId).toMatch(/^000[1-3]_/);
  });

  it('control: without errors the fake pool migrates; an error that is not about rights stays a failed migration', async () => {
    const report = await migrate({ dialect: 'mssql', pool: pool(() => undefined) as never, schema: 'bot' });
    expect(report.applied.map((migration) => migration.id)).toEqual([
      '0001_create_sessions',
      '0002_adopt_existing_table',
      '0003_processed_operations',
      '0004_key_index_and_binary_ids',
      '0005_session_history',
      '0006_session_listing_index',
      '0007_processed_by_session_key',
    ]);
    const error = await migrateWith((text) =>
      text.includes('ALTER TABLE') ? serverError(102, "Incorrect syntax near 'x'.") : undefined,
    );
    expect(error.reason).toBe('failed');
    expect(error.missingRight).toBeUndefined();
  });
});
