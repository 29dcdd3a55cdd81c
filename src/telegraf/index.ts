/**
 * `versioned-sessions/telegraf`: a Telegraf `SessionStore` with optimistic locking, on any of the
 * library's stores, for Telegraf's own `session()` middleware. Telegraf itself is not imported.
 *
 * @example
 * ```ts
 * import { session } from 'telegraf';
 * import { VersionedSessionStore } from 'versioned-sessions/telegraf';
 *
 * bot.use(session({ store: new VersionedSessionStore({ repository }), defaultSession: () => ({ count: 0 }) }));
 * ```
 * @module versioned-sessions/telegraf
 */
import { adapterSettings, type AdapterSettings, type UntrackedWrites } from '../frameworks/tracked-sessions.js';
import type { SessionRepository } from '../index.js';

export type { UntrackedWrites } from '../frameworks/tracked-sessions.js';

/**
 * Options of {@link VersionedSessionStore}.
 *
 * @example
 * ```ts
 * const options: VersionedSessionStoreOptions = { repository, keyPrefix: 'telegraf:', untracked: 'create-only' };
 * ```
 */
export interface VersionedSessionStoreOptions {
  /** The repository whose store holds the sessions (one row per session key). */
  readonly repository: SessionRepository;
  /**
   * Put before every key, to keep the bot's sessions apart from others in the same table.
   * @defaultValue `''`
   */
  readonly keyPrefix?: string;
  /**
   * What a write of a value this store did not return from `get` does: a new chat's
   * `defaultSession`, or an object assigned over `ctx.session`. `'overwrite'`: written regardless, as
   * Telegraf's stores do. `'create-only'`: written only when the key has no session yet.
   * @defaultValue `'overwrite'`
   */
  readonly untracked?: UntrackedWrites;
}

/**
 * A Telegraf `SessionStore` (`get`, `set`, `delete`) whose writes are conditional: a session object
 * returned by `get` is written back only if its row still has the version it was read at. Telegraf's
 * `session()` shares one object between the concurrent updates of a key within a process and writes
 * it back after each; this store moves the object's version on with every write, so those writes
 * succeed, while an update in another process that read the same version fails with
 * {@link versioned-sessions!ConcurrencyError | ConcurrencyError} (reported through `bot.catch`) instead of silently replacing the first.
 * Session values must be plain JSON objects.
 *
 * @typeParam T - the session's shape.
 * @example
 * ```ts
 * import { Telegraf, session } from 'telegraf';
 * import { VersionedSessionStore } from 'versioned-sessions/telegraf';
 *
 * const bot = new Telegraf<MyContext>(token);
 * bot.use(session({ store: new VersionedSessionStore<{ count: number }>({ repository }), defaultSession: () => ({ count: 0 }) }));
 * ```
 */
export class VersionedSessionStore<T extends object = Record<string, unknown>> {
  private readonly settings: AdapterSettings;

  /**
   * Checks the options; nothing is read or written until the first call.
   *
   * @throws InvalidArgumentError when `repository` is not a `SessionRepository` or an option is invalid.
   */
  constructor(options: VersionedSessionStoreOptions) {
    this.settings = adapterSettings(options);
  }

  /**
   * Reads a session, or `undefined` when the key has none.
   *
   * @example
   * ```ts
   * const value = await store.get('1001:2002');
   * ```
   */
  async get(name: string): Promise<T | undefined> {
    const { sessions, keyPrefix } = this.settings;
    return (await sessions.readValue(keyPrefix + name)) as T | undefined;
  }

  /**
   * Writes a session: conditionally on the version it was read (or last written) at when `value`
   * came from `get`, otherwise as {@link VersionedSessionStoreOptions.untracked} says.
   *
   * @throws ConcurrencyError when another process wrote (or deleted) the session since it was read.
   * @throws InvalidArgumentError when `value` is not a plain JSON object.
   * @example
   * ```ts
   * const value = (await store.get('1001:2002')) ?? { count: 0 };
   * value.count += 1;
   * await store.set('1001:2002', value);
   * ```
   */
  async set(name: string, value: T): Promise<void> {
    const { sessions, keyPrefix, untracked } = this.settings;
    await sessions.writeValue(keyPrefix + name, value, untracked);
  }

  /**
   * Deletes a session, whatever its version; an unknown key is not an error.
   *
   * @example
   * ```ts
   * await store.delete('1001:2002');
   * ```
   */
  async delete(name: string): Promise<void> {
    await this.settings.sessions.delete(this.settings.keyPrefix + name);
  }
}
