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
    [
      ['--idle', '30x', '--state', 'CANCELADA'],
      /Expected `--idle` to be a duration: .*, got a string of 3 characters\./,
    ],
    [
      ['--state', 'CANCELADA'],
      /Expected `--idle` to be how long a session must be idle \(e\.g\. '30m'\), got undefined\./,
    ],
    [['--idle', '30m'], /Expected `--state` to be the state an expired session gets/],
    [
      ['--idle', '30m', '--state', 'CANCELADA', '--limit', '0'],
      /Expected `--limit` to be a whole number from 1 to 99999/,
    ],
  ])('exits 2 on %j and writes nothing', async (args, message) => {
    const file = await seeded(`usage-${args.join('').replace(/\W/g, '')}`);
    const run = await cli(['expire', '--dialect', 'sqlite', '--url', file, ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
    expect(states(file).map((row) => row['version'])).toEqual([0, 0, 0]);
  });
});

describe('versioned-sessions inspect', () => {
  async function withHistory(name: string): Promise<string> {
    const file = join(folder, `${name}.db`);
    const database = new Database(file);
    await migrate({ dialect: 'sqlite', database });
    const repository = new SessionRepository({ store: new SqliteSessionStore({ database, history: true }) });
    await repository.getOrCreateSession(PHONES[0]!, { state: 'INICIO' });
    await repository.updateSession(PHONES[0]!, { state: 'MENU' }, { expectedVersion: 0, origin: 'bot' });
    await repository.updateSession(
      PHONES[0]!,
      { state: 'EQUIPO_CONFIRMADO', data: { equipo: 'refri' } },
      { expectedVersion: 1, origin: 'user', reason: 'Equipo confirmado' },
    );
    database.close();
    return file;
  }

  it('prints the session and its transitions, newest first, with the key masked', async () => {
    const file = await withHistory('inspect');
    const run = await cli(['inspect', PHONES[0]!, '--dialect', 'sqlite', '--url', file]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual(['session  +52*******0001', 'state    EQUIPO_CONFIRMADO', 'version  2']);
    expect(lines[5]).toBe('data     {"equipo":"refri"}');
    expect(lines[7]).toBe('last 2 transitions, newest first:');
    expect(lines[8]).toMatch(
      /^ {2}v2 {5}\d{4}-\d\d-\d\dT[\d:.]+Z {2}MENU -> EQUIPO_CONFIRMADO {2}by user {2}"Equipo confirmado"$/,
    );
    expect(lines[9]).toMatch(/^ {2}v1 {5}\S+ {2}INICIO -> MENU {2}by bot$/);
    expect(run.stdout).not.toContain(PHONES[0]);
  });

  it('--show-key prints the key; --json is one document; --limit pages', async () => {
    const file = await withHistory('inspect-json');
    const shown = await cli(['inspect', PHONES[0]!, '--show-key', '--dialect', 'sqlite', '--url', file]);
    expect(shown.stdout.split('\n')[0]).toBe(`session  ${PHONES[0]}`);
    const json = await cli(['inspect', PHONES[0]!, '--json', '--limit', '1', '--dialect', 'sqlite', '--url', file]);
    expect(json.code).toBe(0);
    const document = JSON.parse(json.stdout) as {
      session: Record<string, unknown>;
      transitions: Record<string, unknown>[];
    };
    expect(document.session).toMatchObject({ key: '+52*******0001', state: 'EQUIPO_CONFIRMADO', version: 2 });
    expect(document.transitions).toHaveLength(1);
    expect(document.transitions[0]).toMatchObject({
      key: '+52*******0001',
      version: 2,
      previousState: 'MENU',
      state: 'EQUIPO_CONFIRMADO',
      origin: 'user',
      reason: 'Equipo confirmado',
    });
  });

  it('exits 1 for a key with no session, 2 without a key or with a bad limit', async () => {
    const file = await withHistory('inspect-missing');
    const missing = await cli(['inspect', '+5215599999999', '--dialect', 'sqlite', '--url', file]);
    expect(missing).toMatchObject({ code: 1, stdout: '', stderr: 'no session with key +52*******9999.\n' });
    const noKey = await cli(['inspect', '--dialect', 'sqlite', '--url', file]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('Expected `<key>` to be the session key to inspect, got undefined.');
    const badLimit = await cli(['inspect', PHONES[0]!, '--limit', '0', '--dialect', 'sqlite', '--url', file]);
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toContain(
      'Expected `--limit` to be a whole number from 1 to 999, got a string of 1 character.',
    );
  });
});
