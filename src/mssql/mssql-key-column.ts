/**
 * The SQL Server type of a keyed column (the sessions table's key, the processed table's id), and
 * what follows from it: whether a store can use the column at all, and the type each keyed parameter
 * is sent with. A parameter of the column's own type keeps the comparison an index seek; an
 * `NVARCHAR` parameter against a `VARCHAR` column converts the column instead (NVARCHAR has the higher
 * data type precedence) and, under a SQL collation, loses the seek. Shared by the store and by the
 * migration runner, which refuses an unusable key column before adopting a table.
 *
 * @module
 */
import { expectThat, invalidArgument } from '../core/validate.js';
import type { MssqlParameter, MssqlParameterType } from './mssql-statements.js';

/**
 * A keyed column's type: a bounded character type and its length in characters.
 *
 * @example
 * ```ts
 * const telefono: MssqlKeyColumnType = { type: 'VarChar', length: 20 };
 * ```
 */
export interface MssqlKeyColumnType {
  /** `VARCHAR`, `NVARCHAR`, `CHAR` or `NCHAR`. */
  readonly type: 'VarChar' | 'NVarChar' | 'Char' | 'NChar';
  /** The declared length, 1 to 8,000 (`VARCHAR`, `CHAR`) or 4,000 (`NVARCHAR`, `NCHAR`). */
  readonly length: number;
}

/** A column's type as `INFORMATION_SCHEMA.COLUMNS` gives it. */
export interface CatalogColumnType {
  /** `DATA_TYPE`, e.g. `varchar`, `nvarchar`, `bigint`. */
  readonly dataType: string;
  /** `CHARACTER_MAXIMUM_LENGTH`: characters, `-1` for `(MAX)`, `null` for non-character types. */
  readonly maxLength: number | null;
}

const KEY_TYPES: ReadonlyMap<string, MssqlKeyColumnType['type']> = new Map([
  ['varchar', 'VarChar'],
  ['nvarchar', 'NVarChar'],
  ['char', 'Char'],
  ['nchar', 'NChar'],
]);
const LARGE_TEXT_TYPES = new Set(['text', 'ntext']);
const MAX_LENGTH: Readonly<Record<MssqlKeyColumnType['type'], number>> = {
  VarChar: 8000,
  Char: 8000,
  NVarChar: 4000,
  NChar: 4000,
};

function isAscii(text: string): boolean {
  for (let index = 0; index < text.length; index++) if (text.charCodeAt(index) > 0x7f) return false;
  return true;
}

/** How a type reads in a message: `VARCHAR(20)`, `NVARCHAR(MAX)`, `BIGINT`. */
export function describeColumnType(type: CatalogColumnType): string {
  const name = type.dataType.toUpperCase();
  if (type.maxLength === null || !KEY_TYPES.has(type.dataType.toLowerCase())) return name;
  return `${name}(${type.maxLength === -1 ? 'MAX' : type.maxLength})`;
}

/**
 * Why `column` of `table` (both already bracket-quoted) cannot hold session keys, or `undefined` when
 * it can. The sentence names the column, its type and the statement that fixes it.
 */
export function keyColumnProblem(table: string, column: string, type: CatalogColumnType): string | undefined {
  const dataType = type.dataType.toLowerCase();
  const described = describeColumnType(type);
  const fix = `ALTER TABLE ${table} ALTER COLUMN ${column} NVARCHAR(255) NOT NULL (or VARCHAR(n) when every key is ASCII, as phone numbers are)`;
  if (LARGE_TEXT_TYPES.has(dataType) || (KEY_TYPES.has(dataType) && type.maxLength === -1)) {
    return (
      `The key column ${column} of ${table} is ${described}, which SQL Server cannot index (error 1919): every keyed ` +
      `statement would scan and lock the whole table. Change it to a bounded type: ${fix}.`
    );
  }
  if (!KEY_TYPES.has(dataType) || type.maxLength === null) {
    return (
      `The key column ${column} of ${table} is ${described}, but session keys are text: a key such as '+5215512345678' ` +
      `fails to convert (error 8114 or 245). Change it to a character type: ${fix}.`
    );
  }
  return undefined;
}

/** The catalog's type as a key column type, or `undefined` when it is not one (see keyColumnProblem). */
export function keyColumnType(type: CatalogColumnType): MssqlKeyColumnType | undefined {
  const mapped = KEY_TYPES.get(type.dataType.toLowerCase());
  if (mapped === undefined || type.maxLength === null || type.maxLength < 1) return undefined;
  return { type: mapped, length: type.maxLength };
}

/**
 * Checks a `columnTypes` entry given as an option.
 *
 * @throws InvalidArgumentError naming `argument` when it is not a bounded character type.
 */
export function validateKeyColumnType(argument: string, value: unknown): MssqlKeyColumnType {
  const candidate = value as Partial<MssqlKeyColumnType> | null;
  const type = typeof candidate === 'object' && candidate !== null ? candidate.type : undefined;
  const length = typeof candidate === 'object' && candidate !== null ? candidate.length : undefined;
  expectThat(
    type !== undefined &&
      Object.hasOwn(MAX_LENGTH, type) &&
      Number.isInteger(length) &&
      length! >= 1 &&
      length! <= MAX_LENGTH[type],
    argument,
    "be the column's type as { type: 'VarChar' | 'NVarChar' | 'Char' | 'NChar', length } with a length from 1 to " +
      '8000 (VarChar, Char) or 4000 (NVarChar, NChar)',
    value,
    { hint: "For example { type: 'VarChar', length: 20 }." },
  );
  return { type: type!, length: length! };
}

/** Which keyed column a parameter is compared with, and that column's type (when known). */
export type KeyColumnTypes = Readonly<Partial<Record<NonNullable<MssqlParameter['column']>, MssqlKeyColumnType>>>;

const ARGUMENT: Readonly<Record<NonNullable<MssqlParameter['column']>, string>> = {
  key: 'key',
  processedId: 'idempotencyKey',
};

/**
 * The type `parameter` is sent with: its keyed column's own type when `types` knows it, else the
 * statement's default. A value with characters outside ASCII is sent as `NVARCHAR` of the same
 * length against a `VARCHAR` / `CHAR` column, whose code page may not hold them (SQL Server would turn
 * them into `?` and find another key); that one comparison then converts the column, as before.
 *
 * @throws InvalidArgumentError when the value is longer than the column: SQL Server would cut the
 *   parameter to the column's length and compare a prefix. Nothing is sent.
 */
export function parameterType(parameter: MssqlParameter, types: KeyColumnTypes): MssqlParameterType {
  const column = parameter.column === undefined ? undefined : types[parameter.column];
  if (column === undefined || typeof parameter.value !== 'string') return parameter.type;
  if (parameter.value.length > column.length) {
    throw invalidArgument(
      ARGUMENT[parameter.column!],
      `be at most ${column.length} characters, what its column holds (${column.type.toUpperCase()}(${column.length}))`,
      `a string of ${parameter.value.length} characters`,
      {
        hint: `SQL Server would cut it to ${column.length} and find another key. Widen the column or use shorter keys.`,
      },
    );
  }
  if ((column.type === 'VarChar' || column.type === 'Char') && !isAscii(parameter.value)) {
    return { type: 'NVarChar', length: column.length };
  }
  return column.type === 'NVarChar'
    ? { type: 'NVarChar', length: column.length }
    : { type: column.type, length: column.length };
}
