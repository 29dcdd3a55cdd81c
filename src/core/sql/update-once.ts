/**
 * Exactly-once updates, written once for every store: the session is written unless the idempotency
 * key is recorded for it, and the committed session is recorded under the key, atomically (one
 * statement where the dialect has one, else one short transaction); a key already recorded is a
 * duplicate; and a call whose connection failed after the server may have committed recognises its
 * own commit by a token it wrote with the key.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { VersionedSessionError, isVersionedSessionError } from '../errors.js';
import { readStoredData } from '../session-data.js';
import type { OnceWrite } from './dialect-contract.js';
import type {
  IdempotentWrite,
  IdempotentWriteOutcome,
  ProcessedRecord,
  SessionRecord,
  StoredChanges,
  WriteOutcome,
} from '../session-store.js';

/**
 * The store's steps. A dialect with a one-statement write (`once`) uses it everywhere, the caller's
 * transaction included; the others write in a transaction with `guardedWrite` then `insertRecord`,
 * and inside a caller's transaction with the claim-first steps (`claim`, `write`, `record`, `release`),
 * which never end in an error that would leave the caller's transaction half-written.
 */
export interface IdempotencySteps<THandle> {
  /** Runs `work` in a transaction of the store's own; `work` gets the handle to run its steps on. */
  transaction<T>(work: (handle: THandle) => Promise<T>): Promise<T>;
  /** Turns the caller's transaction into a handle, or throws `InvalidArgumentError` when it is unusable. */
  adoptTransaction(transaction: unknown): THandle;
  /**
   * The write, the record and the outcome in one statement, on the caller's transaction when `handle`
   * is given, else atomic on its own; absent when the dialect has no such statement.
   */
  once?(write: OnceWrite, handle: THandle | undefined): Promise<IdempotentWriteOutcome>;
  /** The versioned update unless `id` is recorded for `key`; a refused write is classified, duplicate first. */
  guardedWrite(
    key: string,
    changes: StoredChanges,
    expectedVersion: number | null,
    id: string,
    handle: THandle,
  ): Promise<IdempotentWriteOutcome>;
  /** Inserts the record of `id` for the written session (a recorded id is a unique violation). */
  insertRecord(id: string, key: string, commitToken: string, session: SessionRecord, handle: THandle): Promise<void>;
  /** Records `id` for `key` unless it is recorded; `true` when this call recorded it. */
  claim(id: string, key: string, commitToken: string, handle: THandle): Promise<boolean>;
  /** The versioned update itself. */
  write(
    key: string,
    changes: StoredChanges,
    expectedVersion: number | null,
    handle: THandle,
  ): Promise<WriteOutcome<SessionRecord>>;
  /** Stores the committed session with the claim, so a duplicate can be answered with it. */
  record(id: string, commitToken: string, session: SessionRecord, handle: THandle): Promise<void>;
  /** Removes this call's claim after a refused write, inside a transaction that will still commit. */
  release(id: string, commitToken: string, handle: THandle): Promise<void>;
  /**
   * The record of `id` for `key` (that key's rows only), else of `id` recorded without a key or for
   * another (a single server's primary key is `id`); read on `handle` or, without one, on a connection
   * of its own.
   */
  find(id: string, key: string, handle?: THandle): Promise<ProcessedRecord | null>;
  /** Whether a driver error is a unique violation: another delivery recorded the id first. */
  isUniqueViolation(error: unknown): boolean;
}

/** The committed session as stored with its idempotency key (its key and version have columns of their own). */
export function sessionSnapshot(session: SessionRecord): string {
  return JSON.stringify({
    state: session.state,
    data: session.data,
    createdAt: session.createdAt.toISOString(),
    updatedAt: session.updatedAt.toISOString(),
  });
}

/** Rebuilds the committed session from a processed-operations row. */
export function processedRecord(row: Record<string, unknown>, toVersion: (value: unknown) => number): ProcessedRecord {
  const key = row['session_key'] === null || row['session_key'] === undefined ? null : String(row['session_key']);
  const snapshotText = row['session_snapshot'];
  let session: SessionRecord | null = null;
  if (key !== null && typeof snapshotText === 'string' && snapshotText.length > 0) {
    // Written by the library (`data`, parsed) or built by a one-statement write (`dataJson`, the
    // column's text, read as a session's data is).
    const snapshot = JSON.parse(snapshotText) as {
      state: string | null;
      data?: unknown;
      dataJson?: string | null;
      createdAt: string;
      updatedAt: string;
    };
    session = {
      key,
      state: snapshot.state,
      data: 'dataJson' in snapshot ? readStoredData(snapshot.dataJson) : snapshot.data,
      version: toVersion(row['session_version']),
      createdAt: new Date(snapshot.createdAt),
      updatedAt: new Date(snapshot.updatedAt),
    };
  }
  const processedAt = row['processed_at'];
  const token = row['commit_token'];
  return {
    id: String(row['id']),
    key,
    session,
    commitToken: typeof token === 'string' ? token : null,
    processedAt: processedAt instanceof Date ? processedAt : new Date(processedAt as string),
  };
}

