// The webhook burst a WhatsApp bot meets: 20 phones × 10 messages, every message delivered twice, all
// at once, into 1 and into 4 processes, each process running the README quick start's handler
// (withSessionRetry with the message id as idempotency key). It counts, per run: deliveries exhausted
// (a ConcurrencyError after the last attempt: the webhook answers 503), other errors, messages lost
// (never applied), messages applied twice, and phones whose messages one process applied out of its
// delivery order. Counts, not times, are what it checks; the elapsed time is printed for reading only.
//
// node bench/burst.mjs [--dialect postgres|sqlite] [--processes 1,4] [--defaults new,old]
//                      [--phones 20] [--messages 10] [--lib dist] [--json] [--check]
//   --defaults new   the repository and withSessionRetry with no options: the library's defaults
//   --defaults old   the options spelled out as the defaults were before 0.2: perKeyQueue false, 3 attempts
//   --defaults custom  the options given as JSON by --options '{"repository":{…},"retry":{…}}'
//   --check          exit 1 unless every `new` run has 0 exhausted, 0 errors, 0 lost, 0 applied twice
//                    and 0 out of order
// PostgreSQL from VERSIONED_SESSIONS_PG_URL (default postgres://postgres@127.0.0.1:5432/test); every
// run uses a schema of its own, dropped at the end. `--lib` is the built library to load (the tests
// pass their bundle of the source).
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/** The options each variant gives the repository and withSessionRetry. */
export const VARIANTS = {
  new: { repository: {}, retry: {} },
  old: { repository: { perKeyQueue: false }, retry: { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 5000 } },
};

// Each phone's conversation: after the last message the flow is in DONE.
const SCRIPT = ['hola', 'menu', '1', 'Ana', 'no', 'Ana María', 'si', 'gracias', 'ok', 'adios'];

