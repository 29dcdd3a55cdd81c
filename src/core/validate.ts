/**
 * The one way the library checks an argument or option: every check throws an `InvalidArgumentError`
 * naming the argument, worded as p-retry words its checks, "Expected `maxAttempts` to be an integer ≥ 1,
 * got 0." A caller's function runs all its checks first, before anything is read or written.
 *
 * What was passed is described by its type and size, never by its content: a key, a state or data passed
 * in the wrong place may be a phone number or personal data, which must reach no message or log. Only
 * numbers given to a numeric check and booleans are shown as they are.
 *
 * @internal
 * @module
 */
import { InvalidArgumentError } from './errors.js';

/** What a check accepts besides its own rules. */
export interface CheckRules {
  /** `undefined` passes (the option was left out). */
  readonly optional?: boolean;
}

/** The bounds of {@link expectInteger}, both inclusive. */
export interface IntegerRules extends CheckRules {
  readonly min?: number;
  readonly max?: number;
}

/** The bounds of {@link expectString}. */
export interface StringRules extends CheckRules {
  /** Whether `''` passes. Default `false`. */
  readonly allowEmpty?: boolean;
  /** The longest string accepted, in UTF-16 code units. */
  readonly maxLength?: number;
}

function article(noun: string): string {
  return /^[aeiou]/i.test(noun) ? `an ${noun}` : `a ${noun}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * What was passed, without its content: `undefined`, `null`, `true`, `a string of 12 characters`,
 * `an empty string`, `an array of 2 items`, `a function`, `an object`, `a Date`. A number is shown only
 * when `showNumber` is set (an option's value, never a key that may be a phone number).
 */
export function describeValue(value: unknown, { showNumber = false }: { showNumber?: boolean } = {}): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return String(value);
    case 'number':
      return showNumber ? String(value) : 'a number';
    case 'string':
      return value.length === 0 ? 'an empty string' : `a string of ${plural(value.length, 'character')}`;
    case 'function':
      return 'a function';
    case 'bigint':
      return 'a bigint';
    case 'symbol':
      return 'a symbol';
    default:
      break;
  }
  if (Array.isArray(value)) return `an array of ${plural(value.length, 'item')}`;
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype === Object.prototype || prototype === null) return 'an object';
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name.length > 0 ? article(name) : 'an object';
}

/**
 * The error every check throws: "Expected \`<argument>\` to <expectation>, got <got>." followed by
 * `hint` (a sentence saying what to do) when given.
 *
 * @param argument - the argument or option, as the caller wrote it (`options.transaction`, `columns.key`).
 * @param expectation - what would have been accepted, as a verb phrase: `be an integer ≥ 1`.
 * @param got - what came instead, from {@link describeValue} or a description that names no content.
 */
export function invalidArgument(
  argument: string,
  expectation: string,
  got: string,
  options: { hint?: string; cause?: unknown } = {},
): InvalidArgumentError {
  const hint = options.hint === undefined ? '' : ` ${options.hint}`;
  return new InvalidArgumentError(
    argument,
    `Expected \`${argument}\` to ${expectation}, got ${got}.${hint}`,
    options.cause === undefined ? undefined : { cause: options.cause },
  );
}

/** Throws unless `condition` holds: the check for a rule no other helper states. */
export function expectThat(
  condition: boolean,
  argument: string,
  expectation: string,
  value: unknown,
  options: { hint?: string; showNumber?: boolean } = {},
): asserts condition {
  if (!condition) {
    throw invalidArgument(
      argument,
      expectation,
      describeValue(value, options),
      options.hint === undefined ? {} : { hint: options.hint },
    );
  }
}

/** An object, not `null` and not an array: an options bag, a store, a mapping. */
export function expectObject(
  argument: string,
  value: unknown,
  rules: { optional: true },
): asserts value is object | undefined;
export function expectObject(argument: string, value: unknown, rules?: CheckRules): asserts value is object;
export function expectObject(argument: string, value: unknown, rules: CheckRules = {}): void {
  if (rules.optional === true && value === undefined) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgument(
      argument,
      rules.optional === true ? 'be an object or undefined' : 'be an object',
      describeValue(value),
    );
  }
}

