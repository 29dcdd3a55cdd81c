// The same hot key with the handlers spread over 4 processes, as 4 function instances would be:
// each process has its own connection (and, for perKeyQueue, its own queue); the database is shared.
// Run as a child with `--child`, this file is one such process.
import { fork } from 'node:child_process';
import { connect } from './lib/databases.mjs';
import { compareVariants, hotKeyRound, measure, runHandlers } from './lib/harness.mjs';
import { HOT_KEY, VARIANTS, hotKeyOperation, readCounter } from './lib/hot-key-operations.mjs';

const PROCESSES = 4;

if (process.argv[2] === '--child') {
  const { tableInfo, variant, handlers, retry } = JSON.parse(process.argv[3]);
  const connection = await connect(tableInfo, handlers, { perKeyQueue: variant === 'perKeyQueue' });
  const operation = hotKeyOperation(variant, connection, tableInfo, retry);
  process.on('message', async (message) => {
    if (message.type === 'close') {
      await connection.close();
      process.disconnect();
      return;
    }
    const tally = await runHandlers(handlers, message.durationMs, operation);
    process.send({ type: 'tally', tally });
  });
  process.send({ type: 'ready' });
}

function nextMessage(child) {
  return new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('error', reject);
  });
}

/** `handlers` in all, spread evenly over 4 child processes; tallies merged, goodput from the final counter. */
export async function measureAcrossProcesses(database, mode, variant, handlers, retry = {}) {
  const tableInfo = await database.newTable();
  const local = await connect(tableInfo, 1);
  await local.repository.getOrCreateSession(HOT_KEY, { data: { counter: 0 } });
  const perProcess = Math.ceil(handlers / PROCESSES);
  const children = Array.from({ length: PROCESSES }, () =>
    fork(new URL(import.meta.url), ['--child', JSON.stringify({ tableInfo, variant, handlers: perProcess, retry })]),
  );
  try {
    await Promise.all(children.map(nextMessage));
    return await measure(mode, async (durationMs) => {
      const before = await readCounter(local);
      const replies = children.map(nextMessage);
      for (const child of children) child.send({ type: 'round', durationMs });
      const tallies = (await Promise.all(replies)).map((reply) => reply.tally);
      const merged = {
        seconds: Math.max(...tallies.map((tally) => tally.seconds)),
        latencies: tallies.flatMap((tally) => tally.latencies),
      };
      for (const field of ['operations', 'committed', 'attempts', 'exhausted'])
        merged[field] = tallies.reduce((sum, tally) => sum + tally[field], 0);
      return hotKeyRound(merged, (await readCounter(local)) - before);
    });
  } finally {
    for (const child of children) child.send({ type: 'close' });
    await local.close();
  }
}

/** Every variant over 4 processes, with ratios against pessimistic locking and the single statement. */
export async function processesFamily(database, mode, print) {
  const rows = [];
  for (const handlers of mode.processHandlers) {
    const measureOne = async (variant) => {
      const result = await measureAcrossProcesses(database, mode, variant, handlers);
      print(
        `${database.dialect} ${PROCESSES} processes ${handlers} handlers ${variant}: ${result.goodput.toFixed(0)} ops/s`,
      );
      return result;
    };
    rows.push(
      ...(await compareVariants(VARIANTS, measureOne, { dialect: database.dialect, processes: PROCESSES, handlers })),
    );
  }
  return rows;
}
