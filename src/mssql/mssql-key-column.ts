/**
 * The SQL Server type of a keyed column (the sessions table's key, the processed table's id) as the
 * catalog reports it, and whether a store can use it: keys are text, found by an index seek. Shared by
 * the store, which types its keyed parameters with it, and the migration runner, which refuses an
 * unusable key column before adopting the table.
 *
 * @module
 */

/** A column's type as `INFORMATION_SCHEMA.COLUMNS` gives it. */
export interface CatalogColumnType {
  /** `DATA_TYPE`, e.g. `varchar`, `nvarchar`, `bigint`. */
  readonly dataType: string;
  /** `CHARACTER_MAXIMUM_LENGTH`: characters, `-1` for `(MAX)`, `null` for non-character types. */
  readonly maxLength: number | null;
  /** `CHARACTER_SET_NAME`, e.g. `iso_1`, `UNICODE`, `UTF8`; `null` for non-character types. */
  readonly characterSet: string | null;
}

/** The types a key can have: character types of a bounded length. */
const KEY_TYPES = new Set(['char', 'varchar', 'nchar', 'nvarchar']);
const LARGE_TEXT_TYPES = new Set(['text', 'ntext']);

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
  if (!KEY_TYPES.has(dataType)) {
    return (
      `The key column ${column} of ${table} is ${described}, but session keys are text: a key such as '+5215512345678' ` +
      `fails to convert (error 8114 or 245). Change it to a character type: ${fix}.`
    );
  }
  return undefined;
}
