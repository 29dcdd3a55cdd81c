/**
 * Checks of caller input, done before anything touches the database, so that bad input gets a typed
 * error and nothing is written.
 *
 * @module
 */
import type { SessionChanges } from '../session.js';
import { MAX_KEY_LENGTH, MAX_STATE_LENGTH, MAX_VERSION, type StoredChanges } from '../session-store.js';
import { describeValue, expectObject, expectString, expectThat, invalidArgument } from '../validate.js';

// C0 controls and DEL: PostgreSQL cannot store NUL in text, and the others are never part of a chat id.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** Validates a session key or an operation id. */
export function validateKey(key: unknown, argument = 'key'): string {
  expectString(argument, key, { maxLength: MAX_KEY_LENGTH });
  if (CONTROL_CHARACTERS.test(key)) {
    throw invalidArgument(argument, 'contain no control character (U+0000–U+001F or U+007F)', 'a string with one', {
      hint: 'Remove it.',
    });
  }
  if (!key.isWellFormed()) {
    throw invalidArgument(argument, 'be well-formed UTF-16', 'a string with a lone surrogate', {
      hint: 'No database stores one faithfully.',
    });
  }
  return key;
}

/** Validates a flow state: a string, or `null` to clear it. */
export function validateState(state: unknown, argument = 'changes.state'): string | null {
  if (state === null) return null;
  expectThat(
    typeof state === 'string' && state.length <= MAX_STATE_LENGTH,
    argument,
    `be a string of at most ${MAX_STATE_LENGTH} characters, or null`,
    state,
  );
  if (state.includes('\u0000') || !state.isWellFormed()) {
    throw invalidArgument(argument, 'contain no NUL and no lone surrogate', 'a string with one', {
      hint: 'No database stores them faithfully.',
    });
  }
  return state;
}

/** Validates an `expectedVersion`: `undefined` and `null` mean "unconditional". */
export function validateExpectedVersion(version: unknown, argument = 'expectedVersion'): number | null {
  if (version === undefined || version === null) return null;
  expectThat(
    typeof version === 'number' && Number.isInteger(version) && version >= 0 && version <= MAX_VERSION,
    argument,
    `be an integer from 0 to ${MAX_VERSION} (the version you read), or null for an unconditional write`,
    version,
    { showNumber: true },
  );
  return version;
}

function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** A container being walked: its path is built from its parent's only when an error names it. */
interface Visit {
  readonly value: object;
  readonly parent: Visit | undefined;
  readonly name: string;
  /** Set on the marker that takes `value` off the ancestors once its children are done. */
  readonly leaving: boolean;
}

function pathOf(visit: Visit, argument: string): string {
  const names: string[] = [];
  for (let at: Visit | undefined = visit; at.parent !== undefined; at = at.parent) names.push(at.name);
  return names.length === 0 ? argument : `${argument}.${names.reverse().join('.')}`;
}

function scalarPath(parent: Visit, name: string, argument: string): string {
  return `${pathOf(parent, argument)}.${name}`;
}

/** The check of `parent`'s property `name`, a value that is not a container; its path is built only to refuse it. */
function checkScalar(value: unknown, parent: Visit, name: string, argument: string): void {
  switch (typeof value) {
    case 'string':
      if (value.includes('\u0000') || !value.isWellFormed()) {
        throw invalidArgument(
          scalarPath(parent, name, argument),
          'contain no NUL and no lone surrogate',
          'a string with one',
          {
            hint: 'JSON columns do not store them faithfully.',
          },
        );
      }
      return;
    case 'number':
      if (!Number.isFinite(value)) {
        throw invalidArgument(
          scalarPath(parent, name, argument),
          'be a finite number',
          describeValue(value, { showNumber: true }),
          { hint: 'JSON cannot represent it.' },
        );
      }
      return;
    case 'boolean':
      return;
    default:
      throw invalidArgument(scalarPath(parent, name, argument), 'be a JSON value', describeValue(value), {
        hint: 'Remove it or convert it first.',
      });
  }
}

/**
 * Serialises session data, which must be a plain JSON object that survives a round trip unchanged:
 * strings, finite numbers, booleans, null, arrays and plain objects, without cycles, NUL characters or
 * lone surrogates. An object property whose value is `undefined` is dropped, as every JSON store
 * drops it; anything else (`undefined` in an array, functions, BigInt, Dates, Maps, NaN) is refused
 * rather than silently changed by `JSON.stringify`.
 */
