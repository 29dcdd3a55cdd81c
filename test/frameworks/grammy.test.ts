/**
 * `versioned-sessions/grammy` through grammY's real `Bot.handleUpdate`, `session()`, `lazySession()`
 * and `enhanceStorage()`, on SQLite and PostgreSQL. The bots get their `botInfo` up front and an API
 * transformer that records calls, so nothing reaches Telegram.
 */
import {
  Bot,
  BotError,
  Composer,
  enhanceStorage,
  lazySession,
  session,
  type Context,
  type LazySessionFlavor,
  type SessionFlavor,
  type StorageAdapter,
} from 'grammy';
import type { Update, UserFromGetMe } from 'grammy/types';
import { describe, expect, it } from 'vitest';
import { versionedSession, VersionedStorageAdapter, type VersionedSessionFlavor } from '../../src/grammy/index.js';
import { InvalidArgumentError, isConcurrencyError, type SessionRepository } from '../../src/index.js';
import { CONCURRENT_UPDATES, describeOnDatabases, handlerPause, settle } from './replicas.js';

interface Counter {
  count: number;
  seen: number[];
}

const botInfo = {
  id: 4242,
  is_bot: true,
  first_name: 'Counter',
  username: 'counter_bot',
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
} as UserFromGetMe;

const CHAT = 1001;

function message(updateId: number, chatId = CHAT): Update {
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: 1_700_000_000,
      chat: { id: chatId, type: 'private', first_name: 'Ada' },
      from: { id: chatId, is_bot: false, first_name: 'Ada' },
      text: `message ${updateId}`,
    },
  } as Update;
}

/** A bot that never reaches Telegram: every API call is recorded and answered. */
function offlineBot<C extends Context>(sent: string[]): Bot<C> {
  const bot = new Bot<C>('0:offline', { botInfo });
  bot.api.config.use((_previous, method, payload) => {
    sent.push(`${method}:${String((payload as { text?: unknown }).text)}`);
    return Promise.resolve({
      ok: true,
      result: { message_id: sent.length, date: 0, chat: { id: CHAT, type: 'private' } },
    } as never);
  });
  return bot;
}

/** The pattern of grammY's SQL storage adapters: read the row, and on write upsert it, whatever was read. */
function blindAdapter(repository: SessionRepository): StorageAdapter<Counter> {
  return {
    read: async (key) => (await repository.getSession(key))?.data as Counter | undefined,
    write: async (key, value) => {
      await repository.getOrCreateSession(key);
      await repository.updateSession(key, { data: value as unknown as Record<string, unknown> });
    },
    delete: async (key) => void (await repository.deleteSession(key)),
  };
}

/** Sends `count` updates for one chat at once, alternately to each bot (each a separate instance). */
async function burst(
  bots: { handleUpdate(update: Update): Promise<void> }[],
  firstId: number,
  count = CONCURRENT_UPDATES,
) {
  const results = await Promise.allSettled(
    Array.from({ length: count }, (_, index) => bots[index % bots.length]!.handleUpdate(message(firstId + index))),
  );
  const { fulfilled, reasons } = settle(results);
  return { fulfilled, errors: reasons.map((reason) => (reason instanceof BotError ? reason.error : reason)) };
}

async function storedCounter(repository: SessionRepository, key = String(CHAT)): Promise<Counter | undefined> {
  return (await repository.getSession(key))?.data as Counter | undefined;
}

