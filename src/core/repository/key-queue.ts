/**
 * The opt-in per-key queue behind `new SessionRepository({ store, perKeyQueue: true })`: operations
 * that `withSessionRetry` runs on one key inside one process run one after another, so they never
 * conflict with each other; only writers in other processes can. While a key's queue has work, the
 * session this process last wrote for it serves the next operation's read, so an operation that no
 * other process interferes with costs one round trip (the conditional update) instead of two.
 *
 * The cache is only a guess at the current version: the update's version predicate still decides.
 * When another process wrote in between, the update is refused, the guess is dropped and the session
 * is read again. Memory is bounded by the keys with work in flight: an entry goes when its queue
 * drains, and its cached session goes on any error.
 *
 * @module
 */
import type { Session } from '../session.js';
import { ConnectionQueue } from '../sql/transaction.js';

interface KeyEntry {
  /** The key's operations, one after another. */
  readonly queue: ConnectionQueue;
  /** Operations queued or running for the key. */
  pending: number;
  /** The session this process last wrote for the key, while operations are queued. */
  session: CachedSession | undefined;
}

/**
 * A session kept apart from every object a caller holds: its data as JSON text (session data is JSON
 * by contract), so a handler that changes its argument in place cannot change the cache, and a copy
 * costs one parse (several times cheaper than structuredClone for the small objects sessions hold).
 */
interface CachedSession {
  readonly key: string;
  readonly state: string | null;
  readonly dataJson: string;
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/**
 * Runs operations on the same key one at a time and remembers the session each one wrote for the
 * next. Obtained through {@link keyQueueOf}; users turn it on with the repository's `perKeyQueue`.
 *
 * @internal
 */
export class KeyQueue {
  private readonly entries = new Map<string, KeyEntry>();

  /**
   * Runs `task` after every task queued before it for `key` has settled. An error drops the key's
   * cached session before it is rethrown.
   *
   * @internal
   */
  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = { queue: new ConnectionQueue(), pending: 0, session: undefined };
      this.entries.set(key, entry);
    }
    entry.pending++;
    try {
      return await entry.queue.run(task);
    } catch (error) {
      entry.session = undefined;
      throw error;
    } finally {
      entry.pending--;
      if (entry.pending === 0 && this.entries.get(key) === entry) this.entries.delete(key);
    }
  }

  /**
   * A copy of the session this process last wrote for `key`, while the key has queued work; else
   * `undefined`. A copy, so a handler that changes its argument in place cannot change the cache.
   *
   * @internal
   */
  cached<TData>(key: string): Session<TData> | undefined {
    const cached = this.entries.get(key)?.session;
    if (cached === undefined) return undefined;
    return {
      key: cached.key,
      state: cached.state,
      data: JSON.parse(cached.dataJson) as TData,
      version: cached.version,
      createdAt: new Date(cached.createdAt),
      updatedAt: new Date(cached.updatedAt),
    };
  }

  /**
   * Records a session this process has just written, when its key has queued work (otherwise there
   * is no next operation to serve, and nothing is kept). An older version never replaces a newer one.
   *
   * @internal
   */
  remember(key: string, session: Session<unknown>): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    if (entry.session !== undefined && entry.session.version >= session.version) return;
    entry.session = {
      key: session.key,
      state: session.state,
      dataJson: JSON.stringify(session.data),
      version: session.version,
      createdAt: session.createdAt.getTime(),
      updatedAt: session.updatedAt.getTime(),
    };
  }

  /**
   * Drops the cached session of `key`, so the next operation reads from the database.
   *
   * @internal
   */
  forget(key: string): void {
    const entry = this.entries.get(key);
    if (entry !== undefined) entry.session = undefined;
  }

  /**
   * How many keys have work queued or running: the entries the queue holds in memory.
   *
   * @internal
   */
  get activeKeys(): number {
    return this.entries.size;
  }
}

const queues = new WeakMap<object, KeyQueue>();

/**
 * Gives `owner` (a repository) a per-key queue.
 *
 * @internal
 */
export function attachKeyQueue(owner: object): KeyQueue {
  const queue = new KeyQueue();
  queues.set(owner, queue);
  return queue;
}

/**
 * The per-key queue of a repository created with `perKeyQueue: true`, else `undefined`.
 *
 * @internal
 */
export function keyQueueOf(owner: object): KeyQueue | undefined {
  return queues.get(owner);
}
