/**
 * How the repository turns a stored row's data into a session's `data`: a JSON object as it is, an
 * empty one as the repository's `initialData`, and anything else through the user's `decodeData` or
 * as a {@link SessionDataError}. Also the scan behind `verifySchema({ data: true })`.
 *
 * @module
 */
import { expectFunction, invalidArgument } from '../validate.js';
import { SessionDataError, UndecodedData, type DecodeDataContext, type SessionDataProblem } from '../session-data.js';
import type { SessionStore } from '../session-store.js';
import { serializeData } from './input-validation.js';

/**
 * A row whose data cannot be read as a JSON object, as `verifySchema({ data: true })` lists it.
 *
 * @example
 * ```ts
 * const row: UnreadableRow = report.unreadable[0]!;
 * console.warn(`${row.maskedKey}: ${row.column} ${row.reason}`);
 * ```
 */
export interface UnreadableRow {
  /** The session key. Never logged by the library; use `maskedKey`. */
  readonly key: string;
  /** The key as it appears in messages and logs. */
  readonly maskedKey: string;
  /** The data column's name in the table. */
  readonly column: string;
  /** Why its value is not a JSON object. */
  readonly reason: SessionDataProblem;
}

/**
 * What `verifySchema` found: with `{ data: true }`, how many rows were read and which of them cannot
 * be; without, no rows are read (`rowsChecked: 0`).
 *
 * @example
 * ```ts
 * const report: SchemaReport = await repository.verifySchema({ data: true });
 * if (report.unreadable.length > 0) process.exitCode = 1;
 * ```
 */
export interface SchemaReport {
  /** Rows whose data was read. */
  readonly rowsChecked: number;
  /** The rows whose data cannot be read, in key order. */
  readonly unreadable: readonly UnreadableRow[];
}

/** Turns stored data into a session's data for one repository. */
export interface DataReader<TData> {
  /** `initialData` as JSON text, for sessions created without data; `undefined` when none was given. */
  readonly initialDataJson: string | undefined;
  /** The session data of `key` from what the store read. */
  toData(key: string, stored: unknown): TData;
}

const PAGE_SIZE = 500;

/** Checks `initialData` and `decodeData` and returns the reader they make. */
export function createDataReader<TData>(
  options: { readonly initialData?: unknown; readonly decodeData?: unknown },
  column: string,
  maskKey: (key: string) => string,
  maxDataLength: number,
): DataReader<TData> {
  const { initialData, decodeData } = options;
  expectFunction('decodeData', decodeData, { optional: true });
  const initialDataJson =
    initialData === undefined ? undefined : serializeData(initialData, maxDataLength, 'initialData');
  const decode = decodeData as ((raw: unknown, context: DecodeDataContext) => unknown) | undefined;
  return {
    initialDataJson,
    toData(key, stored) {
      if (stored instanceof UndecodedData) {
        const context: DecodeDataContext = { key, maskedKey: maskKey(key), column, reason: stored.reason };
        if (decode === undefined) throw new SessionDataError(context);
        const decoded = decode(stored.raw, context);
        // The decoded value is written back as JSON by the next update: it must be what serializeData accepts.
        serializeData(decoded, Number.MAX_SAFE_INTEGER, 'decodeData(…)');
        return decoded as TData;
      }
      const empty = typeof stored === 'object' && stored !== null && Object.keys(stored).length === 0;
      return (empty && initialDataJson !== undefined ? JSON.parse(initialDataJson) : stored) as TData;
    },
  };
}

/** Reads every row's data in pages and lists the rows that cannot be read. */
export async function findUnreadableRows(store: SessionStore, maskKey: (key: string) => string): Promise<SchemaReport> {
  if (store.readDataPage === undefined) {
    throw invalidArgument('data', 'be false for a store that cannot list its rows (it has no readDataPage)', 'true');
  }
  const column = store.names.columns.data;
  const unreadable: UnreadableRow[] = [];
  let rowsChecked = 0;
  let afterKey: string | null = null;
  for (;;) {
    const page = await store.readDataPage(afterKey, PAGE_SIZE);
    for (const row of page) {
      if (row.data instanceof UndecodedData) {
        unreadable.push({ key: row.key, maskedKey: maskKey(row.key), column, reason: row.data.reason });
      }
    }
    rowsChecked += page.length;
    if (page.length < PAGE_SIZE) return { rowsChecked, unreadable };
    afterKey = page.at(-1)!.key;
  }
}
