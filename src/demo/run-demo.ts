/**
 * The demo: several child processes act as function instances and receive a burst of webhook
 * messages for a handful of phone numbers at once, first through a naive read/write handler, then
 * through withSessionRetry. It prints what each run lost.
 *
 * @module
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { maskKey } from '../core/observability/key-mask.js';
import type { DemoData } from './demo-instance.js';
import { dropDemoSchema, openDemoStore, type DemoConnection } from './demo-store.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** A PostgreSQL URL; without it the demo uses a temporary SQLite file. */
  readonly url?: string;
  /** Simulated function instances (child processes). @defaultValue 4 */
  readonly instances?: number;
  /** Phone numbers receiving messages. @defaultValue 3 */
  readonly phones?: number;
  /** Messages per phone number in each run. @defaultValue 40 */
  readonly messagesPerPhone?: number;
  /** Where the tables are printed. @defaultValue process.stdout.write */
  readonly write?: (text: string) => void;
}

/** One run's figures. */
export interface DemoRunReport {
  mode: 'naive' | 'versioned';
  delivered: number;
  applied: number;
  lost: number;
  retries: number;
  failed: number;
  phones: { masked: string; state: string | null; handled: number; version: number }[];
}

function instanceEntry(): string {
  // Next to this module, with its extension: dist/*.js, dist/*.cjs, or a bundle's *.mjs.
  const self = fileURLToPath(import.meta.url);
  return join(dirname(self), `demo-instance${extname(self)}`);
}

async function runMode(
  mode: DemoRunReport['mode'],
  connection: DemoConnection,
  options: Required<Omit<DemoOptions, 'url' | 'write'>>,
): Promise<DemoRunReport> {
  const opened = await openDemoStore(connection);
  await opened.migrate();
  const phones = Array.from({ length: options.phones }, (_, index) => `+52155${String(12340000 + index * 7919)}`);
  const messages = phones.flatMap((phone) =>
    Array.from({ length: options.messagesPerPhone }, (_, index) => ({
      phone,
      id: `wamid.${mode}.${phone.slice(-4)}.${index}`,
    })),
  );
  const shares: (typeof messages)[] = Array.from({ length: options.instances }, () => []);
  messages.forEach((message, index) => shares[index % options.instances]!.push(message));

  const children = shares.map((share) => {
    const child = fork(instanceEntry(), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ready = new Promise<void>((resolve) => child.once('message', () => resolve()));
    child.send({ connection, mode, messages: share });
    return { child, ready };
  });
  await Promise.all(children.map((entry) => entry.ready));
  const done = children.map(
    ({ child }) =>
      new Promise<{ retries: number; failed: number }>((resolve, reject) => {
        child.once('message', (message) => resolve(message as { retries: number; failed: number }));
        child.once('exit', (code) => {
          if (code !== 0) reject(new Error(`a demo instance exited with code ${code}`));
        });
      }),
  );
  for (const { child } of children) child.send('go');
  const results = await Promise.all(done);

  const report: DemoRunReport = {
    mode,
    delivered: messages.length,
    applied: 0,
    lost: 0,
    retries: 0,
    failed: 0,
    phones: [],
  };
  for (const result of results) {
    report.retries += result.retries;
    report.failed += result.failed;
  }
  for (const phone of phones) {
    const stored = await opened.store.read(phone);
    const data = (stored?.data ?? { handled: 0 }) as DemoData;
    report.applied += data.handled;
    report.phones.push({
      masked: maskKey(phone),
      state: stored?.state ?? null,
      handled: data.handled,
      version: stored?.version ?? 0,
    });
  }
  report.lost = report.delivered - report.failed - report.applied;
  await opened.close();
  return report;
}

function table(report: DemoRunReport): string {
  const title =
    report.mode === 'naive' ? 'naive handler (read, then unconditional write)' : 'versioned handler (withSessionRetry)';
  const lines = [
    `\n${title}`,
    `  messages delivered: ${report.delivered}   applied: ${report.applied}   updates lost: ${report.lost}   retries: ${report.retries}   gave up: ${report.failed}`,
    '  phone            final state                 handled  version',
  ];
  for (const phone of report.phones) {
    lines.push(
      `  ${phone.masked.padEnd(16)} ${String(phone.state).padEnd(27)} ${String(phone.handled).padStart(7)}  ${String(phone.version).padStart(7)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Runs the naive and the versioned handler over the same burst and prints both tables.
 *
 * @internal
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoRunReport[]> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const settings = {
    instances: options.instances ?? 4,
    phones: options.phones ?? 3,
    messagesPerPhone: options.messagesPerPhone ?? 40,
  };
  const folder = options.url === undefined ? mkdtempSync(join(tmpdir(), 'versioned-sessions-demo-')) : undefined;
  const stamp = Date.now().toString(36);
  // On PostgreSQL the demo's tables live in a schema of their own, dropped at the end.
  const schema = `versioned_sessions_demo_${stamp}`;
  write(
    `versioned-sessions demo: ${settings.instances} function instances, ${settings.phones} phones, ` +
      `${settings.messagesPerPhone} messages each, on ${options.url === undefined ? 'SQLite (a temporary file, WAL)' : 'PostgreSQL'}\n`,
  );
  try {
    const reports: DemoRunReport[] = [];
    for (const mode of ['naive', 'versioned'] as const) {
      const table_ = `demo_${mode}_${stamp}`;
      const connection: DemoConnection =
        options.url === undefined
          ? { dialect: 'sqlite', file: join(folder!, 'demo.db'), table: table_ }
          : { dialect: 'postgres', url: options.url, schema, table: table_ };
      const report = await runMode(mode, connection, settings);
      write(table(report));
      reports.push(report);
    }
    const [naive, versioned] = reports as [DemoRunReport, DemoRunReport];
    write(
      `\nnaive lost ${naive.lost} of ${naive.delivered} updates; versioned lost ${versioned.lost} ` +
        `(${versioned.retries} retries absorbed the conflicts).\n`,
    );
    return reports;
  } finally {
    if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
    if (options.url !== undefined) await dropDemoSchema(options.url, schema);
  }
}
