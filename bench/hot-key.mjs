// Hot key in one process: 4, 16 and 64 concurrent read-modify-write handlers on one key, each
// variant on a fresh table, goodput counted from the final state.
import { connect } from './lib/databases.mjs';
import { hotKeyRound, measure, runHandlers } from './lib/harness.mjs';
import { HOT_KEY, VARIANTS, hotKeyOperation, readCounter } from './lib/hot-key-operations.mjs';

/** Measures one variant with `handlers` concurrent handlers in this process. */
export async function measureInProcess(database, mode, variant, handlers, retry = {}) {
  const tableInfo = await database.newTable();
  const connection = await connect(tableInfo, handlers, { perKeyQueue: variant === 'perKeyQueue' });
  try {
    await connection.repository.getOrCreateSession(HOT_KEY, { data: { counter: 0 } });
    const operation = hotKeyOperation(variant, connection, tableInfo, retry);
    return await measure(mode, async (durationMs) => {
      const before = await readCounter(connection);
      const tally = await runHandlers(handlers, durationMs, operation);
      return hotKeyRound(tally, (await readCounter(connection)) - before);
    });
  } finally {
    await connection.close();
  }
}

/** Every variant at every concurrency, with ratios against pessimistic locking and the single statement. */
export async function hotKeyFamily(database, mode, print) {
  const rows = [];
  for (const handlers of mode.concurrencies) {
    const byVariant = {};
    for (const variant of VARIANTS) {
      byVariant[variant] = await measureInProcess(database, mode, variant, handlers);
      print(`${database.dialect} hot key ${handlers} handlers ${variant}: ${byVariant[variant].goodput.toFixed(0)} ops/s`);
    }
    for (const variant of VARIANTS) {
      const result = byVariant[variant];
      rows.push({
        dialect: database.dialect,
        handlers,
        variant,
        ...result,
        vsPessimistic: result.goodput / byVariant.pessimistic.goodput,
        vsCeiling: result.goodput / byVariant['single-statement'].goodput,
      });
    }
  }
  return rows;
}
