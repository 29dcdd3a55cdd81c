/**
 * `versioned-sessions/telegraf` through Telegraf's real `session()` middleware and `handleUpdate`, on
 * SQLite and PostgreSQL. Each bot gets its `botInfo` up front and makes no API call, so nothing
 * reaches Telegram. Two bot instances stand for two processes: Telegraf's `session()` shares one
 * session object between the concurrent updates of a key within one instance, not across instances.
 */
import { Telegraf, session, type Context, type SessionStore } from 'telegraf';
import type { Update, UserFromGetMe } from 'telegraf/types';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, isConcurrencyError, type SessionRepository } from '../../src/index.js';
import { VersionedSessionStore } from '../../src/telegraf/index.js';
import { CONCURRENT_UPDATES, describeOnDatabases, handlerPause, settle } from './replicas.js';

interface Counter {
  count: number;
  seen: number[];
}

interface CounterContext extends Context {
  session?: Counter;
}

const USER = 1001;
const CHAT = 2002;
const KEY = `${USER}:${CHAT}`;

function message(updateId: number): Update {
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: 1_700_000_000,
      chat: { id: CHAT, type: 'private', first_name: 'Ada' },
      from: { id: USER, is_bot: false, first_name: 'Ada' },
      text: `message ${updateId}`,
    },
  } as Update;
}

/**
 * Holds each instance's first handler until every instance has read its session (or a second has
 * passed): Telegraf reads once per instance for concurrent updates, and on a busy machine one
 * instance could otherwise read only after the other has written, and see no race at all.
 */
function barrier(parties: number): () => Promise<void> {
  let arrived = 0;
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
    setTimeout(resolve, 1000);
  });
  return () => {
    arrived += 1;
    if (arrived >= parties) open();
    return opened;
  };
}

function counterBot(store: SessionStore<Counter>, bothRead?: () => Promise<void>): Telegraf<CounterContext> {
  let first = true;
  const bot = new Telegraf<CounterContext>('0:offline');
  bot.botInfo = { id: 4242, is_bot: true, first_name: 'Counter', username: 'counter_bot' } as UserFromGetMe;
  // Telegraf's default error handler sets process.exitCode; the tests look at the errors instead.
  bot.catch((error) => {
    throw error;
  });
  bot.use(session({ store, defaultSession: () => ({ count: 0, seen: [] }) }));
  bot.on('message', async (ctx) => {
    const counter = ctx.session!;
    if (first && bothRead !== undefined) {
      first = false;
      await bothRead();
    }
    await handlerPause();
    counter.count += 1;
    counter.seen.push(ctx.update.update_id);
  });
  return bot;
}

/** The pattern of Telegraf's SQL stores: read the row, and on set upsert it, whatever was read. */
function blindStore(repository: SessionRepository): SessionStore<Counter> {
  return {
    get: async (key) => (await repository.getSession(key))?.data as Counter | undefined,
    set: async (key, value) => {
      await repository.getOrCreateSession(key);
      await repository.updateSession(key, { data: value as unknown as Record<string, unknown> });
    },
    delete: (key) => repository.deleteSession(key),
  };
}

async function burst(bots: Telegraf<CounterContext>[], firstId: number) {
  const results = await Promise.allSettled(
    Array.from({ length: CONCURRENT_UPDATES }, (_, index) =>
      bots[index % bots.length]!.handleUpdate(message(firstId + index)),
    ),
  );
  const committed = results.flatMap((result, index) => (result.status === 'fulfilled' ? [firstId + index] : []));
  return { ...settle(results), committed };
}

async function storedCounter(repository: SessionRepository): Promise<Counter> {
  return (await repository.getSession(KEY))?.data as unknown as Counter;
}

