/**
 * The CLI's session commands (`expire`) as users run them: a child process of the bundled
 * executable on a real SQLite file, with exit codes and output asserted.
 */
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SessionRepository } from '../../src/core/repository/repository.js';
import { migrate } from '../../src/migrations/index.js';
import { SqliteSessionStore } from '../../src/sqlite/index.js';

const CLI = fileURLToPath(new URL('../.tmp/lib/cli.mjs', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'versioned-sessions-cli-sessions-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Run> {
  const environment = { ...process.env };
  delete environment['VERSIONED_SESSIONS_DATABASE_URL'];
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: environment, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number((error as { code?: unknown }).code ?? -1), stdout, stderr });
    });
  });
}

const PHONES = ['+5215500000001', '+5215500000002', '+5215500000003'];

/** A migrated file with three sessions: two idle since 2024 (MENU, PAGADO), one active now. */
async function seeded(name: string): Promise<string> {
  const file = join(folder, `${name}.db`);
  const database = new Database(file);
  await migrate({ dialect: 'sqlite', database });
  const repository = new SessionRepository({ store: new SqliteSessionStore({ database }) });
  await repository.getOrCreateSession(PHONES[0]!, { state: 'MENU' });
  await repository.getOrCreateSession(PHONES[1]!, { state: 'PAGADO' });
  await repository.getOrCreateSession(PHONES[2]!, { state: 'MENU' });
  database
    .prepare("UPDATE sessions SET updated_at = '2024-01-01T00:00:00.000Z' WHERE key IN (?, ?)")
    .run(PHONES[0], PHONES[1]);
  database.close();
  return file;
}

function states(file: string): Record<string, unknown>[] {
  const database = new Database(file);
  const rows = database.prepare('SELECT key, state, version FROM sessions ORDER BY key').all() as Record<
    string,
    unknown
  >[];
  database.close();
  return rows;
}

describe('versioned-sessions expire', () => {
  it('closes the idle sessions in the given state and prints the counts', async () => {
    const file = await seeded('expire');
    const run = await cli([
      'expire',
      '--dialect',
      'sqlite',
      '--url',
      file,
      '--idle',
      '30m',
      '--state',
      'CANCELADA',
      '--from-state',
      'MENU',
    ]);
    expect(run).toEqual({
      code: 0,
      stdout:
        'expired 1 session idle for more than 30m (state CANCELADA); skipped 0 written since the sweep read them.\n',
      stderr: '',
    });
    expect(states(file)).toEqual([
      { key: PHONES[0], state: 'CANCELADA', version: 1 },
      { key: PHONES[1], state: 'PAGADO', version: 0 },
      { key: PHONES[2], state: 'MENU', version: 0 },
    ]);
    const again = await cli(['expire', '--dialect', 'sqlite', '--url', file, '--idle', '1h', '--state', 'CANCELADA']);
    expect(again.stdout).toContain('expired 1 session idle for more than 1h');
    expect(states(file)[1]).toEqual({ key: PHONES[1], state: 'CANCELADA', version: 1 });
  });

  it.each([
    [['--idle', '30x', '--state', 'CANCELADA'], /Invalid --idle: expected a duration/],
    [['--state', 'CANCELADA'], /Invalid --idle: is required/],
    [['--idle', '30m'], /Invalid --state: is required/],
    [['--idle', '30m', '--state', 'CANCELADA', '--limit', '0'], /Invalid --limit/],
  ])('exits 2 on %j and writes nothing', async (args, message) => {
    const file = await seeded(`usage-${args.join('').replace(/\W/g, '')}`);
    const run = await cli(['expire', '--dialect', 'sqlite', '--url', file, ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
    expect(states(file).map((row) => row['version'])).toEqual([0, 0, 0]);
  });
});
