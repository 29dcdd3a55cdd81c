// Hot key in one process: 4, 16 and 64 concurrent read-modify-write handlers on one key, each
// variant on a fresh table, goodput counted from the final state.
import { connect } from './lib/databases.mjs';
import { compareVariants, hotKeyRound, measure, runHandlers } from './lib/harness.mjs';
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
    const measureOne = async (variant) => {
      const result = await measureInProcess(database, mode, variant, handlers);
      print(`${database.dialect} hot key ${handlers} handlers ${variant}: ${result.goodput.toFixed(0)} ops/s`);
      return result;
    };
    rows.push(...(await compareVariants(VARIANTS, measureOne, { dialect: database.dialect, handlers })));
  }
  return rows;
}
