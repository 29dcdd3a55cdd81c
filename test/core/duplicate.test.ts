import { describe, expect, it } from 'vitest';
import type * as library from '../../src/index.js';
import {
  ConcurrencyError,
  DuplicateOperationError,
  isConcurrencyError,
  isDuplicateOperationError,
  isVersionedSessionError,
  maskKey,
} from '../../src/index.js';

const facts = {
  operation: 'updateSession',
  idempotencyKey: 'wamid.HBgN5215512345678FQIAERgSQzI4',
  maskedIdempotencyKey: maskKey('wamid.HBgN5215512345678FQIAERgSQzI4'),
  key: '+5215512345678',
  maskedKey: maskKey('+5215512345678'),
  session: null,
  committedVersion: null,
  processedAt: new Date('2026-01-02T03:04:05.678Z'),
} as const;

describe('DuplicateOperationError', () => {
  it('says what happened and what to do, with masked keys only', () => {
    const error = new DuplicateOperationError(facts);
    expect(error).toMatchObject({
      name: 'DuplicateOperationError',
      idempotencyKey: facts.idempotencyKey,
      key: facts.key,
      committedVersion: null,
    });
    expect(error.message).toBe(
      `Duplicate operation ${facts.maskedIdempotencyKey} for +52*******5678 (updateSession): it was already applied ` +
        '(recorded without a session update at 2026-01-02T03:04:05.678Z), so nothing was written. ' +
        'This is a repeated delivery, not a conflict: acknowledge it and do not retry.',
    );
    expect(error.message).not.toContain('5215512345678');
    expect(isConcurrencyError(error)).toBe(false);
    expect(Object.isFrozen(error.toDuplicate())).toBe(true);
  });

  it('the guard recognises a duplicate from another loaded copy of the library, and nothing else', async () => {
    // @ts-expect-error -- the bundle is plain JavaScript without declarations
    const other = (await import('../.tmp/lib/index.mjs')) as typeof library;
    const foreign = new other.DuplicateOperationError(facts);
    expect(foreign instanceof DuplicateOperationError).toBe(false);
    expect(isDuplicateOperationError(foreign)).toBe(true);
    expect(isVersionedSessionError(foreign)).toBe(true);
    expect(other.isDuplicateOperationError(new DuplicateOperationError(facts))).toBe(true);
    expect(
      isDuplicateOperationError(
        new ConcurrencyError({
          key: 'k',
          maskedKey: '*k',
          expectedVersion: 0,
          actualVersion: 1,
          operation: 'updateSession',
        }),
      ),
    ).toBe(false);
    expect(isDuplicateOperationError(Object.assign(new Error('x'), { name: 'DuplicateOperationError' }))).toBe(false);
  });
});