await describeOnDatabases('Telegraf', (replicas) => {
  describe("VersionedSessionStore under Telegraf's session()", () => {
    it('negative control: the blind upsert store loses updates when two instances handle one chat', async () => {
      const { repositories } = await replicas();
      const [first, second] = repositories(2);
      await counterBot(blindStore(first!)).handleUpdate(message(99));
      const bothRead = barrier(2);
      const bots = [counterBot(blindStore(first!), bothRead), counterBot(blindStore(second!), bothRead)];
      const { fulfilled } = await burst(bots, 100);
      const stored = await storedCounter(first!);
      console.warn(
        `[telegraf ${first!.store.dialect}] session() + blind upsert store, 2 instances: ${CONCURRENT_UPDATES} concurrent updates, ${fulfilled} "handled", count ${stored.count} (expected ${1 + CONCURRENT_UPDATES}): ${1 + CONCURRENT_UPDATES - stored.count} lost`,
      );
      expect(fulfilled).toBe(CONCURRENT_UPDATES);
      expect(stored.count).toBeLessThan(1 + CONCURRENT_UPDATES);
    });

    it('with the versioned store the same burst loses nothing: the losers fail with ConcurrencyError', async () => {
      const { repositories } = await replicas();
      const [first, second] = repositories(2);
      await counterBot(new VersionedSessionStore<Counter>({ repository: first! })).handleUpdate(message(199));
      const bothRead = barrier(2);
      const bots = [
        counterBot(new VersionedSessionStore<Counter>({ repository: first! }), bothRead),
        counterBot(new VersionedSessionStore<Counter>({ repository: second! }), bothRead),
      ];
      const { fulfilled, reasons, committed } = await burst(bots, 200);
      const stored = await storedCounter(first!);
      console.warn(
        `[telegraf ${first!.store.dialect}] session() + VersionedSessionStore, 2 instances: ${CONCURRENT_UPDATES} concurrent updates, ${fulfilled} committed, ${reasons.length} failed with ConcurrencyError, count ${stored.count}`,
      );
      expect(reasons.length).toBeGreaterThan(0);
      expect(reasons.every((reason) => isConcurrencyError(reason))).toBe(true);
      // Every update that completed is in the stored session, each once; within an instance Telegraf
      // shares one object between concurrent updates, so one write can carry several of them.
      expect(stored.seen.filter((id) => committed.includes(id)).sort()).toEqual([...committed].sort());
      expect(new Set(stored.seen).size).toBe(stored.seen.length);
      expect(stored.count).toBe(stored.seen.length);
    });

    it("within one instance, Telegraf's shared session object is written on by each update: all succeed, none lost", async () => {
      const { repositories } = await replicas();
      const [repository] = repositories(1);
      const bot = counterBot(new VersionedSessionStore<Counter>({ repository: repository! }));
      await bot.handleUpdate(message(299));
      const { fulfilled, reasons } = await burst([bot], 300);
      const stored = await storedCounter(repository!);
      expect(reasons).toEqual([]);
      expect(fulfilled).toBe(CONCURRENT_UPDATES);
      expect(stored.count).toBe(1 + CONCURRENT_UPDATES);
    });

    it("untracked: 'create-only' lets only one of two instances create a new chat's session", async () => {
      const { repositories } = await replicas();
      const [first, second] = repositories(2);
      const bots = [first, second].map((repository) =>
        counterBot(new VersionedSessionStore<Counter>({ repository: repository!, untracked: 'create-only' })),
      );
      const results = await Promise.allSettled([
        bots[0]!.handleUpdate(message(400)),
        bots[1]!.handleUpdate(message(401)),
      ]);
      const { fulfilled, reasons } = settle(results);
      expect(fulfilled).toBe(1);
      expect(reasons.every((reason) => isConcurrencyError(reason))).toBe(true);
      expect(await storedCounter(first!)).toMatchObject({ count: 1 });
    });

    it('deletes the session when ctx.session is set to null, and refuses non-object sessions', async () => {
      const { repositories } = await replicas();
      const [repository] = repositories(1);
      const store = new VersionedSessionStore<Counter>({ repository: repository! });
      const bot = new Telegraf<CounterContext>('0:offline');
      bot.botInfo = { id: 4242, is_bot: true, first_name: 'Counter', username: 'counter_bot' } as UserFromGetMe;
      bot.use(session({ store, defaultSession: () => ({ count: 0, seen: [] }) }));
      bot.on('message', (ctx) => {
        if (ctx.session!.count > 0) (ctx as { session?: Counter | undefined }).session = undefined;
        else ctx.session!.count += 1;
      });
      await bot.handleUpdate(message(500));
      expect((await storedCounter(repository!)).count).toBe(1);
      await bot.handleUpdate(message(501));
      expect(await repository!.getSession(KEY)).toBeNull();
      await expect(store.set(KEY, 'text' as never)).rejects.toBeInstanceOf(InvalidArgumentError);
      expect(() => new VersionedSessionStore({ repository: repository!, keyPrefix: 7 as never })).toThrow(/keyPrefix/);
    });
  });
});
