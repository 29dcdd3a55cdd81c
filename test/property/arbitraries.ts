/**
 * Generators of hostile input for every public entry point, and the oracles that say, independently
 * of the library's own validation, whether each input must round-trip or be refused.
 */
import fc from 'fast-check';

export const MAX_KEY_LENGTH = 255;
export const MAX_VERSION = 2_147_483_647;

/** Any UTF-16 code unit, lone surrogates and C0 controls included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
const control = fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code));
const injection = fc.constantFrom(']', '"', "'", ';', '\u0000', '--', '/*', ' ', '`', '\\', '$1', '%s');

/** Strings: unicode, code units, controls, injection fragments, around the length limit. */
export const hostileString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: codeUnit, maxLength: 20 }),
  fc.string({
    unit: fc.oneof(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }), control, injection),
    maxLength: 20,
  }),
  fc.constant(''),
  fc.integer({ min: MAX_KEY_LENGTH - 3, max: MAX_KEY_LENGTH + 3 }).map((length) => 'ñ'.repeat(length)),
  fc.integer({ min: 256, max: 5000 }).map((length) => '5'.repeat(length)),
);

/** Keys: hostile strings and values that are not strings at all. */
export const anyKey: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: hostileString },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.integer(),
      fc.constant(null),
      fc.constant(undefined),
      fc.constant({ toString: () => 'k' }),
      fc.constant(['k']),
    ),
  },
);

/** The oracle for keys and operation ids. */
export function keyIsValid(key: unknown): key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) return false;
  for (let index = 0; index < key.length; index++) {
    const code = key.charCodeAt(index);
    if (code <= 0x1f || code === 0x7f) return false;
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = key.charCodeAt(index + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      index++;
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      return false;
    }
  }
  return true;
}

function nested(depth: number, leaf: unknown, asArray: boolean): unknown {
  let value = leaf;
  for (let level = 0; level < depth; level++) value = asArray ? [value] : { n: value };
  return value;
}

class Money {
  constructor(readonly amount: number) {}
}

/** Values `JSON.stringify` would silently change or refuse. */
const notJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(undefined, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, () => 1, Symbol('s'), 10n),
  fc.constantFrom(new Date(0), new Map([['a', 1]]), new Set([1]), new Money(5), /re/, new Uint8Array([1])),
  fc.constant('\u0000'),
  fc.constant('\ud800'),
);

/** Plain objects whose own keys include `__proto__`, `constructor` and `toJSON`. */
const prototypeKeys: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.constantFrom('__proto__', 'constructor', 'toJSON', 'prototype', 'hasOwnProperty'),
    fc.jsonValue({ maxDepth: 2 }),
  )
  .map(([name, value]) => {
    // JSON.parse makes `__proto__` an own data property, which is how such a key reaches a handler.
    return JSON.parse(`{${JSON.stringify(name)}: ${JSON.stringify(value)}, "ok": 1}`) as Record<string, unknown>;
  });

/** Session data: JSON objects, deep ones, huge ones, prototype keys, and things that are not JSON. */
export const anyData: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.dictionary(hostileString, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }) },
  { weight: 2, arbitrary: prototypeKeys },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 3000 }), fc.boolean())
      .map(([depth, asArray]) => ({ deep: nested(depth, 'x', asArray) })),
  },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 6000 }).map((length) => ({ huge: 'a'.repeat(length) })) },
  { weight: 2, arbitrary: fc.tuple(hostileString, notJson).map(([name, value]) => ({ [name]: value, fine: true })) },
  { weight: 1, arbitrary: fc.tuple(hostileString, notJson).map(([name, value]) => ({ list: [1, { [name]: value }] })) },
  {
    weight: 1,
    arbitrary: fc.constant(null).map(() => {
      const cyclic: Record<string, unknown> = { a: 1 };
      cyclic['self'] = cyclic;
      return cyclic;
    }),
  },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.constant(null),
      fc.constant([]),
      fc.string(),
      fc.integer(),
      fc.constant(new Date(0)),
      fc.constant(Object.create({ inherited: 1 })),
    ),
  },
);

