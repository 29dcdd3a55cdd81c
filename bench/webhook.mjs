// The webhook family: what one message costs along each path a bot can take — the raw conditional UPDATE,
// `updateSession`, `withSessionRetry`, `withSessionRetry` with an idempotency key, each library call with
// and without the per-key queue — in statements (counted at the driver) and in time, uncontended and on a
// hot chat (many handlers on one key, in 1 and in 4 processes), with pessimistic locking and the single
// in-place statement as references. Every run checks that no message was lost and none applied twice.
// Run as a child with `--webhook-child`, this file is one of the 4 processes of the hot chat.
import { fork } from 'node:child_process';
import { connect } from './lib/databases.mjs';
import { median, percentile } from './lib/harness.mjs';
import { measureAddedRoundTrip, startLatencyProxy } from './lib/latency-proxy.mjs';
import {
  CALLS,
  REFERENCES,
  countStatements,
  nextMessageId,
  readCounter,
  statementCount,
  variantLabel,
  variantsOf,
  webhookOperation,
} from './lib/webhook-operations.mjs';

const HOT_KEY = '+5215512345678';
const PROCESSES = 4;
/** The hot chat's handler counts; every variant at HOT_HANDLERS, the chart's lines at the others. */
const HOT_HANDLERS = 16;
const CHART_CALLS = ['raw', 'withSessionRetry', 'withSessionRetry+key', ...REFERENCES];
/** Duplicate deliveries checked after each keyed variant: ids, and copies of each delivered at once. */
const DUPLICATE_IDS = 5;
const DUPLICATE_COPIES = 8;

/** Loops `handlers` handlers over `operation` for `durationMs`; statements counted around the loop. */
async function runMessages(handlers, durationMs, operation, keyOf, knownOf) {
  const latencies = [];
  let committed = 0;
  let attempts = 0;
  let exhausted = 0;
  const statementsBefore = statementCount();
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: handlers }, async (_, handler) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const key = keyOf(handler, i);
        const t0 = performance.now();
        const outcome = await operation(key, knownOf?.(key));
        latencies.push(performance.now() - t0);
        attempts += outcome.attempts;
        if (outcome.ok) committed++;
        else if (outcome.exhausted) exhausted++;
        else throw new Error(`a fresh message was answered as ${JSON.stringify(outcome)}`);
      }
    }),
  );
  return {
    seconds: (performance.now() - started) / 1000,
    latencies,
    messages: latencies.length,
    committed,
    attempts,
    exhausted,
    statements: statementCount() - statementsBefore,
  };
}

/** Delivers `DUPLICATE_IDS` new ids `DUPLICATE_COPIES` times each, all copies at once: how many were applied. */
async function deliverDuplicates(operation, key, ids) {
  let applied = 0;
  let duplicates = 0;
  for (const id of ids) {
    const outcomes = await Promise.all(Array.from({ length: DUPLICATE_COPIES }, () => operation(key, undefined, id)));
    for (const outcome of outcomes) {
      if (outcome.ok) applied++;
      else if (outcome.duplicate) duplicates++;
    }
  }
  return { applied, duplicates };
}

// ---- one of the 4 processes of the hot chat ----
if (process.argv[2] === '--webhook-child') {
  const { tableInfo, variant, handlers } = JSON.parse(process.argv[3]);
  await countStatements(tableInfo.dialect);
  const connection = await connect(tableInfo, handlers, { perKeyQueue: variant.queue });
  const operation = webhookOperation(variant.call, connection, tableInfo);
  process.on('message', async (message) => {
    if (message.type === 'close') {
      await connection.close();
      process.disconnect();
    } else if (message.type === 'duplicates') {
      process.send({ type: 'duplicates', result: await deliverDuplicates(operation, HOT_KEY, message.ids) });
    } else {
      const tally = await runMessages(handlers, message.durationMs, operation, () => HOT_KEY);
      process.send({ type: 'tally', tally });
    }
  });
  process.send({ type: 'ready' });
}

function nextMessage(child) {
  return new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('error', reject);
  });
}

