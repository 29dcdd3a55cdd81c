/**
 * `versioned-sessions/agents`: a `Storage` for the Microsoft 365 Agents SDK (`@microsoft/agents-hosting`)
 * that is also structurally a Bot Framework SDK (`botbuilder`) `Storage`, on any of the library's
 * stores. Each item is one session row: the item's fields are the session's data and its `eTag` is the
 * row's version. Neither SDK is imported: the storage is typed by the shape both SDKs call.
 *
 * @example
 * ```ts
 * import { AgentApplication } from '@microsoft/agents-hosting';
 * import { VersionedAgentStorage } from 'versioned-sessions/agents';
 *
 * const app = new AgentApplication({ storage: new VersionedAgentStorage({ repository }) });
 * ```
 * @module versioned-sessions/agents
 */
import type { SessionRepository } from '../index.js';
import { expectObject, expectThat } from '../core/validate.js';
import {
  adapterSettings,
  sessionData,
  type TrackedSessions,
  type UntrackedWrites,
} from '../frameworks/tracked-sessions.js';

export type { UntrackedWrites } from '../frameworks/tracked-sessions.js';

/**
 * An item as the Agents SDK and the Bot Framework SDK store it: any JSON fields, and an optional `eTag`.
 *
 * @example
 * ```ts
 * const item: AgentStoreItem = { count: 1, eTag: '*' };
 * ```
 */
export interface AgentStoreItem {
  /**
   * The version the item was read at, as a string (`'3'`); `'*'` or none writes regardless (unless
   * {@link VersionedAgentStorageOptions.untracked} is `'create-only'`).
   */
  eTag?: string;
  /** The item's data: JSON values only. */
  [field: string]: unknown;
}

/**
 * Items by key, as `read` returns them and `write` takes them.
 *
 * @example
 * ```ts
 * const changes: AgentStoreItems = { 'msteams/conversations/19:abc': { count: 2, eTag: '1' } };
 * ```
 */
export interface AgentStoreItems {
  /** The item stored under a key. */
  [key: string]: AgentStoreItem;
}

/**
 * Options of {@link VersionedAgentStorage}.
 *
 * @example
 * ```ts
 * const options: VersionedAgentStorageOptions = { repository, keyPrefix: 'agents:', untracked: 'create-only' };
 * ```
 */
export interface VersionedAgentStorageOptions {
  /** The repository whose store holds the items (one session row per key). */
  readonly repository: SessionRepository;
  /**
   * Put before every key, to keep the items apart from other sessions in the same table. Keys stay
   * within 255 characters with the prefix.
   * @defaultValue `''`
   */
  readonly keyPrefix?: string;
  /**
   * What a write with the eTag `'*'` or none does. `'overwrite'` (the SDKs' contract): writes
   * regardless. `'create-only'`: an item this storage returned from `read` is written conditionally on
   * the version it was read at whatever its eTag says, and any other item only when the key is new.
   * `ConversationState` and `UserState` always write `'*'`; only `'create-only'` protects them.
   * @defaultValue `'overwrite'`
   */
  readonly untracked?: UntrackedWrites;
}

/**
 * A `Storage` for the Microsoft 365 Agents SDK and the Bot Framework SDK with optimistic concurrency
 * on the library's versioned rows.
 *
 * - `read(keys)`: the items that exist, each with its `eTag` (the row's version as a string).
 * - `write(changes)`: an item with a numeric eTag is one conditional update; a stale eTag (or a row
 *   deleted since) throws {@link versioned-sessions!ConcurrencyError | ConcurrencyError} and writes nothing for that key. `'*'` or no eTag
 *   writes regardless (see {@link VersionedAgentStorageOptions.untracked}).
 * - `delete(keys)`: deletes regardless; an unknown key is not an error.
 *
 * A batch is applied key by key in the order given and is not atomic: when one key fails, the keys
 * before it stay written and the keys after it are not attempted. `AgentApplication` writes one key
 * per scope, so a turn's conversation and user state are two statements.
 *
 * @example
 * ```ts
 * import { AgentApplication } from '@microsoft/agents-hosting';
 * import { SessionRepository } from 'versioned-sessions';
 * import { PostgresSessionStore } from 'versioned-sessions/postgres';
 * import { VersionedAgentStorage } from 'versioned-sessions/agents';
 *
 * const repository = new SessionRepository({ store: new PostgresSessionStore({ pool }) });
 * const app = new AgentApplication({ storage: new VersionedAgentStorage({ repository }) });
 * ```
 */
