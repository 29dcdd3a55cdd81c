/**
 * Exactly-once updates, written once for every store: the idempotency key is claimed, the session is
 * written and the committed session is recorded under the key, all in one transaction; a key already
 * claimed is a duplicate; and a call whose connection failed after the server may have committed
 * recognises its own commit by a token it wrote with the key.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { VersionedSessionError, isVersionedSessionError } from '../errors.js';
import type {
  IdempotentWrite,
  IdempotentWriteOutcome,
  ProcessedRecord,
  SessionRecord,
  StoredChanges,
  WriteOutcome,
} from '../session-store.js';

/** The store's single steps, each run on the given transaction handle. */
export interface IdempotencySteps<THandle> {
  /** Runs `work` in a transaction of the store's own; `work` gets the handle to run its steps on. */
  transaction<T>(work: (handle: THandle) => Promise<T>): Promise<T>;
  /** Turns the caller's transaction into a handle, or throws `InvalidArgumentError` when it is unusable. */
  adoptTransaction(transaction: unknown): THandle;
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
  /** The record of `id`, read on `handle` or, without one, on a connection of its own. */
  find(id: string, handle?: THandle): Promise<ProcessedRecord | null>;
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
    const snapshot = JSON.parse(snapshotText) as {
      state: string | null;
      data: unknown;
      createdAt: string;
      updatedAt: string;
    };
    session = {
      key,
      state: snapshot.state,
      data: snapshot.data,
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

// A claim that is neither ours nor readable was pruned between the two statements: claim again.
const CLAIM_ATTEMPTS = 3;

async function writeOnce<THandle>(
  steps: IdempotencySteps<THandle>,
  write: IdempotentWrite,
  commitToken: string,
  handle: THandle,
): Promise<IdempotentWriteOutcome> {
  for (let attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt++) {
    // The claim comes first: a concurrent delivery of the same key waits on it (PostgreSQL's unique
    // index, SQLite's write lock) and then finds it, so it never touches the session row.
    if (!(await steps.claim(write.idempotencyKey, write.key, commitToken, handle))) {
      const processed = await steps.find(write.idempotencyKey, handle);
      if (processed !== null) return { status: 'duplicate', processed };
      continue;
    }
    const outcome = await steps.write(write.key, write.changes, write.expectedVersion, handle);
    if (outcome.status === 'done') {
      await steps.record(write.idempotencyKey, commitToken, outcome.value, handle);
    } else {
      // Released rather than rolled back, so the same code serves a caller's transaction, which is
      // the caller's to end.
      await steps.release(write.idempotencyKey, commitToken, handle);
    }
    return outcome;
  }
  throw new VersionedSessionError(
    `The operation id was recorded and removed ${CLAIM_ATTEMPTS} times while it was being claimed; giving up.`,
  );
}

/**
 * Applies an idempotent update: on the caller's transaction when one is given (the caller commits),
 * else in a transaction of the store's own. When that transaction fails in a way that may have
 * happened after the server committed (the connection dropped while COMMIT's reply was on its way),
 * the record is read back on a fresh connection: this call's token there means its commit went through
 * and the committed session is returned; another token means another delivery applied it first.
 */
export async function updateOnce<THandle>(
  steps: IdempotencySteps<THandle>,
  write: IdempotentWrite,
): Promise<IdempotentWriteOutcome> {
  const commitToken = randomUUID();
  if (write.transaction !== undefined) {
    return writeOnce(steps, write, commitToken, steps.adoptTransaction(write.transaction));
  }
  try {
    return await steps.transaction((handle) => writeOnce(steps, write, commitToken, handle));
  } catch (error) {
    if (isVersionedSessionError(error)) throw error;
    const processed = await steps.find(write.idempotencyKey).catch(() => null);
    if (processed === null) throw error;
    if (processed.commitToken === commitToken && processed.session !== null) {
      return { status: 'done', value: processed.session };
    }
    return { status: 'duplicate', processed };
  }
}
