/**
 * Checks of caller input, done before anything touches the database, so that bad input gets a typed
 * error and nothing is written.
 *
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import { MAX_KEY_LENGTH, MAX_STATE_LENGTH, MAX_VERSION } from '../session-store.js';

// C0 controls and DEL: PostgreSQL cannot store NUL in text, and the others are never part of a chat id.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Names what was passed. Only versions show their value: a key, a state or data passed with the
 * wrong type may still be a phone number or personal data, which must not reach a message or log.
 */
function describe(value: unknown, showValue = false): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return showValue ? `${typeof value} ${String(value).slice(0, 40)}` : `a ${typeof value}`;
}

/** Validates a session key or an operation id. */
export function validateKey(key: unknown, argument = 'key'): string {
  if (typeof key !== 'string') {
    throw new InvalidArgumentError(argument, `expected a non-empty string, got ${describe(key)}.`);
  }
  if (key.length === 0) throw new InvalidArgumentError(argument, 'expected a non-empty string, got "".');
  if (key.length > MAX_KEY_LENGTH) {
    throw new InvalidArgumentError(argument, `is ${key.length} characters long; the limit is ${MAX_KEY_LENGTH}.`);
  }
  if (CONTROL_CHARACTERS.test(key)) {
    throw new InvalidArgumentError(argument, 'contains a control character (U+0000–U+001F or U+007F); remove it.');
  }
  if (!key.isWellFormed()) {
    throw new InvalidArgumentError(argument, 'contains a lone UTF-16 surrogate, which no database stores faithfully.');
  }
  return key;
}

/** Validates a flow state: a string, or `null` to clear it. */
export function validateState(state: unknown, argument = 'changes.state'): string | null {
  if (state === null) return null;
  if (typeof state !== 'string') {
    throw new InvalidArgumentError(argument, `expected a string or null, got ${describe(state)}.`);
  }
  if (state.length > MAX_STATE_LENGTH) {
    throw new InvalidArgumentError(argument, `is ${state.length} characters long; the limit is ${MAX_STATE_LENGTH}.`);
  }
  if (state.includes('\u0000') || !state.isWellFormed()) {
    throw new InvalidArgumentError(argument, 'contains NUL or a lone surrogate, which no database stores faithfully.');
  }
  return state;
}

/** Validates an `expectedVersion`: `undefined` and `null` mean "unconditional". */
export function validateExpectedVersion(version: unknown, argument = 'expectedVersion'): number | null {
  if (version === undefined || version === null) return null;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0 || version > MAX_VERSION) {
    throw new InvalidArgumentError(
      argument,
      `expected an integer from 0 to ${MAX_VERSION} (the version you read), or null for an unconditional write; got ${describe(version, true)}.`,
    );
  }
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
        throw new InvalidArgumentError(
          scalarPath(parent, name, argument),
          'contains NUL or a lone surrogate, which JSON columns do not store faithfully.',
        );
      }
      return;
    case 'number':
      if (!Number.isFinite(value))
        throw new InvalidArgumentError(scalarPath(parent, name, argument), `${value} is not representable in JSON.`);
      return;
    case 'boolean':
      return;
    default:
      throw new InvalidArgumentError(
        scalarPath(parent, name, argument),
        `${typeof value} values are not JSON; remove it or convert it first.`,
      );
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
  if (typeof data !== 'object' || data === null || Array.isArray(data) || !isPlainObject(data)) {
    throw new InvalidArgumentError(argument, `expected a plain JSON object, got ${describe(data)}.`);
  }
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
      throw new InvalidArgumentError(pathOf(visit, argument), 'is a circular reference; JSON cannot represent cycles.');
    }
    if (!Array.isArray(container) && !isPlainObject(container)) {
      throw new InvalidArgumentError(
        pathOf(visit, argument),
        `is a ${container.constructor?.name ?? 'non-plain object'}; store plain JSON (convert Dates to ISO strings, Maps to objects).`,
      );
    }
    ancestors.add(container);
    stack.push({ value: container, parent: visit.parent, name: visit.name, leaving: true });
    const isArray = Array.isArray(container);
    for (const name of Object.keys(container)) {
      if (name.includes('\u0000') || !name.isWellFormed()) {
        throw new InvalidArgumentError(
          `${pathOf(visit, argument)}[${JSON.stringify(name)}]`,
          'has a key with NUL or a lone surrogate.',
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
    throw new InvalidArgumentError(argument, 'could not be serialised to JSON.', { cause });
  }
  if (json.length > maxLength) {
    throw new InvalidArgumentError(
      argument,
      `serialises to ${json.length} characters; the limit is ${maxLength} (raise the repository's maxDataLength).`,
    );
  }
  return json;
}

/** The longest `origin` accepted: the history table's origin column. */
export const MAX_ORIGIN_LENGTH = 32;
/** The longest `reason` accepted: the history table's reason column. */
export const MAX_REASON_LENGTH = 255;

/** Validates an optional short text recorded in the history (`origin`, `reason`): refused, never truncated. */
export function validateLabel(value: unknown, maxLength: number, argument: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidArgumentError(argument, `expected a non-empty string, got ${describe(value)}.`);
  }
  if (value.length > maxLength) {
    throw new InvalidArgumentError(argument, `is ${value.length} characters long; the limit is ${maxLength}.`);
  }
  if (CONTROL_CHARACTERS.test(value) || !value.isWellFormed()) {
    throw new InvalidArgumentError(argument, 'contains a control character or a lone surrogate; remove it.');
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
    throw new InvalidArgumentError(argument, 'expected a valid Date.');
  }
  const year = value.getUTCFullYear();
  if (year < 1 || year > 9999) {
    throw new InvalidArgumentError(argument, `expected a Date from year 1 to 9999, got ${value.toISOString()}.`);
  }
  return value;
}
