import { openSqlite, connect } from './lib/databases.mjs';
import { runHandlers } from './lib/harness.mjs';
import { HOT_KEY, hotKeyOperation } from './lib/hot-key-operations.mjs';
const db = await openSqlite();
const t = await db.newTable();
const c = await connect(t, 16, { perKeyQueue: true });
await c.repository.getOrCreateSession(HOT_KEY, { data: { counter: 0 } });
for (const v of ['perKeyQueue', 'withSessionRetry', 'pessimistic']) {
  const r = await runHandlers(16, 2000, hotKeyOperation(v, c, t));
  console.log(v, Math.round(r.committed / r.seconds));
}
await c.close(); await db.close();