/** The wording of an integer's range: `≥ 1`, `≤ 4`, `from 8 to 43`. */
function integerRange({ min, max }: IntegerRules): string {
  if (min !== undefined && max !== undefined) return `an integer from ${min} to ${max}`;
  if (min !== undefined) return `an integer ≥ ${min}`;
  if (max !== undefined) return `an integer ≤ ${max}`;
  return 'an integer';
}

/** A safe integer (exact as a double) within `min`..`max` (both inclusive, both optional). */
export function expectInteger(
  argument: string,
  value: unknown,
  rules: IntegerRules & { optional: true },
): asserts value is number | undefined;
export function expectInteger(argument: string, value: unknown, rules?: IntegerRules): asserts value is number;
export function expectInteger(argument: string, value: unknown, rules: IntegerRules = {}): void {
  if (rules.optional === true && value === undefined) return;
  const { min, max } = rules;
  if (
    typeof value !== 'number' ||
    !Number.isSafeInteger(value) ||
    (min !== undefined && value < min) ||
    (max !== undefined && value > max)
  ) {
    throw invalidArgument(argument, `be ${integerRange(rules)}`, describeValue(value, { showNumber: true }));
  }
}

/** `true` or `false`. */
export function expectBoolean(
  argument: string,
  value: unknown,
  rules: { optional: true },
): asserts value is boolean | undefined;
export function expectBoolean(argument: string, value: unknown, rules?: CheckRules): asserts value is boolean;
export function expectBoolean(argument: string, value: unknown, rules: CheckRules = {}): void {
  if (rules.optional === true && value === undefined) return;
  if (typeof value !== 'boolean') throw invalidArgument(argument, 'be a boolean', describeValue(value));
}

/** A function (sync or async: only its type is checked). */
export function expectFunction(
  argument: string,
  value: unknown,
  rules: { optional: true },
): asserts value is ((...args: never[]) => unknown) | undefined;
export function expectFunction(
  argument: string,
  value: unknown,
  rules?: CheckRules,
): asserts value is (...args: never[]) => unknown;
export function expectFunction(argument: string, value: unknown, rules: CheckRules = {}): void {
  if (rules.optional === true && value === undefined) return;
  if (typeof value !== 'function') throw invalidArgument(argument, 'be a function', describeValue(value));
}

/** A string, non-empty unless `allowEmpty`, at most `maxLength` long. */
export function expectString(
  argument: string,
  value: unknown,
  rules: StringRules & { optional: true },
): asserts value is string | undefined;
export function expectString(argument: string, value: unknown, rules?: StringRules): asserts value is string;
export function expectString(argument: string, value: unknown, rules: StringRules = {}): void {
  if (rules.optional === true && value === undefined) return;
  const kind = rules.allowEmpty === true ? 'a string' : 'a non-empty string';
  const expectation =
    rules.maxLength === undefined ? `be ${kind}` : `be ${kind} of at most ${plural(rules.maxLength, 'character')}`;
  if (
    typeof value !== 'string' ||
    (rules.allowEmpty !== true && value.length === 0) ||
    (rules.maxLength !== undefined && value.length > rules.maxLength)
  ) {
    throw invalidArgument(argument, expectation, describeValue(value));
  }
}

/** One of a fixed list of strings (a mode, a dialect, a strategy). */
export function expectOneOf<const T extends string>(
  argument: string,
  value: unknown,
  choices: readonly T[],
  rules: { optional: true },
): asserts value is T | undefined;
export function expectOneOf<const T extends string>(
  argument: string,
  value: unknown,
  choices: readonly T[],
  rules?: CheckRules,
): asserts value is T;
export function expectOneOf(
  argument: string,
  value: unknown,
  choices: readonly string[],
  rules: CheckRules = {},
): void {
  if (rules.optional === true && value === undefined) return;
  if (typeof value !== 'string' || !choices.includes(value)) {
    throw invalidArgument(
      argument,
      `be one of ${choices.map((choice) => `'${choice}'`).join(', ')}`,
      describeValue(value),
    );
  }
}