/** The numbers of a variant's rounds: medians of the rates and latencies, sums of the counts. */
function summarise(rounds) {
  const pick = (field) => median(rounds.map((round) => round[field]));
  const sum = (field) => rounds.reduce((total, round) => total + round[field], 0);
  const messages = sum('messages');
  return {
    p50: pick('p50'),
    p99: pick('p99'),
    goodput: pick('goodput'),
    statementsPerMessage: messages === 0 ? Number.NaN : sum('statements') / messages,
    attemptsPerMessage: messages === 0 ? Number.NaN : sum('attempts') / messages,
    messages,
    committed: sum('committed'),
    exhausted: sum('exhausted'),
    rounds: rounds.length,
  };
}

const roundOf = (tally, landed) => ({
  p50: percentile(tally.latencies, 50),
  p99: percentile(tally.latencies, 99),
  goodput: landed / tally.seconds,
  messages: tally.messages,
  committed: tally.committed,
  exhausted: tally.exhausted,
  attempts: tally.attempts,
  statements: tally.statements,
});

/**
 * Uncontended: one handler, each message on the next of this variant's chats, nothing conflicts. The
 * variants' rounds alternate, so drift in a shared machine's load hits them alike.
 */
export async function uncontended(database, mode, print) {
  const variants = variantsOf(CALLS);
  const tableInfo = await database.newTable();
  const chats = Math.max(50, Math.floor(mode.keys / 5));
  const setups = [];
  try {
    for (const [index, variant] of variants.entries()) {
      const connection = await connect(tableInfo, 1, { perKeyQueue: variant.queue });
      const keys = Array.from({ length: chats }, (_, i) => `+521${index}${String(i).padStart(9, '0')}`);
      const known = new Map();
      for (const key of keys) {
        const session = await connection.repository.getOrCreateSession(key, { data: { counter: 0 } });
        known.set(key, { version: session.version, counter: 0 });
      }
      const operation = webhookOperation(variant.call, connection, tableInfo);
      const usesKnown = variant.call === 'raw' || variant.call === 'updateSession';
      const round = async (durationMs) => {
        const tally = await runMessages(
          1,
          durationMs,
          operation,
          (_, i) => keys[i % keys.length],
          usesKnown ? (key) => known.get(key) : undefined,
        );
        return roundOf(tally, tally.committed);
      };
      setups.push({ variant, connection, keys, round, operation, rounds: [], sent: 0 });
    }
    for (const setup of setups) setup.sent += (await setup.round(mode.warmupMs)).committed;
    for (let i = 0; i < mode.rounds; i++) {
      for (const setup of setups) {
        const result = await setup.round(mode.roundMs);
        setup.sent += result.committed;
        setup.rounds.push(result);
      }
    }
    const rows = [];
    for (const setup of setups) {
      let landed = 0;
      for (const key of setup.keys) landed += await readCounter(setup.connection, key);
      const row = {
        dialect: database.dialect,
        database: database.label,
        scenario: 'uncontended',
        processes: 1,
        handlers: 1,
        call: setup.variant.call,
        queue: setup.variant.queue,
        ...summarise(setup.rounds),
        lost: Math.max(0, setup.sent - landed),
        appliedTwice: Math.max(0, landed - setup.sent),
      };
      if (setup.variant.call === 'withSessionRetry+key') {
        const ids = Array.from({ length: DUPLICATE_IDS }, () => nextMessageId());
        const before = await readCounter(setup.connection, setup.keys[0]);
        const { applied } = await deliverDuplicates(setup.operation, setup.keys[0], ids);
        const delta = (await readCounter(setup.connection, setup.keys[0])) - before;
        row.duplicateDeliveries = DUPLICATE_IDS * DUPLICATE_COPIES;
        row.appliedTwice += Math.max(0, applied - DUPLICATE_IDS) + Math.max(0, delta - DUPLICATE_IDS);
        row.lost += Math.max(0, DUPLICATE_IDS - delta);
      }
      rows.push(row);
    }
    const raw = rows.find((row) => row.call === 'raw');
    for (const row of rows) {
      row.p50VsRaw = row.p50 / raw.p50;
      row.goodputVsRaw = row.goodput / raw.goodput;
      print(
        `${database.label} uncontended ${variantLabel(row)}: ${row.statementsPerMessage.toFixed(2)} statements/message, ` +
          `p50 ${row.p50.toFixed(3)} ms (×${row.p50VsRaw.toFixed(2)} raw), ${row.goodput.toFixed(0)} msg/s, ` +
          `lost ${row.lost}, applied twice ${row.appliedTwice}`,
      );
    }
    return rows;
  } finally {
    for (const setup of setups) await setup.connection.close();
  }
}