export class VersionedAgentStorage {
  private readonly sessions: TrackedSessions;
  private readonly keyPrefix: string;
  private readonly untracked: UntrackedWrites;

  /**
   * Checks the options; nothing is read or written until the first call.
   *
   * @throws InvalidArgumentError when `repository` is not a `SessionRepository` or an option is invalid.
   */
  constructor(options: VersionedAgentStorageOptions) {
    ({ sessions: this.sessions, keyPrefix: this.keyPrefix, untracked: this.untracked } = adapterSettings(options));
  }

  /**
   * Reads the items under `keys`; keys without an item are left out of the result.
   *
   * @throws InvalidArgumentError when `keys` is empty or a key is not a valid session key.
   * @example
   * ```ts
   * const items = await storage.read(['msteams/conversations/19:abc']);
   * console.log(items['msteams/conversations/19:abc']?.eTag); // '3'
   * ```
   */
  async read(keys: string[]): Promise<AgentStoreItems> {
    expectThat(Array.isArray(keys) && keys.length > 0, 'keys', 'be a non-empty array of keys to read', keys);
    const items: AgentStoreItems = {};
    const sessions = await Promise.all(keys.map((key) => this.sessions.read(this.keyPrefix + key)));
    sessions.forEach((session, index) => {
      if (session === null) return;
      const item: AgentStoreItem = { ...session.data, eTag: String(session.version) };
      this.sessions.track(session.key, item, session.version);
      items[keys[index]!] = item;
    });
    return items;
  }

  /**
   * Writes the items in `changes`, key by key in order (see the class notes on batches).
   *
   * @throws ConcurrencyError when an item's eTag is stale or its row was deleted since it was read.
   * @throws InvalidArgumentError when `changes` is empty, an item is not an object, an eTag is neither
   *   `'*'` nor a version this storage issued, or a field is not JSON.
   * @example
   * ```ts
   * const { conversation } = await storage.read(['conversation']);
   * await storage.write({ conversation: { ...conversation, count: Number(conversation?.count ?? 0) + 1 } });
   * ```
   */
  async write(changes: AgentStoreItems): Promise<void> {
    expectObject('changes', changes);
    expectThat(Object.keys(changes).length > 0, 'changes', 'hold at least one item to write', changes);
    for (const [key, item] of Object.entries(changes)) {
      const storedKey = this.keyPrefix + key;
      const { eTag, ...data } = sessionData(item, `changes[${JSON.stringify(key)}]`);
      await this.sessions.write(storedKey, data, this.expectedVersion(storedKey, item, eTag), { value: item });
    }
  }

  /**
   * Deletes the items under `keys`, whatever their versions; unknown keys are ignored.
   *
   * @example
   * ```ts
   * await storage.delete(['msteams/conversations/19:abc']);
   * ```
   */
  async delete(keys: string[]): Promise<void> {
    expectThat(Array.isArray(keys), 'keys', 'be an array of keys to delete', keys);
    for (const key of keys) await this.sessions.delete(this.keyPrefix + key);
  }

  private expectedVersion(storedKey: string, item: object, eTag: unknown): number | 'absent' | null {
    if (eTag !== undefined && eTag !== null && eTag !== '*') {
      expectThat(
        typeof eTag === 'string' && /^(0|[1-9]\d{0,9})$/.test(eTag),
        'eTag',
        "be '*' or a version this storage returned from read (a decimal integer as a string)",
        eTag,
        { hint: 'Drop eTags that another storage issued.' },
      );
      return Number(eTag);
    }
    if (this.untracked === 'overwrite') return null;
    return this.sessions.versionOf(storedKey, item) ?? 'absent';
  }
}
