/**
 * A grammY `StorageAdapter` on the library's versioned rows, for grammY's own `session()`,
 * `lazySession()` and `enhanceStorage()`.
 *
 * @module
 */
import { adapterSettings, type AdapterSettings, type UntrackedWrites } from '../frameworks/tracked-sessions.js';
import type { SessionRepository } from '../index.js';

/**
 * Options of {@link VersionedStorageAdapter}.
 *
 * @example
 * ```ts
 * const options: VersionedStorageAdapterOptions = { repository, keyPrefix: 'tg:', untracked: 'create-only' };
 * ```
 */
export interface VersionedStorageAdapterOptions {
  /** The repository whose store holds the sessions (one row per session key). */
  readonly repository: SessionRepository;
  /**
   * Put before every key, to keep the bot's sessions apart from others in the same table.
   * @defaultValue `''`
   */
  readonly keyPrefix?: string;
  /**
   * What a write of a value this adapter did not return from `read` does: a new chat's `initial`
   * value, or an object assigned over `ctx.session`. `'overwrite'`: written regardless, as grammY's
   * adapters do. `'create-only'`: written only when the chat has no session yet.
   * @defaultValue `'overwrite'`
   */
  readonly untracked?: UntrackedWrites;
}

/**
 * A grammY `StorageAdapter` whose writes are conditional: a session object returned by `read` is
 * written back only if its row still has the version it was read at, so of two updates that read the
 * same session the second to write fails with {@link versioned-sessions!ConcurrencyError | ConcurrencyError} (grammY reports it through
 * `bot.catch`) instead of silently replacing the first. It works under grammY's `session()`,
 * `lazySession()` and `enhanceStorage()` (migrations, `millisecondsToLive`), which all hand the object
 * they read back to `write`. Session values must be plain JSON objects.
 *
 * For a re-run on conflict and recognition of redelivered updates, use {@link versionedSession}.
 *
 * @typeParam T - the session's shape.
 * @example
 * ```ts
 * import { Bot, session } from 'grammy';
 * import { VersionedStorageAdapter } from 'versioned-sessions/grammy';
 *
 * bot.use(session({ initial: () => ({ count: 0 }), storage: new VersionedStorageAdapter({ repository }) }));
 * ```
 */
export class VersionedStorageAdapter<T extends object = Record<string, unknown>> {
  private readonly settings: AdapterSettings;

  /**
   * Checks the options; nothing is read or written until the first call.
   *
   * @throws InvalidArgumentError when `repository` is not a `SessionRepository` or an option is invalid.
   */
  constructor(options: VersionedStorageAdapterOptions) {
    this.settings = adapterSettings(options);
  }

  /**
   * Reads a session, or `undefined` when the key has none.
   *
   * @example
   * ```ts
   * const value = await adapter.read('424242');
   * ```
   */
  async read(key: string): Promise<T | undefined> {
    const { sessions, keyPrefix } = this.settings;
    return (await sessions.readValue(keyPrefix + key)) as T | undefined;
  }

  /**
   * Writes a session: conditionally on the version it was read at when `value` came from `read`,
   * otherwise as {@link VersionedStorageAdapterOptions.untracked} says.
   *
   * @throws ConcurrencyError when another update wrote (or deleted) the session since it was read.
   * @throws InvalidArgumentError when `value` is not a plain JSON object.
   * @example
   * ```ts
   * const value = (await adapter.read('424242')) ?? { count: 0 };
   * await adapter.write('424242', { ...value, count: value.count + 1 }); // a new object: written as `untracked` says
   * ```
   */
  async write(key: string, value: T): Promise<void> {
    const { sessions, keyPrefix, untracked } = this.settings;
    await sessions.writeValue(keyPrefix + key, value, untracked);
  }

  /**
   * Deletes a session, whatever its version; an unknown key is not an error.
   *
   * @example
   * ```ts
   * await adapter.delete('424242');
   * ```
   */
  async delete(key: string): Promise<void> {
    await this.settings.sessions.delete(this.settings.keyPrefix + key);
  }

  /**
   * Whether the key has a session.
   *
   * @example
   * ```ts
   * if (await adapter.has('424242')) console.log('known chat');
   * ```
   */
  async has(key: string): Promise<boolean> {
    const { sessions, keyPrefix } = this.settings;
    return (await sessions.readValue(keyPrefix + key)) !== undefined;
  }
}