/** One variant on a fresh hot chat, its handlers in this process. */
async function hotInProcess(database, mode, variant, handlers) {
  const tableInfo = await database.newTable();
  const connection = await connect(tableInfo, handlers, { perKeyQueue: variant.queue });
  try {
    await connection.repository.getOrCreateSession(HOT_KEY, { data: { counter: 0 } });
    const operation = webhookOperation(variant.call, connection, tableInfo);
    const round = async (durationMs) => {
      const before = await readCounter(connection, HOT_KEY);
      const tally = await runMessages(handlers, durationMs, operation, () => HOT_KEY);
      const landed = (await readCounter(connection, HOT_KEY)) - before;
      return { ...roundOf(tally, landed), landed };
    };
    const duplicates =
      variant.call === 'withSessionRetry+key'
        ? (ids) => deliverDuplicates(operation, HOT_KEY, ids).then((result) => [result])
        : undefined;
    return await hotRounds(mode, round, duplicates, () => readCounter(connection, HOT_KEY));
  } finally {
    await connection.close();
  }
}

/** One variant on a fresh hot chat, `handlers` in all spread over 4 processes. */
async function hotAcrossProcesses(database, mode, variant, handlers) {
  const tableInfo = await database.newTable();
  const local = await connect(tableInfo, 1);
  await local.repository.getOrCreateSession(HOT_KEY, { data: { counter: 0 } });
  const perProcess = Math.ceil(handlers / PROCESSES);
  const children = Array.from({ length: PROCESSES }, () =>
    fork(new URL(import.meta.url), ['--webhook-child', JSON.stringify({ tableInfo, variant, handlers: perProcess })]),
  );
  try {
    await Promise.all(children.map(nextMessage));
    const round = async (durationMs) => {
      const before = await readCounter(local, HOT_KEY);
      const replies = children.map(nextMessage);
      for (const child of children) child.send({ type: 'round', durationMs });
      const tallies = (await Promise.all(replies)).map((reply) => {
        if (reply.type !== 'tally') throw new Error(`a hot-chat process answered ${JSON.stringify(reply)}`);
        return reply.tally;
      });
      const merged = {
        seconds: Math.max(...tallies.map((tally) => tally.seconds)),
        latencies: tallies.flatMap((tally) => tally.latencies),
      };
      for (const field of ['messages', 'committed', 'attempts', 'exhausted', 'statements'])
        merged[field] = tallies.reduce((sum, tally) => sum + tally[field], 0);
      const landed = (await readCounter(local, HOT_KEY)) - before;
      return { ...roundOf(merged, landed), landed };
    };
    const duplicates =
      variant.call === 'withSessionRetry+key'
        ? async (ids) => {
            const replies = children.map(nextMessage);
            for (const child of children) child.send({ type: 'duplicates', ids });
            return (await Promise.all(replies)).map((reply) => reply.result);
          }
        : undefined;
    return await hotRounds(mode, round, duplicates, () => readCounter(local, HOT_KEY));
  } finally {
    for (const child of children) child.send({ type: 'close' });
    await local.close();
  }
}

/** Warm-up, measured rounds, then (keyed variants) concurrent duplicate deliveries; lost and twice from the counter. */
async function hotRounds(mode, round, duplicates, counter) {
  let sent = 0;
  let landed = 0;
  const warm = await round(mode.warmupMs);
  sent += warm.committed;
  landed += warm.landed;
  const rounds = [];
  for (let i = 0; i < mode.rounds; i++) {
    const result = await round(mode.roundMs);
    sent += result.committed;
    landed += result.landed;
    rounds.push(result);
  }
  const summary = { ...summarise(rounds), lost: Math.max(0, sent - landed), appliedTwice: Math.max(0, landed - sent) };
  if (duplicates !== undefined) {
    const ids = Array.from({ length: DUPLICATE_IDS }, () => nextMessageId());
    const before = await counter();
    const results = await duplicates(ids);
    const delta = (await counter()) - before;
    const applied = results.reduce((total, result) => total + result.applied, 0);
    summary.duplicateDeliveries = results.reduce((total, result) => total + result.applied + result.duplicates, 0);
    summary.appliedTwice += Math.max(0, applied - DUPLICATE_IDS) + Math.max(0, delta - DUPLICATE_IDS);
    summary.lost += Math.max(0, DUPLICATE_IDS - delta);
  }
  return summary;
}

