/**
 * Keyed parameters typed as their column: the type each key and idempotency id is sent with, the
 * columns a store refuses, and the column types accepted as an option.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/core/errors.js';
import {
  keyColumnProblem,
  keyColumnType,
  parameterType,
  validateKeyColumnType,
} from '../../src/mssql/mssql-key-column.js';
import type { MssqlParameter } from '../../src/mssql/mssql-statements.js';

const key = (value: string): MssqlParameter => ({
  name: 'key',
  type: { type: 'NVarChar', length: 255 },
  value,
  column: 'key',
});
const id = (value: string): MssqlParameter => ({
  name: 'id',
  type: { type: 'NVarChar', length: 255 },
  value,
  column: 'processedId',
});
const VARCHAR_20 = { key: { type: 'VarChar', length: 20 } } as const;

describe('parameterType', () => {
  it('sends a key as the key column\u2019s own type and length', () => {
    expect(parameterType(key('+5215512345678'), VARCHAR_20)).toEqual({ type: 'VarChar', length: 20 });
    expect(parameterType(key('+5215512345678'), { key: { type: 'Char', length: 14 } })).toEqual({
      type: 'Char',
      length: 14,
    });
    expect(parameterType(key('+5215512345678'), { key: { type: 'NChar', length: 20 } })).toEqual({
      type: 'NChar',
      length: 20,
    });
    expect(parameterType(key('+5215512345678'), { key: { type: 'NVarChar', length: 32 } })).toEqual({
      type: 'NVarChar',
      length: 32,
    });
    expect(parameterType(id('wamid.HBgL'), { processedId: { type: 'VarChar', length: 100 } })).toEqual({
      type: 'VarChar',
      length: 100,
    });
  });

  it('keeps the statement\u2019s type while the column is unknown, and for parameters not compared with a keyed column', () => {
    expect(parameterType(key('+5215512345678'), {})).toEqual({ type: 'NVarChar', length: 255 });
    expect(parameterType(id('wamid.A'), VARCHAR_20)).toEqual({ type: 'NVarChar', length: 255 });
    const state: MssqlParameter = { name: 'state', type: { type: 'NVarChar', length: 255 }, value: 'INICIO' };
    expect(parameterType(state, VARCHAR_20)).toEqual({ type: 'NVarChar', length: 255 });
  });

  it('sends a key with characters outside ASCII as NVARCHAR against a VARCHAR column, which may not hold them', () => {
    expect(parameterType(key('José'), VARCHAR_20)).toEqual({ type: 'NVarChar', length: 20 });
    expect(parameterType(key('chat😀'), { key: { type: 'Char', length: 20 } })).toEqual({
      type: 'NVarChar',
      length: 20,
    });
    expect(parameterType(key('José'), { key: { type: 'NVarChar', length: 20 } })).toEqual({
      type: 'NVarChar',
      length: 20,
    });
  });

  it('refuses a key longer than its column before anything is sent, without showing the key', () => {
    const tooLong = '+52155123456789012345';
    expect(tooLong).toHaveLength(21);
    let error: unknown;
    try {
      parameterType(key(tooLong), VARCHAR_20);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ argument: 'key' });
    expect((error as Error).message).toContain(
      'Expected `key` to be at most 20 characters, what its column holds (VARCHAR(20)), got a string of 21 characters.',
    );
    expect((error as Error).message).not.toContain('5512345');
    expect(() => parameterType(id('x'.repeat(101)), { processedId: { type: 'VarChar', length: 100 } })).toThrow(
      /^Expected `idempotencyKey` to be at most 100 characters, .*, got a string of 101 characters\./,
    );
    expect(parameterType(key('+5215512345678901234'), VARCHAR_20)).toEqual({ type: 'VarChar', length: 20 });
  });
});

describe('key columns from the catalog', () => {
  it.each([
    [
      { dataType: 'varchar', maxLength: 20 },
      { type: 'VarChar', length: 20 },
    ],
    [
      { dataType: 'nvarchar', maxLength: 255 },
      { type: 'NVarChar', length: 255 },
    ],
    [
      { dataType: 'CHAR', maxLength: 14 },
      { type: 'Char', length: 14 },
    ],
    [
      { dataType: 'nchar', maxLength: 10 },
      { type: 'NChar', length: 10 },
    ],
  ])('%o is a key column of %o', (catalog, type) => {
    expect(keyColumnProblem('[dbo].[SesionesChat]', '[Telefono]', catalog)).toBeUndefined();
    expect(keyColumnType(catalog)).toEqual(type);
  });

  it.each([
    [{ dataType: 'nvarchar', maxLength: -1 }, 'NVARCHAR(MAX), which SQL Server cannot index (error 1919)'],
    [{ dataType: 'text', maxLength: 2147483647 }, 'TEXT, which SQL Server cannot index (error 1919)'],
    [{ dataType: 'int', maxLength: null }, 'INT, but session keys are text'],
    [{ dataType: 'uniqueidentifier', maxLength: null }, 'UNIQUEIDENTIFIER, but session keys are text'],
  ])('%o is refused: %s', (catalog, says) => {
    expect(keyColumnProblem('[dbo].[SesionesChat]', '[Telefono]', catalog)).toContain(
      `The key column [Telefono] of [dbo].[SesionesChat] is ${says}`,
    );
    expect(keyColumnType(catalog)).toBeUndefined();
  });
});

describe('validateKeyColumnType', () => {
  it('accepts bounded character types', () => {
    expect(validateKeyColumnType('columnTypes.key', { type: 'VarChar', length: 20 })).toEqual({
      type: 'VarChar',
      length: 20,
    });
    expect(validateKeyColumnType('columnTypes.key', { type: 'NVarChar', length: 4000 })).toEqual({
      type: 'NVarChar',
      length: 4000,
    });
  });

  it.each([
    undefined,
    'VARCHAR(20)',
    { type: 'VarChar' },
    { type: 'VarChar', length: 0 },
    { type: 'NVarChar', length: 4001 },
    { type: 'VarChar', length: 8001 },
    { type: 'Text', length: 20 },
    { type: 'VarChar', length: 2.5 },
    { type: 'toString', length: 5 },
  ])('refuses %o', (value) => {
    expect(() => validateKeyColumnType('columnTypes.key', value)).toThrow(InvalidArgumentError);
  });
});
