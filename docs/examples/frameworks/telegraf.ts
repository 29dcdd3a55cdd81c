// Samples of docs/telegraf.md: a Telegraf bot on PostgreSQL whose sessions are versioned. Type-checked
// with the project; the store is exercised through Telegraf's session() and handleUpdate by
// test/frameworks/telegraf.test.ts.
import pg from 'pg';
import { Telegraf, session, type Context } from 'telegraf';
import { SessionRepository, isConcurrencyError } from 'versioned-sessions';
import { PostgresSessionStore } from 'versioned-sessions/postgres';
import { VersionedSessionStore } from 'versioned-sessions/telegraf';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
const repository = new SessionRepository({ store: new PostgresSessionStore({ pool }), logger: console });
await repository.verifySchema();

interface Cart {
  items: string[];
}
interface ShopContext extends Context {
  session?: Cart;
}

const bot = new Telegraf<ShopContext>(process.env.BOT_TOKEN ?? '');
const store = new VersionedSessionStore<Cart>({ repository, keyPrefix: 'telegraf:', untracked: 'create-only' });
bot.use(session({ store, defaultSession: () => ({ items: [] }) }));

bot.command('add', async (ctx) => {
  const cart = ctx.session!;
  cart.items.push(ctx.payload);
  await ctx.reply(`${cart.items.length} items in your cart.`);
});

bot.catch((error) => {
  // Another instance wrote this chat's session first: nothing of this update was written.
  if (isConcurrencyError(error)) console.warn(`update not applied (session version ${error.actualVersion} is newer)`);
  throw error; // the webhook answers with an error status and Telegram delivers the update again
});

await bot.launch({ webhook: { domain: process.env.WEBHOOK_DOMAIN ?? '', port: Number(process.env.PORT ?? 3000) } });
