// Samples of docs/grammy.md: a grammY bot on PostgreSQL whose sessions are versioned, behind an
// Express webhook. Type-checked with the project; the middleware and the adapter are exercised through
// grammY's Bot.handleUpdate by test/frameworks/grammy.test.ts.
import express from 'express';
import { Bot, Composer, webhookCallback, type Context } from 'grammy';
import pg from 'pg';
import { SessionRepository, isConcurrencyError } from 'versioned-sessions';
import { versionedSession, type VersionedSessionFlavor } from 'versioned-sessions/grammy';
import { PostgresSessionStore } from 'versioned-sessions/postgres';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
const repository = new SessionRepository({ store: new PostgresSessionStore({ pool }), logger: console });
await repository.verifySchema();

interface Cart {
  items: string[];
}
type ShopContext = Context & VersionedSessionFlavor<Cart>;

// The handlers the middleware runs, and runs again when their write loses a race.
const shop = new Composer<ShopContext>();
shop.command('add', (ctx) => {
  ctx.session.items.push(ctx.match);
  // Sent once, after the write that counted; a run that lost the race sends nothing.
  ctx.afterSessionWrite(() => ctx.reply(`${ctx.session.items.length} items in your cart.`));
});
shop.command('clear', (ctx: ShopContext) => {
  ctx.session = null; // deletes the chat's session
  ctx.afterSessionWrite(() => ctx.reply('Cart cleared.'));
});

const bot = new Bot<ShopContext>(process.env.BOT_TOKEN ?? '');
bot.use(
  versionedSession<Cart, ShopContext>(
    { repository, keyPrefix: 'tg:', initial: () => ({ items: [] }), retryOnConflict: { maxAttempts: 5 } },
    shop,
  ),
);
bot.catch(({ error }) => {
  // Five runs all lost the race, or the database failed: nothing of this update was written.
  if (isConcurrencyError(error)) console.warn('update not applied: the chat changed five times meanwhile');
  throw error; // the webhook answers with an error status and Telegram delivers the update again
});

express()
  .use(express.json())
  .post('/telegram', webhookCallback(bot, 'express'))
  .listen(Number(process.env.PORT ?? 3000));