/** The hot chat: every variant at 16 handlers in 1 and in 4 processes, the chart's lines at the other counts. */
async function hotChat(database, mode, print) {
  const rows = [];
  const counts = [...new Set([...mode.concurrencies, HOT_HANDLERS])].sort((a, b) => a - b);
  const settings = [
    ...counts.map((handlers) => ({ processes: 1, handlers })),
    { processes: PROCESSES, handlers: HOT_HANDLERS },
  ];
  for (const { processes, handlers } of settings) {
    const calls = handlers === HOT_HANDLERS ? [...CALLS, ...REFERENCES] : CHART_CALLS;
    const group = [];
    for (const variant of variantsOf(calls)) {
      if (handlers !== HOT_HANDLERS && variant.call.startsWith('withSessionRetry') && !variant.queue) continue;
      const measureOne = processes === 1 ? hotInProcess : hotAcrossProcesses;
      const result = await measureOne(database, mode, variant, handlers);
      const row = {
        dialect: database.dialect,
        database: database.label,
        scenario: 'hot chat',
        processes,
        handlers,
        ...variant,
        ...result,
      };
      group.push(row);
    }
    const pessimistic = group.find((row) => row.call === 'pessimistic');
    const single = group.find((row) => row.call === 'single-statement');
    for (const row of group) {
      row.goodputVsPessimistic = row.goodput / pessimistic.goodput;
      row.goodputVsSingleStatement = row.goodput / single.goodput;
      print(
        `${database.label} hot chat ${handlers} handlers × ${processes} process(es) ${variantLabel(row)}: ` +
          `${row.goodput.toFixed(0)} msg/s (×${row.goodputVsPessimistic.toFixed(2)} pessimistic), ` +
          `${row.statementsPerMessage.toFixed(2)} statements/message, p50 ${row.p50.toFixed(2)} ms, ` +
          `lost ${row.lost}, applied twice ${row.appliedTwice}`,
      );
    }
    rows.push(...group);
  }
  return rows;
}

/** PostgreSQL reached through the latency proxy: tables made on the direct connection, stores connect through the proxy. */
export async function throughProxy(database, delayMs) {
  const upstream = new URL(database.url);
  const proxy = await startLatencyProxy({
    host: upstream.hostname,
    port: Number(upstream.port || 5432),
    delayMs,
  });
  const proxied = new URL(database.url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  const { default: pg } = await import('pg');
  const direct = new pg.Pool({ connectionString: database.url, max: 1 });
  const via = new pg.Pool({ connectionString: proxied.toString(), max: 1 });
  const addedRoundTripMs = await measureAddedRoundTrip(direct, via);
  await Promise.all([direct.end(), via.end()]);
  return {
    dialect: database.dialect,
    label: `postgres +${delayMs} ms/hop`,
    latencyMs: delayMs,
    addedRoundTripMs,
    async newTable() {
      const tableInfo = await database.newTable();
      return { ...tableInfo, location: proxied.toString() };
    },
    close: () => proxy.close(),
  };
}

/**
 * The family on one database: uncontended, then the hot chat. On PostgreSQL with `latencyMs` > 0 the
 * whole family runs again through the latency proxy.
 */
export async function webhookFamily(database, mode, print, { latencyMs = 0.5 } = {}) {
  if (database.dialect !== 'postgres' && database.dialect !== 'sqlite') {
    print(`webhook family: ${database.dialect} skipped (it measures postgres and sqlite)`);
    return [];
  }
  await countStatements(database.dialect);
  const targets = [{ ...database, label: database.dialect, newTable: () => database.newTable() }];
  if (database.dialect === 'postgres' && latencyMs > 0) targets.push(await throughProxy(database, latencyMs));
  const rows = [];
  try {
    for (const target of targets) {
      if (target.addedRoundTripMs !== undefined) {
        print(`${target.label}: each round trip measured ${target.addedRoundTripMs.toFixed(2)} ms slower than direct`);
      }
      const measured = [...(await uncontended(target, mode, print)), ...(await hotChat(target, mode, print))];
      for (const row of measured) {
        if (target.latencyMs !== undefined) {
          row.latencyMs = target.latencyMs;
          row.addedRoundTripMs = target.addedRoundTripMs;
        }
      }
      rows.push(...measured);
    }
  } finally {
    for (const target of targets.slice(1)) await target.close();
  }
  return rows;
}