function isPlain(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function stringStoresFaithfully(text: string): boolean {
  return !text.includes('\u0000') && text.isWellFormed();
}

/**
 * The oracle for data: a plain object whose every value is a string, finite number, boolean, null,
 * array or plain object (or, as an object property, undefined, which is dropped), with no cycles, NUL
 * or lone surrogates, whose JSON fits `maxLength`.
 */
export function dataIsValid(data: unknown, maxLength: number): boolean {
  if (typeof data !== 'object' || data === null || Array.isArray(data) || !isPlain(data)) return false;
  const path = new Set<unknown>();
  const visit = (value: unknown): boolean => {
    if (typeof value === 'string') return stringStoresFaithfully(value);
    if (typeof value === 'number') return Number.isFinite(value);
    if (typeof value === 'boolean' || value === null) return true;
    if (typeof value !== 'object') return false;
    if (path.has(value)) return false;
    if (!Array.isArray(value) && !isPlain(value)) return false;
    path.add(value);
    // An undefined object property is dropped, as JSON drops it; in an array it is refused.
    const ok = Object.entries(value).every(
      ([name, child]) =>
        stringStoresFaithfully(name) && ((child === undefined && !Array.isArray(value)) || visit(child)),
    );
    path.delete(value);
    return ok;
  };
  let valid: boolean;
  try {
    valid = visit(data);
  } catch {
    return false; // deeper than this oracle's own stack
  }
  if (!valid) return false;
  try {
    return JSON.stringify(data).length <= maxLength;
  } catch {
    return false;
  }
}

/** JSON with object keys sorted, so that jsonb's key reordering compares equal. */
export function canonicalJson(value: unknown): string {
  const sort = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(sort);
    if (typeof node === 'object' && node !== null) {
      const sorted: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      for (const name of Object.keys(node).sort()) sorted[name] = sort((node as Record<string, unknown>)[name]);
      return sorted;
    }
    return node;
  };
  return JSON.stringify(sort(value));
}

/** Versions: negative, fractional, NaN, infinite, huge, -0, and values that are not numbers. */
export const anyVersion: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: -5, max: 8 }),
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0.5, 1 + Number.EPSILON),
  fc.constantFrom(MAX_VERSION, MAX_VERSION + 1, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, -MAX_VERSION - 1),
  fc.constantFrom(null, undefined, '1', true, 1n, [1], { valueOf: () => 1 }),
);

/** The oracle for `expectedVersion`: `null`/`undefined` (unconditional) or an integer 0…MAX_VERSION. */
export function versionIsValid(version: unknown): boolean {
  if (version === null || version === undefined) return true;
  return typeof version === 'number' && Number.isInteger(version) && version >= 0 && version <= MAX_VERSION;
}

/** Identifiers: plain ones, reserved words, and ones carrying `]`, `"`, `;`, NUL, spaces, over-length. */
export const anyIdentifier: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/) },
  { weight: 1, arbitrary: fc.constantFrom('select', 'order', 'user', 'Key', 'table', 'sessions_v2', '_') },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.stringMatching(/^[a-z]{1,8}$/), injection, fc.stringMatching(/^[a-z]{0,8}$/))
      .map(([head, bad, tail]) => `${head}${bad}${tail}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'x"; DROP TABLE sessions; --',
      'a]; DROP TABLE t; --',
      '1abc',
      '',
      ' ',
      'ñame',
      'a-b',
      'a.b',
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 60, max: 140 }).map((length) => 'a'.repeat(length)) },
  { weight: 1, arbitrary: fc.constantFrom(1, null, {}, ['a']) },
);

/** The oracle for one configured identifier. */
export function identifierIsValid(name: unknown, maxLength: number): boolean {
  return typeof name === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && name.length <= maxLength;
}
