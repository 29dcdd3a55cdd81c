/**
 * `@opentelemetry/api` is an optional peer: the library must work where it is not installed. The
 * bundled library is copied to a folder from which the package cannot be resolved, and a child process
 * runs conflicts, retries and observe mode there on SQLite.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const folder = mkdtempSync(join(tmpdir(), 'versioned-sessions-no-otel-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const script = `
import Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import { SessionRepository, withSessionRetry } from './lib/index.mjs';
import { SqliteSessionStore } from './lib/sqlite.mjs';

let resolvable = true;
try { createRequire(import.meta.url).resolve('@opentelemetry/api'); } catch { resolvable = false; }
const database = new Database(':memory:');
database.exec("CREATE TABLE sessions (key TEXT PRIMARY KEY, state TEXT, data TEXT NOT NULL DEFAULT '{}', version INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)");
const store = new SqliteSessionStore({ database });
const conflicts = [];
const lines = [];
const hooks = { onConflict: (c) => conflicts.push(c.lockingMode) };
const logger = { warn: (l) => lines.push(l), error: (l) => lines.push(l) };
const sessions = new SessionRepository({ store, hooks, logger });
let first = true;
const done = await withSessionRetry(sessions, 'chat-1', async (session) => {
  if (first) { first = false; await sessions.updateSession('chat-1', { state: 'OTHER' }); }
  return sessions.updateSession('chat-1', { state: 'MINE' }, { expectedVersion: session.version });
}, { baseDelayMs: 0 });
const observing = new SessionRepository({ store, hooks, lockingMode: 'observe' });
const observed = await observing.updateSession('chat-1', { state: 'SHADOW' }, { expectedVersion: 0 });
console.log(JSON.stringify({ resolvable, version: done.version, observedVersion: observed.version, conflicts, lines }));
`;

describe('without @opentelemetry/api installed', () => {
  it('conflicts, retries and observe mode work and metrics are silently off', () => {
    const lib = join(folder, 'lib');
    mkdirSync(lib);
    const built = resolve('test/.tmp/lib');
    for (const file of readdirSync(built)) cpSync(join(built, file), join(lib, file));
    const modules = join(folder, 'node_modules');
    mkdirSync(modules);
    for (const name of ['better-sqlite3', 'p-retry', 'is-network-error'])
      symlinkSync(resolve('node_modules', name), join(modules, name), 'dir');
    writeFileSync(join(folder, 'package.json'), '{ "type": "module" }');
    writeFileSync(join(folder, 'run.mjs'), script);
    const output = JSON.parse(
      execFileSync(process.execPath, [join(folder, 'run.mjs')], { cwd: folder, encoding: 'utf8' }),
    ) as Record<string, unknown>;
    expect(output).toEqual({
      resolvable: false,
      version: 2,
      observedVersion: 3,
      conflicts: ['enforce', 'observe'],
      lines: [
        '[ConcurrencyRetry] updateSession(****-1) - attempt 1/10 failed: version conflict (expected 0, found 1), retrying in 0ms',
      ],
    });
  });
});