/**
 * The record of a processed-operations row read together with its session (`processed_*` columns),
 * or `null` when the row has none.
 */
export function joinedProcessedRecord(
  row: Record<string, unknown>,
  key: string,
  toVersion: (value: unknown) => number,
): ProcessedRecord | null {
  const id = row['processed_id'];
  if (id === null || id === undefined) return null;
  return processedRecord(
    {
      id,
      session_key: key,
      session_version: row['processed_version'],
      session_snapshot: row['processed_snapshot'],
      commit_token: row['processed_token'],
      processed_at: row['processed_at'],
    },
    toVersion,
  );
}

// A claim that is neither ours nor readable was pruned between the two statements: claim again.
const CLAIM_ATTEMPTS = 3;

/** Inside a caller's transaction, without a one-statement write: claim first, then write, then record or release. */
async function claimFirst<THandle>(
  steps: IdempotencySteps<THandle>,
  write: IdempotentWrite,
  commitToken: string,
  handle: THandle,
): Promise<IdempotentWriteOutcome> {
  for (let attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt++) {
    // The claim comes first: a concurrent delivery of the same key waits on it (the unique index,
    // SQLite's write lock) and then finds it, so it never touches the session row.
    if (!(await steps.claim(write.idempotencyKey, write.key, commitToken, handle))) {
      const processed = await steps.find(write.idempotencyKey, write.key, handle);
      if (processed !== null) return { status: 'duplicate', processed };
      continue;
    }
    const outcome = await steps.write(write.key, write.changes, write.expectedVersion, handle);
    if (outcome.status === 'done') {
      await steps.record(write.idempotencyKey, commitToken, outcome.value, handle);
    } else {
      // Released rather than rolled back: the caller's transaction is the caller's to end.
      await steps.release(write.idempotencyKey, commitToken, handle);
    }
    return outcome;
  }
  throw new VersionedSessionError(
    `The operation id was recorded and removed ${CLAIM_ATTEMPTS} times while it was being claimed; giving up.`,
  );
}

/** In a transaction of the store's own, without a one-statement write: the guarded write, then its record. */
async function writeThenRecord<THandle>(
  steps: IdempotencySteps<THandle>,
  write: IdempotentWrite,
  commitToken: string,
  handle: THandle,
): Promise<IdempotentWriteOutcome> {
  const outcome = await steps.guardedWrite(
    write.key,
    write.changes,
    write.expectedVersion,
    write.idempotencyKey,
    handle,
  );
  // A concurrent delivery that recorded the id meanwhile makes the insert a unique violation, which
  // rolls the whole transaction back: nothing of this call is left.
  if (outcome.status === 'done')
    await steps.insertRecord(write.idempotencyKey, write.key, commitToken, outcome.value, handle);
  return outcome;
}

/**
 * Applies an idempotent update: on the caller's transaction when one is given (the caller commits),
 * else atomic on its own (one statement, or a transaction of the store's own). The session is written
 * first and the id recorded with it, so the session row's lock is held for that statement (or that
 * short transaction) only; a delivery that finds the id recorded writes nothing.
 *
 * When the write fails in a way that may have happened after the server committed (the connection
 * dropped while the reply was on its way), or because another delivery recorded the id first (a
 * unique violation), the record is read back on a fresh connection: this call's token there means its
 * commit went through and the committed session is returned; another token means another delivery
 * applied it first.
 */
export async function updateOnce<THandle>(
  steps: IdempotencySteps<THandle>,
  write: IdempotentWrite,
): Promise<IdempotentWriteOutcome> {
  const commitToken = randomUUID();
  const caller = write.transaction === undefined ? undefined : steps.adoptTransaction(write.transaction);
  try {
    if (steps.once !== undefined) {
      const once: OnceWrite = {
        key: write.key,
        changes: write.changes,
        expectedVersion: write.expectedVersion,
        id: write.idempotencyKey,
        commitToken,
        ownTransaction: caller === undefined,
      };
      return await steps.once(once, caller);
    }
    if (caller !== undefined) return await claimFirst(steps, write, commitToken, caller);
    return await steps.transaction((handle) => writeThenRecord(steps, write, commitToken, handle));
  } catch (error) {
    if (isVersionedSessionError(error)) throw error;
    // In the caller's transaction nothing commits before the caller does: only another delivery's
    // record (a unique violation) can be read back.
    if (caller !== undefined && !steps.isUniqueViolation(error)) throw error;
    const processed = await steps.find(write.idempotencyKey, write.key).catch(() => null);
    if (processed === null) throw error;
    if (processed.commitToken === commitToken && processed.session !== null) {
      return { status: 'done', value: processed.session };
    }
    return { status: 'duplicate', processed };
  }
}