await describeOnDatabases('grammY', (replicas) => {
  describe('versionedSession()', () => {
    type MyContext = Context & VersionedSessionFlavor<Counter>;

    function counterBot(repository: SessionRepository, sent: string[], retryOnConflict: boolean): Bot<MyContext> {
      const bot = offlineBot<MyContext>(sent);
      const handlers = new Composer<MyContext>();
      bot.use(
        versionedSession<Counter, MyContext>(
          {
            repository,
            initial: () => ({ count: 0, seen: [] }),
            retryOnConflict: retryOnConflict && { maxAttempts: 100, baseDelayMs: 5, maxDelayMs: 200 },
          },
          handlers,
        ),
      );
      handlers.on('message', async (ctx) => {
        const counter = ctx.session;
        await handlerPause();
        counter.count += 1;
        counter.seen.push(ctx.update.update_id);
        ctx.afterSessionWrite(() => ctx.reply(`count ${counter.count}`));
      });
      return bot;
    }

    it(`${CONCURRENT_UPDATES} concurrent updates on two bot instances, re-run on conflict: every update counted once, one reply each`, async () => {
      const { repositories } = await replicas();
      const sent: string[] = [];
      const [first, second] = repositories(2);
      const bots = [counterBot(first!, sent, true), counterBot(second!, sent, true)];
      const { fulfilled, errors } = await burst(bots, 100);
      const stored = await storedCounter(first!);
      console.warn(
        `[grammy ${first!.store.dialect}] versionedSession + retryOnConflict: ${CONCURRENT_UPDATES} concurrent updates, ${fulfilled} handled, count ${stored?.count} (expected ${CONCURRENT_UPDATES})`,
      );
      expect(errors.map((error) => `${(error as Error).name}: ${(error as Error).message}`)).toEqual([]);
      expect(stored?.count).toBe(CONCURRENT_UPDATES);
      expect([...stored!.seen].sort((a, b) => a - b)).toEqual(
        Array.from({ length: CONCURRENT_UPDATES }, (_, index) => 100 + index),
      );
      // Replies are sent after the write, by the run that committed: never twice, never for a lost run.
      expect(sent.filter((call) => call.startsWith('sendMessage:')).sort()).toEqual(
        Array.from({ length: CONCURRENT_UPDATES }, (_, index) => `sendMessage:count ${index + 1}`).sort(),
      );
    });

    it('without retryOnConflict the losers fail visibly with ConcurrencyError and every committed update is kept', async () => {
      const { repositories } = await replicas();
      const sent: string[] = [];
      const [first, second] = repositories(2);
      const bots = [counterBot(first!, sent, false), counterBot(second!, sent, false)];
      await bots[0]!.handleUpdate(message(199));
      const { fulfilled, errors } = await burst(bots, 200);
      const stored = await storedCounter(first!);
      console.warn(
        `[grammy ${first!.store.dialect}] versionedSession, no re-run: ${CONCURRENT_UPDATES} concurrent updates, ${fulfilled} committed, ${errors.length} failed with ConcurrencyError, count ${stored?.count} (expected ${1 + fulfilled})`,
      );
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.every((error) => isConcurrencyError(error))).toBe(true);
      expect(stored?.count).toBe(1 + fulfilled);
      expect(sent.filter((call) => call.startsWith('sendMessage:'))).toHaveLength(1 + fulfilled);
    });

    it('recognises a redelivered update by its update_id and does not run it again', async () => {
      const { repositories } = await replicas();
      const sent: string[] = [];
      const [repository] = repositories(1);
      const bot = counterBot(repository!, sent, true);
      await bot.handleUpdate(message(300));
      await bot.handleUpdate(message(300));
      await Promise.all([bot.handleUpdate(message(301)), bot.handleUpdate(message(301))]);
      const stored = await storedCounter(repository!);
      expect(stored).toEqual({ count: 2, seen: [300, 301] });
      expect(sent).toEqual(['sendMessage:count 1', 'sendMessage:count 2']);
      expect(await repository!.isProcessed(`grammy:${botInfo.id}:300`)).toBe(true);
    });

    it('writes nothing for an update that changed nothing, and deletes the session when it is set to null', async () => {
      const { repositories } = await replicas();
      const [repository] = repositories(1);
      const bot = offlineBot<MyContext>([]);
      bot.use(
        versionedSession<Counter, MyContext>({ repository: repository!, initial: () => ({ count: 0, seen: [] }) }),
      );
      bot.command('reset', (ctx: MyContext) => {
        ctx.session = null;
      });
      bot.on('message', (ctx) => {
        if (ctx.message.text === 'count') ctx.session.count += 1;
      });
      await bot.handleUpdate({ ...message(400), message: { ...message(400).message!, text: 'count' } } as Update);
      await bot.handleUpdate(message(401));
      expect(await repository!.getSession(String(CHAT))).toMatchObject({ version: 1, data: { count: 1 } });
      await bot.handleUpdate({
        ...message(402),
        message: {
          ...message(402).message!,
          text: '/reset',
          entities: [{ type: 'bot_command', offset: 0, length: 6 }],
        },
      } as Update);
      expect(await repository!.getSession(String(CHAT))).toBeNull();
    });

    it('with handlers given, an update none of them handles goes on to the rest of the bot after the write', async () => {
      const { repositories } = await replicas();
      const [repository] = repositories(1);
      const bot = offlineBot<MyContext>([]);
      const handlers = new Composer<MyContext>();
      const order: string[] = [];
      handlers.use(async (ctx, next) => {
        ctx.session.count += 10;
        order.push('handlers passed the update on');
        await next();
      });
      bot.use(
        versionedSession<Counter, MyContext>(
          { repository: repository!, initial: () => ({ count: 0, seen: [] }) },
          handlers,
        ),
      );
      bot.use(async () => {
        order.push(`the rest of the bot ran at version ${(await repository!.getSession(String(CHAT)))?.version}`);
      });
      await bot.handleUpdate(message(450));
      expect(order).toEqual(['handlers passed the update on', 'the rest of the bot ran at version 1']);
      expect(await storedCounter(repository!)).toEqual({ count: 10, seen: [] });
    });

    it('refuses bad options with InvalidArgumentError', async () => {
      const { repositories } = await replicas();
      const [repository] = repositories(1);
      expect(() => versionedSession({ repository: {} as never })).toThrow(InvalidArgumentError);
      expect(() => versionedSession({ repository: repository!, initial: 'x' as never })).toThrow(/initial/);
      expect(() => versionedSession({ repository: repository!, retryOnConflict: 3 as never }, () => undefined)).toThrow(
        /retryOnConflict/,
      );
      expect(() => versionedSession({ repository: repository!, retryOnConflict: true })).toThrow(/second argument/);
      expect(() => versionedSession({ repository: repository! }, {} as never)).toThrow(/handlers/);
      expect(() => versionedSession({ repository: repository!, recognizeRedelivery: 'yes' as never })).toThrow(
        /recognizeRedelivery/,
      );
    });
  });

  describe("VersionedStorageAdapter under grammY's own session plugins", () => {
    type PlainContext = Context & SessionFlavor<Counter>;

    function pluginBot(storage: StorageAdapter<Counter>): Bot<PlainContext> {
      const bot = offlineBot<PlainContext>([]);
      bot.use(session({ initial: () => ({ count: 0, seen: [] }), storage }));
      bot.on('message', async (ctx) => {
        const counter = ctx.session;
        await handlerPause();
        counter.count += 1;
        counter.seen.push(ctx.update.update_id);
      });
      return bot;
    }

    it("negative control: grammY's blind adapter pattern loses updates under concurrent updates", async () => {
      const { repositories } = await replicas();
      const [first, second] = repositories(2);
      const bots = [pluginBot(blindAdapter(first!)), pluginBot(blindAdapter(second!))];
      await bots[0]!.handleUpdate(message(499));
      const { fulfilled } = await burst(bots, 500);
      const stored = await storedCounter(first!);
      console.warn(
        `[grammy ${first!.store.dialect}] session() + blind upsert adapter: ${CONCURRENT_UPDATES} concurrent updates, ${fulfilled} "handled", count ${stored?.count} (expected ${1 + CONCURRENT_UPDATES}): ${1 + CONCURRENT_UPDATES - stored!.count} lost`,
      );
      expect(fulfilled).toBe(CONCURRENT_UPDATES);
      expect(stored!.count).toBeLessThan(1 + CONCURRENT_UPDATES);
    });

    it('with the versioned adapter the same burst loses nothing: the losers fail with ConcurrencyError', async () => {
      const { repositories } = await replicas();
      const [first, second] = repositories(2);
      const bots = [
        pluginBot(new VersionedStorageAdapter<Counter>({ repository: first! })),
        pluginBot(new VersionedStorageAdapter<Counter>({ repository: second! })),
      ];
      await bots[0]!.handleUpdate(message(599));
      const { fulfilled, errors } = await burst(bots, 600);
      const stored = await storedCounter(first!);
      console.warn(
        `[grammy ${first!.store.dialect}] session() + VersionedStorageAdapter: ${CONCURRENT_UPDATES} concurrent updates, ${fulfilled} committed, ${errors.length} failed with ConcurrencyError, count ${stored?.count} (expected ${1 + fulfilled})`,
      );
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.every((error) => isConcurrencyError(error))).toBe(true);
      expect(stored!.count).toBe(1 + fulfilled);
      expect(stored!.seen).toHaveLength(1 + fulfilled);
    });

    it('under lazySession() the conflict is caught the same way', async () => {
      const { repositories } = await replicas();
      type LazyContext = Context & LazySessionFlavor<Counter>;
      const bots = repositories(2).map((repository) => {
        const bot = offlineBot<LazyContext>([]);
        bot.use(
          lazySession({
            initial: () => ({ count: 0, seen: [] }),
            storage: new VersionedStorageAdapter<Counter>({ repository }),
          }),
        );
        bot.on('message', async (ctx) => {
          const counter = await ctx.session;
          await handlerPause();
          counter.count += 1;
        });
        return bot;
      });
      await bots[0]!.handleUpdate(message(699));
      const { fulfilled, errors } = await burst(bots, 700);
      const [repository] = repositories(1);
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.every((error) => isConcurrencyError(error))).toBe(true);
      expect((await storedCounter(repository!))!.count).toBe(1 + fulfilled);
    });

    it('under enhanceStorage() with millisecondsToLive: conditional writes through the wrapper, and expiry deletes the row', async () => {
      const { repositories } = await replicas();
      const [first, second] = repositories(2);
      const enhanced = (repository: SessionRepository, millisecondsToLive: number) =>
        enhanceStorage<Counter>({ storage: new VersionedStorageAdapter({ repository }) as never, millisecondsToLive });
      const bots = [pluginBot(enhanced(first!, 60_000)), pluginBot(enhanced(second!, 60_000))];
      await bots[0]!.handleUpdate(message(799));
      const { fulfilled, errors } = await burst(bots, 800);
      const stored = (await first!.getSession(String(CHAT)))?.data as { __d: Counter; e: number };
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.every((error) => isConcurrencyError(error))).toBe(true);
      expect(stored.__d.count).toBe(1 + fulfilled);
      expect(stored.e).toBeGreaterThan(Date.now());

      const shortLived = pluginBot(enhanced(first!, 30));
      await shortLived.handleUpdate(message(900, 2002));
      expect(((await first!.getSession('2002'))?.data as { __d: Counter }).__d.count).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 80));
      const storage = enhanced(first!, 30);
      expect(await storage.read('2002')).toBeUndefined();
      expect(await first!.getSession('2002')).toBeNull();
    });

    it('a row another update is still creating reads as no session, and the creation completes over it', async () => {
      const { repositories } = await replicas();
      const [repository] = repositories(1);
      // What a creating write leaves between its two statements (or after a crash between them).
      await repository!.getOrCreateSession('424242', { state: 'versioned-sessions:being-created', data: {} });
      const adapter = new VersionedStorageAdapter<Counter>({ repository: repository!, untracked: 'create-only' });
      expect(await adapter.read('424242')).toBeUndefined();
      expect(await adapter.has('424242')).toBe(false);
      await adapter.write('424242', { count: 1, seen: [1] });
      expect(await repository!.getSession('424242')).toMatchObject({
        state: null,
        version: 1,
        data: { count: 1, seen: [1] },
      });
    });

    it('refuses a session that is not a plain JSON object', async () => {
      const { repositories } = await replicas();
      const [repository] = repositories(1);
      const adapter = new VersionedStorageAdapter<never>({ repository: repository! });
      await expect(adapter.write('k', 42 as never)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(adapter.write('k', [1, 2] as never)).rejects.toBeInstanceOf(InvalidArgumentError);
      expect(await adapter.has('k')).toBe(false);
    });
  });
});
