/**
 * The part every framework adapter shares: session data handed to a framework is remembered with the
 * version it was read at, and written back conditionally on that version. Frameworks pass the object
 * they read back to `write` (grammY, Telegraf and the Agents SDK all do), so the object itself carries
 * the version, without a field in the user's data and without a per-key guess that two concurrent
 * updates would share.
 *
 * Built on the library's public API only.
 *
 * @module
 */
import {
  ConcurrencyError,
  isVersionedSessionError,
  type Session,
  type SessionChanges,
  type SessionRepository,
} from '../index.js';
import { expectObject, expectOneOf, expectString, expectThat } from '../core/validate.js';

/**
 * What an adapter does with a value it did not hand out (a new session from a framework's `initial`, an
 * object assigned over the one read, an item written with the eTag `'*'`): `'overwrite'` writes it
 * regardless, as the framework's own stores do; `'create-only'` writes it only when the key has no
 * session yet, and refuses it with a {@link ConcurrencyError} otherwise.
 *
 * @example
 * ```ts
 * const untracked: UntrackedWrites = 'create-only'; // no write without a version, ever
 * ```
 */
export type UntrackedWrites = 'overwrite' | 'create-only';

const UNTRACKED_WRITES: readonly UntrackedWrites[] = ['overwrite', 'create-only'];

/** The repository type adapters accept: any `SessionRepository`, whatever its data type. */
export type AnyRepository = SessionRepository<Record<string, unknown>>;

interface TrackedVersion {
  readonly key: string;
  readonly version: number;
}

/**
 * The state of a row an adapter has inserted but not yet written (version 0): it reads as no session.
 * Adapters keep the state column otherwise `null`.
 */
const BEING_CREATED = 'versioned-sessions:being-created';

function isBeingCreated(session: Session<Record<string, unknown>>): boolean {
  return session.version === 0 && session.state === BEING_CREATED;
}

/**
 * Told by name, not `instanceof`: the repository may come from the other module format's copy of the
 * library than this adapter (one imported, one required).
 */
