// Samples of docs/grammy.md: VersionedStorageAdapter under grammY's own session plugins. Type-checked
// with the project; exercised by test/frameworks/grammy.test.ts.
import Database from 'better-sqlite3';
import { Bot, enhanceStorage, lazySession, session, type Context, type LazySessionFlavor, type SessionFlavor } from 'grammy';
import { SessionRepository } from 'versioned-sessions';
import { VersionedStorageAdapter } from 'versioned-sessions/grammy';
import { SqliteSessionStore } from 'versioned-sessions/sqlite';

const repository = new SessionRepository({ store: new SqliteSessionStore({ database: new Database('bot.db') }) });

interface Counter {
  count: number;
}

// grammY's session(): a write whose session changed since it was read fails with ConcurrencyError.
const bot = new Bot<Context & SessionFlavor<Counter>>(process.env.BOT_TOKEN ?? '');
bot.use(session({ initial: () => ({ count: 0 }), storage: new VersionedStorageAdapter<Counter>({ repository }) }));

// lazySession(), and enhanceStorage() with a time-to-live: the same conditional writes.
const lazyBot = new Bot<Context & LazySessionFlavor<Counter>>(process.env.BOT_TOKEN ?? '');
const storage = enhanceStorage<Counter>({
  storage: new VersionedStorageAdapter({ repository, keyPrefix: 'lazy:' }),
  millisecondsToLive: 24 * 60 * 60 * 1000,
});
lazyBot.use(lazySession({ initial: () => ({ count: 0 }), storage }));

export { bot, lazyBot };
