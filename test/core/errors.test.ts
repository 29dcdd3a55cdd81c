import { describe, expect, it } from 'vitest';
import type * as library from '../../src/index.js';
import {
  ConcurrencyError,
  InvalidArgumentError,
  MigrationRequiredError,
  SessionNotFoundError,
  VersionedSessionError,
  isConcurrencyError,
  isVersionedSessionError,
  maskKey,
} from '../../src/index.js';

describe('errors', () => {
  it('carry stable names, typed fields and the masked key only', () => {
    const conflict = new ConcurrencyError({
      key: '+5215512345678',
      maskedKey: maskKey('+5215512345678'),
      expectedVersion: 3,
      actualVersion: 5,
      operation: 'updateSession',
    });
    expect(conflict).toBeInstanceOf(VersionedSessionError);
    expect(conflict).toMatchObject({
      name: 'ConcurrencyError',
      key: '+5215512345678',
      expectedVersion: 3,
      actualVersion: 5,
      operation: 'updateSession',
    });
    expect(conflict.message).toMatch(
      /^Concurrency conflict detected for \+52\*{7}5678\. Expected version: 3\. Actual version: 5\./,
    );
    expect(conflict.message).not.toContain('5215512345678');
    expect(new SessionNotFoundError('k', '*k')).toMatchObject({ name: 'SessionNotFoundError', key: 'k' });
    const required = new MigrationRequiredError({
      dialect: 'postgres',
      missing: ['table "public"."sessions"'],
      command: 'npx versioned-sessions migrate --dialect postgres --url <connection>',
    });
    expect(required).toMatchObject({
      name: 'MigrationRequiredError',
      dialect: 'postgres',
      missing: ['table "public"."sessions"'],
    });
    expect(required.message).toContain('npx versioned-sessions migrate --dialect postgres');
    const cause = new Error('driver');
    expect(new InvalidArgumentError('key', 'bad', { cause })).toMatchObject({
      name: 'InvalidArgumentError',
      argument: 'key',
      cause,
    });
  });

  it('guards recognise errors from another loaded copy of the library, where instanceof fails', async () => {
    // test/.tmp/lib is a separate bundle of the same source: a second copy, as ESM + CJS would be.
    // @ts-expect-error -- the bundle is plain JavaScript without declarations
    const other = (await import('../.tmp/lib/index.mjs')) as typeof library;
    const foreign = new other.ConcurrencyError({
      key: 'k',
      maskedKey: '*k',
      expectedVersion: 0,
      actualVersion: 1,
      operation: 'updateSession',
    });
    expect(foreign instanceof ConcurrencyError).toBe(false);
    expect(isConcurrencyError(foreign)).toBe(true);
    expect(isVersionedSessionError(foreign)).toBe(true);
    expect(
      other.isConcurrencyError(
        new ConcurrencyError({
          key: 'k',
          maskedKey: '*k',
          expectedVersion: 0,
          actualVersion: 1,
          operation: 'deleteSession',
        }),
      ),
    ).toBe(true);
    expect(isConcurrencyError(new other.SessionNotFoundError('k', '*k'))).toBe(false);
    expect(isVersionedSessionError(Object.assign(new Error('x'), { name: 'ConcurrencyError' }))).toBe(false);
    expect(isConcurrencyError(null)).toBe(false);
  });
});

describe('maskKey', () => {
  it('keeps the first three and last four characters of a phone number', () => {
    expect(maskKey('+5215512345678')).toBe('+52*******5678');
    expect(maskKey('5215512345678')).toBe('521******5678');
  });
  it('hides most of a short key', () => {
    expect(maskKey('abcd')).toBe('**cd');
    expect(maskKey('a')).toBe('*');
  });

  it('a missing value is described as "got undefined", not "got a undefined"', async () => {
    const { validateKey } = await import('../../src/core/repository/input-validation.js');
    expect(() => validateKey(undefined)).toThrow(
      'Expected `key` to be a non-empty string of at most 255 characters, got undefined.',
    );
    expect(() => validateKey(5)).toThrow(
      'Expected `key` to be a non-empty string of at most 255 characters, got a number.',
    );
  });
});