const uniqueName = (prefix) => `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

/**
 * Every delivery, in the order the processes receive them, and which process receives it: each
 * phone's messages in order, each twice (the redelivery right after the first), the phones
 * interleaved; a phone's deliveries go round the processes, so a message and its redelivery land in
 * different processes whenever there is more than one.
 */
export function plan({ phones, messages, processes, runId }) {
  const shares = Array.from({ length: processes }, () => []);
  const phoneNumbers = Array.from({ length: phones }, (_, index) => `+52155${String(10_000_000 + index * 7_919)}`);
  for (let message = 0; message < messages; message++) {
    for (let copy = 0; copy < 2; copy++) {
      phoneNumbers.forEach((phone, index) => {
        const delivery = message * 2 + copy;
        shares[(delivery + index) % processes].push({
          phone,
          id: `wamid.${runId}.${index}.${message}`,
          text: SCRIPT[message % SCRIPT.length],
        });
      });
    }
  }
  return { phoneNumbers, shares };
}

async function prepare(dialect, pgUrl, lib, extension) {
  const { migrate } = await import(pathToFileURL(`${lib}/migrations${extension}`).href);
  if (dialect === 'postgres') {
    const { default: pg } = await import('pg');
    const admin = new pg.Pool({ connectionString: pgUrl, max: 2 });
    const schema = uniqueName('vs_burst');
    const tableOptions = { schema, table: 'sessions', processedTable: 'processed' };
    await migrate({ dialect, pool: admin, ...tableOptions });
    return {
      target: { dialect, url: pgUrl, tableOptions },
      read: async (phone) =>
        (await admin.query(`SELECT state, data, version FROM "${schema}"."sessions" WHERE key = $1`, [phone])).rows[0],
      close: async () => {
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await admin.end();
      },
    };
  }
  const { default: Database } = await import('better-sqlite3');
  const folder = mkdtempSync(join(tmpdir(), 'vs-burst-'));
  const file = join(folder, 'sessions.db');
  const database = new Database(file);
  database.pragma('journal_mode = WAL');
  const tableOptions = { table: 'sessions', processedTable: 'processed' };
  await migrate({ dialect, database, ...tableOptions });
  return {
    target: { dialect, file, tableOptions },
    read: async (phone) => {
      const row = database.prepare('SELECT state, data, version FROM "sessions" WHERE key = ?').get(phone);
      return row === undefined ? undefined : { ...row, data: JSON.parse(row.data) };
    },
    close: async () => {
      database.close();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

function nextMessage(child) {
  return new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => code !== 0 && reject(new Error(`a burst process exited with code ${code}`)));
  });
}

/** One burst: every process started, released at once, and the stored sessions checked after. */
export async function runBurst({ dialect, processes, variant, phones = 20, messages = 10, lib, extension, pgUrl }) {
  const runId = randomBytes(3).toString('hex');
  const database = await prepare(dialect, pgUrl, lib, extension);
  try {
    const { phoneNumbers, shares } = plan({ phones, messages, processes, runId });
    const worker = fileURLToPath(new URL('./burst-worker.mjs', import.meta.url));
    const children = shares.map((deliveries) => {
      const child = fork(worker, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      child.send({ lib, extension, target: database.target, options: VARIANTS[variant], deliveries });
      return child;
    });
    await Promise.all(children.map(nextMessage));
    const done = children.map(nextMessage);
    for (const child of children) child.send('go');
    const reports = await Promise.all(done);

    const outcomes = reports.flatMap((report) => report.outcomes);
    const count = (status) => outcomes.filter((outcome) => outcome.status === status).length;
    const applied = new Map();
    const finalStates = {};
    for (const phone of phoneNumbers) {
      const row = await database.read(phone);
      finalStates[row?.state ?? 'none'] = (finalStates[row?.state ?? 'none'] ?? 0) + 1;
      (row?.data?.applied ?? []).forEach((id, position) => applied.set(id, [...(applied.get(id) ?? []), position]));
    }
    const messageIds = new Set(outcomes.map((outcome) => outcome.id));
    // In order: the messages one process applied for a phone appear in the stored list in the order
    // that process received them.
    let outOfOrder = 0;
    for (const report of reports) {
      for (const phone of phoneNumbers) {
        const positions = report.outcomes
          .filter((outcome) => outcome.phone === phone && outcome.status === 'applied')
          .map((outcome) => applied.get(outcome.id)?.[0] ?? -1);
        if (positions.some((position, index) => index > 0 && position < positions[index - 1])) outOfOrder++;
      }
    }
    return {
      dialect,
      processes,
      variant,
      deliveries: outcomes.length,
      messages: messageIds.size,
      applied: count('applied'),
      duplicate: count('duplicate'),
      exhausted: count('exhausted'),
      errors: count('error'),
      errorSamples: [
        ...new Set(outcomes.filter((outcome) => outcome.status === 'error').map((outcome) => outcome.error)),
      ].slice(0, 3),
      lost: [...messageIds].filter((id) => !applied.has(id)).length,
      appliedTwice: [...applied.values()].filter((positions) => positions.length > 1).length,
      outOfOrder,
      retries: outcomes.reduce((sum, outcome) => sum + outcome.retries, 0),
      mostRetries: Math.max(...outcomes.map((outcome) => outcome.retries)),
      finalStates,
      elapsedMs: Math.round(Math.max(...reports.map((report) => report.elapsedMs))),
    };
  } finally {
    await database.close();
  }
}

/** Whether a run met the target: nothing exhausted, failed, lost, applied twice or reordered. */
export function meetsTarget(result) {
  return (
    result.exhausted === 0 &&
    result.errors === 0 &&
    result.lost === 0 &&
    result.appliedTwice === 0 &&
    result.outOfOrder === 0
  );
}

function table(results) {
  const columns = [
    'dialect',
    'processes',
    'variant',
    'deliveries',
    'applied',
    'duplicate',
    'exhausted',
    'errors',
    'lost',
    'appliedTwice',
    'outOfOrder',
    'retries',
    'mostRetries',
    'elapsedMs',
  ];
  const rows = results.map((result) => columns.map((column) => String(result[column])));
  const widths = columns.map((column, index) => Math.max(column.length, ...rows.map((row) => row[index].length)));
  const line = (cells) => cells.map((cell, index) => cell.padStart(widths[index])).join('  ');
  return [
    line(columns),
    ...rows.map(line),
    ...results.map(
      (result) =>
        `${result.dialect} ×${result.processes} ${result.variant}: final states ${JSON.stringify(result.finalStates)}${result.errorSamples.length > 0 ? `; errors: ${result.errorSamples.join(' | ')}` : ''}`,
    ),
  ].join('\n');
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      dialect: { type: 'string', default: 'postgres' },
      processes: { type: 'string', default: '1,4' },
      defaults: { type: 'string', default: 'new,old' },
      phones: { type: 'string', default: '20' },
      messages: { type: 'string', default: '10' },
      lib: { type: 'string', default: fileURLToPath(new URL('../dist', import.meta.url)) },
      json: { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      options: { type: 'string' },
    },
  });
  if (values.options !== undefined) VARIANTS.custom = JSON.parse(values.options);
  const lib = resolve(values.lib);
  const extension = lib.includes(`${join('test', '.tmp')}`) ? '.mjs' : '.js';
  const pgUrl = process.env.VERSIONED_SESSIONS_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
  const results = [];
  for (const dialect of values.dialect.split(',')) {
    for (const processes of values.processes.split(',').map(Number)) {
      for (const variant of values.defaults.split(',')) {
        if (!(variant in VARIANTS)) throw new Error(`--defaults takes new and/or old, got ${variant}`);
        results.push(
          await runBurst({
            dialect,
            processes,
            variant,
            phones: Number(values.phones),
            messages: Number(values.messages),
            lib,
            extension,
            pgUrl,
          }),
        );
      }
    }
  }
  console.log(values.json ? JSON.stringify(results) : table(results));
  if (values.check && !results.filter((result) => result.variant === 'new').every(meetsTarget)) process.exitCode = 1;
}