function isSessionNotFound(error: unknown): boolean {
  return isVersionedSessionError(error) && error.name === 'SessionNotFoundError';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Checks an adapter's `repository` option. */
export function validateRepository(repository: unknown): AnyRepository {
  expectThat(
    isObject(repository) && typeof repository['updateSession'] === 'function',
    'repository',
    'be a SessionRepository',
    repository,
    { hint: 'Pass e.g. new SessionRepository({ store }).' },
  );
  return repository as unknown as AnyRepository;
}

/** Checks an adapter's `untracked` option. */
export function validateUntracked(untracked: unknown, fallback: UntrackedWrites): UntrackedWrites {
  if (untracked === undefined) return fallback;
  expectOneOf('untracked', untracked, UNTRACKED_WRITES);
  return untracked;
}

/** Checks a key prefix: a string, possibly empty. */
export function validatePrefix(prefix: unknown): string {
  if (prefix === undefined) return '';
  expectString('keyPrefix', prefix, { allowEmpty: true });
  return prefix;
}

/** What every adapter's options resolve to. */
export interface AdapterSettings {
  readonly sessions: TrackedSessions;
  readonly keyPrefix: string;
  readonly untracked: UntrackedWrites;
}

/** Checks an adapter's options: `repository`, `keyPrefix`, `untracked`. */
export function adapterSettings(options: unknown): AdapterSettings {
  expectObject('options', options);
  const { repository, keyPrefix, untracked } = options as Record<string, unknown>;
  return {
    sessions: new TrackedSessions(validateRepository(repository)),
    keyPrefix: validatePrefix(keyPrefix),
    untracked: validateUntracked(untracked, 'overwrite'),
  };
}

/**
 * Reads and writes session data for a framework adapter, remembering which version each value handed
 * out was read at.
 */
export class TrackedSessions {
  private readonly versions = new WeakMap<object, TrackedVersion>();
  /** The write of each object in flight: a framework may write one object again before the last write ends. */
  private readonly writing = new WeakMap<object, Promise<unknown>>();

  constructor(readonly repository: AnyRepository) {}

  /**
   * Reads a session; its data object (and an enhanced session's inner `__d` object) is tracked. A row
   * another adapter is still creating reads as no session.
   */
  async read(key: string): Promise<Session<Record<string, unknown>> | null> {
    const session = await this.repository.getSessionWithVersion(key);
    if (session === null || isBeingCreated(session)) return null;
    this.track(key, session.data, session.version);
    return session;
  }

  /** Reads a session's data, or `undefined` when the key has none: a key-value store's `get`. */
  async readValue(key: string): Promise<unknown> {
    const session = await this.read(key);
    return session === null ? undefined : session.data;
  }

  /**
   * Writes a framework's session value: conditionally on the version it was read (or last written)
   * at when this adapter handed it out, otherwise as `untracked` says.
   */
  async writeValue(key: string, value: unknown, untracked: UntrackedWrites): Promise<void> {
    const data = sessionData(value, 'value');
    // Telegraf shares one session object between the concurrent updates of a key and each writes it
    // back: the writes of one object go one after another, each on the version the last one left.
    const previous = this.writing.get(data);
    const written = (async () => {
      await previous?.catch(() => undefined);
      const version = this.versionOf(key, data);
      await this.write(key, data, version ?? (untracked === 'overwrite' ? null : 'absent'));
    })();
    this.writing.set(data, written);
    try {
      await written;
    } finally {
      if (this.writing.get(data) === written) this.writing.delete(data);
    }
  }

  /**
   * Remembers `value` as read or written at `version`. grammY's `enhanceStorage` wraps the session in
   * `{ __d: data, … }` and rewraps it on every write, so the inner object is remembered too.
   */
  track(key: string, value: unknown, version: number): void {
    if (!isObject(value)) return;
    this.versions.set(value, { key, version });
    if (isObject(value['__d'])) this.versions.set(value['__d'], { key, version });
  }

  /** The version `value` (or its `__d`) was last read or written at under `key`, if this adapter knows it. */
  versionOf(key: string, value: unknown): number | undefined {
    if (!isObject(value)) return undefined;
    for (const candidate of [value, value['__d']]) {
      const tracked = isObject(candidate) ? this.versions.get(candidate) : undefined;
      if (tracked !== undefined && tracked.key === key) return tracked.version;
    }
    return undefined;
  }

  /**
   * Writes `data` under `key`: conditionally on `expectedVersion` when it is a number, only if the key
   * has no session when it is `'absent'`, regardless when it is `null`. `options.value` (the
   * framework's own object, when it differs from `data`) is tracked at the written version afterwards;
   * `options.idempotencyKey` is recorded with a conditional write.
   *
   * @throws ConcurrencyError when the stored version is not the expected one, or the session was
   *   deleted (actual version `null`), or an `'absent'` key has a session.
   */
  async write(
    key: string,
    data: Record<string, unknown>,
    expectedVersion: number | 'absent' | null,
    options: { readonly value?: unknown; readonly idempotencyKey?: string | undefined } = {},
  ): Promise<Session<Record<string, unknown>>> {
    const { idempotencyKey } = options;
    const written =
      expectedVersion === null
        ? await this.overwrite(key, data)
        : expectedVersion === 'absent'
          ? await this.create(key, data, idempotencyKey)
          : await this.update(key, { data }, expectedVersion, idempotencyKey);
    this.track(key, 'value' in options ? options.value : data, written.version);
    return written;
  }

  /**
   * Deletes a session: regardless of its version when `expectedVersion` is `null`, else conditionally
   * (a session already gone counts as deleted). `false` when there was none.
   */
  async delete(key: string, expectedVersion: number | null = null): Promise<boolean> {
    try {
      return await this.repository.deleteSession(key, { expectedVersion });
    } catch (error) {
      if (isSessionNotFound(error)) return false;
      throw error;
    }
  }

  /** A conditional update where a session deleted meanwhile is a conflict too: the version read is gone. */
  private async update(
    key: string,
    changes: SessionChanges<Record<string, unknown>>,
    expectedVersion: number,
    idempotencyKey?: string,
  ): Promise<Session<Record<string, unknown>>> {
    try {
      return await this.repository.updateSession(key, changes, {
        expectedVersion,
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      });
    } catch (error) {
      if (!isSessionNotFound(error)) throw error;
      throw new ConcurrencyError({
        key,
        maskedKey: this.repository.maskKey(key),
        expectedVersion,
        actualVersion: null,
        operation: 'updateSession',
        cause: error,
      });
    }
  }

  /**
   * Creates the session only if it is absent. A placeholder row (which reads as no session) is made
   * race-free first and then written conditionally on version 0, so of two concurrent creators exactly
   * one succeeds, and no reader ever sees the placeholder's empty data as a session.
   */
  private async create(
    key: string,
    data: Record<string, unknown>,
    idempotencyKey?: string,
  ): Promise<Session<Record<string, unknown>>> {
    await this.repository.getOrCreateSession(key, { state: BEING_CREATED, data: {} });
    return this.update(key, { state: null, data }, 0, idempotencyKey);
  }

  /** The framework stores' upsert: update when the session exists, create it otherwise. */
  private async overwrite(key: string, data: Record<string, unknown>): Promise<Session<Record<string, unknown>>> {
    // The state is cleared too, in case the row is a placeholder another adapter left behind.
    try {
      return await this.repository.updateSession(key, { state: null, data });
    } catch (error) {
      if (!isSessionNotFound(error)) throw error;
      await this.repository.getOrCreateSession(key, { state: BEING_CREATED, data: {} });
      return this.repository.updateSession(key, { state: null, data });
    }
  }
}

/** Checks that a framework handed over a plain object as session data. */
export function sessionData(value: unknown, argument: string): Record<string, unknown> {
  expectThat(isObject(value) && !Array.isArray(value), argument, 'be a plain JSON object', value, {
    hint: 'Wrap other values in an object.',
  });
  return value;
}
