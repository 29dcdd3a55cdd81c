/**
 * Error classification and `isTransientError` on errors raised for real by the installed
 * better-sqlite3: each case runs the statement that makes SQLite fail the way the store can meet it.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { classifySqliteError } from '../../src/sqlite/sqlite-errors.js';
import { isTransientError } from '../../src/sqlite/index.js';

const database = new Database(':memory:');
database.exec('CREATE TABLE sessions (key TEXT PRIMARY KEY, state TEXT, token TEXT UNIQUE)');
database.exec("INSERT INTO sessions (key, state, token) VALUES ('a', NULL, 't')");
const folder = mkdtempSync(join(tmpdir(), 'versioned-sessions-errors-'));

afterAll(() => {
  database.close();
  rmSync(folder, { recursive: true, force: true });
});

function errorOf(sql: string, on: Database.Database = database): unknown {
  try {
    on.exec(sql);
  } catch (error) {
    return error;
  }
  throw new Error(`expected ${sql} to fail`);
}

describe('classifySqliteError', () => {
  it.each([
    [
      'a duplicate primary key',
      "INSERT INTO sessions (key) VALUES ('a')",
      'SQLITE_CONSTRAINT_PRIMARYKEY',
      'unique-violation',
    ],
    [
      'a duplicate unique column',
      "INSERT INTO sessions (key, token) VALUES ('b', 't')",
      'SQLITE_CONSTRAINT_UNIQUE',
      'unique-violation',
    ],
    ['a missing table', 'SELECT * FROM missing_table', 'SQLITE_ERROR', 'schema-missing'],
    ['a missing column in a read', 'SELECT version FROM sessions', 'SQLITE_ERROR', 'schema-missing'],
    [
      'a missing column in an insert',
      "INSERT INTO sessions (key, version) VALUES ('c', 1)",
      'SQLITE_ERROR',
      'schema-missing',
    ],
    [
      'an ON CONFLICT target without a unique index (an adopted table)',
      "INSERT INTO sessions (key, state) VALUES ('d', 'x') ON CONFLICT (state) DO NOTHING",
      'SQLITE_ERROR',
      'schema-missing',
    ],
    [
      'a NOT NULL violation',
      'CREATE TABLE n (v TEXT NOT NULL); INSERT INTO n VALUES (NULL)',
      'SQLITE_CONSTRAINT_NOTNULL',
      'other',
    ],
    ['a syntax error', 'SELEC 1', 'SQLITE_ERROR', 'other'],
  ])('%s is %s', (_title, sql, code, kind) => {
    const error = errorOf(sql);
    expect(error).toMatchObject({ code });
    expect(classifySqliteError(error)).toBe(kind);
    expect(isTransientError(error)).toBe(false);
  });

  it('a write lock held by another connection past the busy timeout is transient (SQLITE_BUSY)', () => {
    const file = join(folder, 'busy.db');
    const holder = new Database(file);
    const waiter = new Database(file);
    try {
      holder.pragma('journal_mode = WAL');
      holder.exec('CREATE TABLE t (v INTEGER)');
      waiter.pragma('busy_timeout = 0');
      holder.exec('BEGIN IMMEDIATE');
      const error = errorOf('BEGIN IMMEDIATE', waiter);
      holder.exec('ROLLBACK');
      expect(error).toMatchObject({ code: 'SQLITE_BUSY' });
      expect(classifySqliteError(error)).toBe('transient');
      expect(isTransientError(error)).toBe(true);
    } finally {
      waiter.close();
      holder.close();
    }
  });

  it('values that are not driver errors are other, never transient', () => {
    for (const value of [new Error('no such thing'), 'SQLITE_BUSY', null, undefined, { code: 42 }]) {
      expect(classifySqliteError(value)).toBe('other');
      expect(isTransientError(value)).toBe(false);
    }
  });
});
