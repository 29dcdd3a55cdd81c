/**
 * The shape of a recorded history: what each worker process wrote down about its operations, and
 * what the database held at the end. A list-append plus counter workload in the style of Jepsen's
 * Elle: every operation appends one unique token to a key's list and adds one to its counter, in a
 * single versioned write.
 */

/**
 * How an operation ended. `ok`: acknowledged, so it must be visible exactly once. `fail`: known not
 * to have been applied (a typed conflict, a busy database), so it must be absent. `info`: the outcome
 * is unknown (the connection died in the middle), so it may be present, at most once.
 */
export type Outcome = 'ok' | 'fail' | 'info';

/** One line of a worker's history file: an invoke or a completion. */
export type HistoryEvent = InvokeEvent | CompletionEvent;

export interface InvokeEvent {
  type: 'invoke';
  process: number;
  index: number;
  key: string;
  token: number;
}

export interface CompletionEvent {
  type: Outcome;
  process: number;
  index: number;
  /** The version the last attempt read (and named as `expectedVersion`). */
  versionRead?: number;
  /** The version the acknowledged write returned. */
  versionWritten?: number;
  attempts?: number;
  /** Retries caused by a passing fault (a busy SQLite database) rather than by a conflict. */
  transientRetries?: number;
  /** An ok the library resolved through the idempotency key: an earlier attempt had committed. */
  duplicate?: boolean;
  error?: string;
}

/** An invoked operation paired with its completion. */
export interface Operation {
  process: number;
  index: number;
  key: string;
  token: number;
  /** `info` as well when the worker never reported a completion. */
  outcome: Outcome;
  versionRead?: number;
  versionWritten?: number;
  attempts?: number;
  error?: string;
}

/** A key as the database held it: before the run (its version) and after (read back with raw SQL). */
export interface KeyState {
  key: string;
  startVersion: number;
  version: number;
  list: unknown;
  counter: unknown;
}

/** Everything the checker looks at. */
export interface History {
  events: HistoryEvent[];
  keys: KeyState[];
}