export function serializeData(data: unknown, maxLength: number, argument = 'changes.data'): string {
  expectThat(
    typeof data === 'object' && data !== null && !Array.isArray(data) && isPlainObject(data),
    argument,
    'be a plain JSON object',
    data,
  );
  // Iterative walk: deep data must give a typed error, not a stack overflow. Paths are built only for
  // an error: a walk that finds nothing wrong allocates one entry per object or array, none per value.
  const ancestors = new Set<object>();
  const stack: Visit[] = [{ value: data, parent: undefined, name: '', leaving: false }];
  while (stack.length > 0) {
    const visit = stack.pop()!;
    const container = visit.value;
    if (visit.leaving) {
      ancestors.delete(container);
      continue;
    }
    if (ancestors.has(container)) {
      throw invalidArgument(pathOf(visit, argument), 'be free of cycles', 'a circular reference', {
        hint: 'JSON cannot represent cycles.',
      });
    }
    if (!Array.isArray(container) && !isPlainObject(container)) {
      throw invalidArgument(pathOf(visit, argument), 'be plain JSON', describeValue(container), {
        hint: 'Convert Dates to ISO strings and Maps to objects.',
      });
    }
    ancestors.add(container);
    stack.push({ value: container, parent: visit.parent, name: visit.name, leaving: true });
    const isArray = Array.isArray(container);
    for (const name of Object.keys(container)) {
      if (name.includes('\u0000') || !name.isWellFormed()) {
        throw invalidArgument(
          pathOf(visit, argument),
          'have property names without NUL or a lone surrogate',
          'a name with one',
        );
      }
      const property = (container as Record<string, unknown>)[name];
      // An undefined object property is dropped, as JSON.stringify drops it; in an array it would
      // become null, so it is refused there.
      if (property === undefined && !isArray) continue;
      if (typeof property === 'object' && property !== null) {
        stack.push({ value: property, parent: visit, name, leaving: false });
      } else if (property !== null) {
        checkScalar(property, visit, name, argument);
      }
    }
  }
  let json: string;
  try {
    json = JSON.stringify(data);
  } catch (cause) {
    throw invalidArgument(argument, 'serialise to JSON', 'an error from JSON.stringify', { cause });
  }
  if (json.length > maxLength) {
    throw invalidArgument(argument, `serialise to at most ${maxLength} characters`, `${json.length} characters`, {
      hint: "Raise the repository's `maxDataLength` to store more.",
    });
  }
  return json;
}

/**
 * Validates session changes (`state` and/or `data`, nothing else) and serialises the data: what a
 * write, a create and the idle sweep send to the store.
 */
export function storedChanges(
  changes: SessionChanges<unknown>,
  maxDataLength: number,
  argument: string,
): StoredChanges {
  expectObject(argument, changes);
  for (const field of Object.keys(changes)) {
    if (field !== 'state' && field !== 'data') {
      throw invalidArgument(
        `${argument}.${field}`,
        'be left out (a session change has `state` and `data` only)',
        describeValue((changes as Record<string, unknown>)[field]),
      );
    }
  }
  const stored: StoredChanges = {};
  if (changes.state !== undefined) stored.state = validateState(changes.state, `${argument}.state`);
  if (changes.data !== undefined) stored.dataJson = serializeData(changes.data, maxDataLength, `${argument}.data`);
  return stored;
}

/** The longest `origin` accepted: the history table's origin column. */
export const MAX_ORIGIN_LENGTH = 32;
/** The longest `reason` accepted: the history table's reason column. */
export const MAX_REASON_LENGTH = 255;

/** Validates an optional short text recorded in the history (`origin`, `reason`): refused, never truncated. */
export function validateLabel(value: unknown, maxLength: number, argument: string): string | undefined {
  expectString(argument, value, { maxLength, optional: true });
  if (value !== undefined && (CONTROL_CHARACTERS.test(value) || !value.isWellFormed())) {
    throw invalidArgument(argument, 'contain no control character and no lone surrogate', 'a string with one', {
      hint: 'Remove it.',
    });
  }
  return value;
}

/**
 * Validates a cut-off Date: valid, and from year 1 to 9999, the range every dialect stores and
 * compares faithfully (PostgreSQL's timestamptz ends before 4713 BC, SQL Server's datetime2 at year 1,
 * and SQLite's ISO text sorts wrongly past year 9999).
 */
export function validateCutoff(value: unknown, argument = 'olderThan'): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw invalidArgument(
      argument,
      'be a valid Date',
      value instanceof Date ? 'an invalid Date' : describeValue(value),
    );
  }
  const year = value.getUTCFullYear();
  if (year < 1 || year > 9999) {
    throw invalidArgument(argument, 'be a Date from year 1 to 9999', `a Date in year ${year}`);
  }
  return value;
}
