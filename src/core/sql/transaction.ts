/**
 * The pieces every SQL driver uses to run the store's own transactions: begin/commit/rollback around
 * the work, and a queue for a single shared connection, on which an operation that is not part of a
 * transaction must never run while one is open; and the check of a caller's transaction.
 *
 * @module
 */
import { expectThat } from '../validate.js';

/**
 * A caller's transaction (`options.transaction`) as the driver's handle when `isUsable` accepts it;
 * otherwise an `InvalidArgumentError` on `options.transaction` that says what to pass (`expectation`,
 * a verb phrase: "be the pg client on which you ran BEGIN") and why (`hint`, a sentence).
 */
export function adoptedTransaction<THandle>(
  transaction: unknown,
  isUsable: (value: unknown) => value is THandle,
  expectation: string,
  hint: string,
): THandle {
  expectThat(isUsable(transaction), 'options.transaction', expectation, transaction, { hint });
  return transaction;
}

/** The dialect's statements that open and close a transaction on one connection. */
export interface TransactionStatements<TStatement> {
  begin(): TStatement;
  commit(): TStatement;
  rollback(): TStatement;
}

/** How a transaction is opened and closed: statements on one connection, or a driver's own object. */
export interface TransactionControl {
  begin(): Promise<unknown>;
  commit(): Promise<unknown>;
  rollback(): Promise<unknown>;
}

/** The control that sends the dialect's transaction statements through `execute`. */
export function statementControl<TStatement>(
  execute: (statement: TStatement) => Promise<unknown>,
  statements: TransactionStatements<TStatement>,
): TransactionControl {
  return {
    begin: () => execute(statements.begin()),
    commit: () => execute(statements.commit()),
    rollback: () => execute(statements.rollback()),
  };
}

/**
 * Runs `work` between begin and commit. On any failure, the commit's included, it rolls back and
 * rethrows the original error: the rollback's own error (a dead connection cannot roll back, and the
 * server rolls back on disconnect anyway) would hide what went wrong.
 */
export async function runTransaction<T>(control: TransactionControl, work: () => Promise<T>): Promise<T> {
  await control.begin();
  try {
    const result = await work();
    await control.commit();
    return result;
  } catch (error) {
    await control.rollback().catch(() => undefined);
    throw error;
  }
}

/**
 * Runs async operations one after another, each once every one queued before it has settled (a
 * failure does not stop the queue). A single connection (a better-sqlite3 database, a `pg.Client`)
 * has one transaction state: without the queue, a statement of a second operation issued between two
 * awaits of an open transaction would become part of it, and commit or roll back with it. The per-key
 * queue and the SQLite migration runner order their work with it too.
 */
export class ConnectionQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private readonly settled = (): void => {
    this.pending--;
  };

  /**
   * Whether nothing is queued or running: work that completes synchronously (a better-sqlite3
   * statement outside a transaction) may then run at once, as it would have run next.
   */
  get idle(): boolean {
    return this.pending === 0;
  }

  /** Runs `work` once every operation queued before it has settled. */
  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work);
    this.pending++;
    this.tail = result.then(this.settled, this.settled);
    return result;
  }
}

/**
 * Runs `start` once for every caller that arrives while it is pending (a pool's connect(), a driver's
 * import); a failed attempt is forgotten, so the next call starts again.
 */
export function sharedAttempt<T>(start: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () =>
    (pending ??= start().catch((error: unknown) => {
      pending = undefined;
      throw error;
    }));
}
