import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/index.js';
import {
  describeValue,
  expectBoolean,
  expectFunction,
  expectInteger,
  expectObject,
  expectOneOf,
  expectString,
  expectThat,
  invalidArgument,
} from '../../src/core/validate.js';

/** The error `check` throws, asserted to be the typed one. */
function refusal(check: () => void): InvalidArgumentError {
  try {
    check();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return error as InvalidArgumentError;
  }
  throw new Error('expected the check to throw');
}

describe('validate: one wording for every invalid argument', () => {
  it('names the argument, the expectation and what came instead', () => {
    const error = refusal(() => expectInteger('maxAttempts', 0, { min: 1 }));
    expect(error.message).toBe('Expected `maxAttempts` to be an integer ≥ 1, got 0.');
    expect(error.argument).toBe('maxAttempts');
    expect(error.name).toBe('InvalidArgumentError');
    expect(refusal(() => expectObject('options', null)).message).toBe('Expected `options` to be an object, got null.');
  });

  it('describes what was passed by type and size, never by content', () => {
    const phone = '+5215512345678';
    expect(describeValue(phone)).toBe('a string of 14 characters');
    expect(describeValue('x')).toBe('a string of 1 character');
    expect(describeValue('')).toBe('an empty string');
    expect(describeValue(5215512345678)).toBe('a number');
    expect(describeValue(5215512345678, { showNumber: true })).toBe('5215512345678');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue(null)).toBe('null');
    expect(describeValue(false)).toBe('false');
    expect(describeValue([phone, phone])).toBe('an array of 2 items');
    expect(describeValue({ phone })).toBe('an object');
    expect(describeValue(Object.create(null))).toBe('an object');
    expect(describeValue(new Date(0))).toBe('a Date');
    expect(describeValue(new Error(phone))).toBe('an Error');
    expect(describeValue(() => phone)).toBe('a function');
    expect(describeValue(10n)).toBe('a bigint');
    expect(describeValue(Symbol(phone))).toBe('a symbol');
    const error = refusal(() => expectOneOf('jitter', phone, ['full', 'none']));
    expect(error.message).toBe("Expected `jitter` to be one of 'full', 'none', got a string of 14 characters.");
    expect(error.message).not.toContain('5512345678');
  });

  it('states integer ranges with one, the other or both bounds', () => {
    expect(refusal(() => expectInteger('length', 7, { min: 8, max: 43 })).message).toBe(
      'Expected `length` to be an integer from 8 to 43, got 7.',
    );
    expect(refusal(() => expectInteger('keepLast', 5, { max: 4 })).message).toBe(
      'Expected `keepLast` to be an integer ≤ 4, got 5.',
    );
    expect(refusal(() => expectInteger('n', 1.5)).message).toBe('Expected `n` to be an integer, got 1.5.');
    expect(refusal(() => expectInteger('n', Number.NaN, { min: 0 })).message).toBe(
      'Expected `n` to be an integer ≥ 0, got NaN.',
    );
    expect(refusal(() => expectInteger('n', '3', { min: 0 })).message).toBe(
      'Expected `n` to be an integer ≥ 0, got a string of 1 character.',
    );
    expect(refusal(() => expectInteger('n', 2 ** 53, { min: 0 })).message).toBe(
      'Expected `n` to be an integer ≥ 0, got 9007199254740992.',
    );
    expect(() => expectInteger('n', 8, { min: 8, max: 8 })).not.toThrow();
  });

  it('lets undefined through only when the option is optional', () => {
    expect(() => expectInteger('n', undefined, { min: 1, optional: true })).not.toThrow();
    expect(() => expectBoolean('wal', undefined, { optional: true })).not.toThrow();
    expect(() => expectFunction('onRetry', undefined, { optional: true })).not.toThrow();
    expect(() => expectString('name', undefined, { optional: true })).not.toThrow();
    expect(() => expectObject('hooks', undefined, { optional: true })).not.toThrow();
    expect(() => expectOneOf('mode', undefined, ['a'], { optional: true })).not.toThrow();
    expect(refusal(() => expectBoolean('wal', undefined)).message).toBe(
      'Expected `wal` to be a boolean, got undefined.',
    );
    expect(refusal(() => expectObject('options', 'x', { optional: true })).message).toBe(
      'Expected `options` to be an object or undefined, got a string of 1 character.',
    );
    // null is a value, not a left-out option.
    expect(refusal(() => expectFunction('onRetry', null, { optional: true })).message).toBe(
      'Expected `onRetry` to be a function, got null.',
    );
  });

  it('accepts exactly what each check names', () => {
    expect(() => expectObject('o', {})).not.toThrow();
    expect(refusal(() => expectObject('o', [])).message).toBe('Expected `o` to be an object, got an array of 0 items.');
    expect(() => expectBoolean('b', true)).not.toThrow();
    expect(refusal(() => expectBoolean('b', 'true')).message).toBe(
      'Expected `b` to be a boolean, got a string of 4 characters.',
    );
    expect(() => expectFunction('f', async () => 1)).not.toThrow();
    expect(refusal(() => expectFunction('f', {})).message).toBe('Expected `f` to be a function, got an object.');
    expect(() => expectString('s', 'a')).not.toThrow();
    expect(() => expectString('s', '', { allowEmpty: true })).not.toThrow();
    expect(refusal(() => expectString('s', '')).message).toBe(
      'Expected `s` to be a non-empty string, got an empty string.',
    );
    expect(refusal(() => expectString('s', 'abcd', { maxLength: 3 })).message).toBe(
      'Expected `s` to be a non-empty string of at most 3 characters, got a string of 4 characters.',
    );
    expect(() => expectOneOf('mode', 'a', ['a', 'b'])).not.toThrow();
  });

  it('carries a hint and a cause, and expectThat states any other rule', () => {
    const cause = new Error('driver said no');
    const error = invalidArgument('columns.key', 'name a text column', 'a BIGINT column', {
      hint: 'Map the key to a VARCHAR column.',
      cause,
    });
    expect(error.message).toBe(
      'Expected `columns.key` to name a text column, got a BIGINT column. Map the key to a VARCHAR column.',
    );
    expect(error.cause).toBe(cause);
    expect(
      refusal(() => expectThat(5 < 3, 'maxDelayMs', 'be ≥ `baseDelayMs` (5)', 3, { showNumber: true })).message,
    ).toBe('Expected `maxDelayMs` to be ≥ `baseDelayMs` (5), got 3.');
    expect(() => expectThat(true, 'x', 'hold', 1)).not.toThrow();
  });

  it('keeps the constructor of InvalidArgumentError prefixing any other message', () => {
    expect(new InvalidArgumentError('key', 'bad').message).toBe('Invalid key: bad');
    // A sentence about another argument is not taken for the library's own wording.
    expect(new InvalidArgumentError('key', 'Expected `other` to be set.').message).toBe(
      'Invalid key: Expected `other` to be set.',
    );
    expect(new InvalidArgumentError('key', 'Expected `key` to be set.').message).toBe('Expected `key` to be set.');
  });
});
