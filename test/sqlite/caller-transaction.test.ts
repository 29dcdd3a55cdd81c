/**
 * SQLite-only checks of a caller's transaction: better-sqlite3 has no transaction object, so the
 * caller passes the store's own Database, and it must be inside a transaction begun explicitly.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, SessionRepository } from '../../src/index.js';
import { migrate } from '../../src/migrations/index.js';
import { SqliteSessionStore } from '../../src/sqlite/index.js';

const PHONE = '+5215512345678';
const folder = mkdtempSync(join(tmpdir(), 'versioned-sessions-'));
const database = new Database(join(folder, 'sessions.db'));
const other = new Database(':memory:');
await migrate({ dialect: 'sqlite', database });
const repository = new SessionRepository({ store: new SqliteSessionStore({ database }) });

afterAll(() => {
  database.close();
  other.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('sqlite caller transactions', () => {
  it("the store's database outside a transaction, or another database, is refused and nothing is written", async () => {
    await repository.getOrCreateSession(PHONE);
    const outside = await repository
      .updateSession(PHONE, { state: 'X' }, { expectedVersion: 0, transaction: database })
      .catch((e: unknown) => e);
    expect(outside).toBeInstanceOf(InvalidArgumentError);
    expect(outside).toMatchObject({ argument: 'options.transaction' });
    expect((outside as Error).message).toContain("database.exec('BEGIN IMMEDIATE')");
    other.exec('BEGIN');
    const foreign = await repository
      .updateSession(PHONE, { state: 'X' }, { expectedVersion: 0, transaction: other })
      .catch((e: unknown) => e);
    other.exec('ROLLBACK');
    expect(foreign).toMatchObject({ name: 'InvalidArgumentError', argument: 'options.transaction' });
    expect(await repository.getSession(PHONE)).toMatchObject({ state: null, version: 0 });
  });

  it("in observe mode too, the store's database outside a transaction is refused and nothing is written", async () => {
    const observing = new SessionRepository({ store: new SqliteSessionStore({ database }), lockingMode: 'observe' });
    const key = `${PHONE}-observe`;
    await observing.getOrCreateSession(key);
    const outside = await observing
      .updateSession(key, { state: 'X' }, { expectedVersion: 0, transaction: database })
      .catch((e: unknown) => e);
    expect(outside).toMatchObject({ name: 'InvalidArgumentError', argument: 'options.transaction' });
    expect(await observing.getSession(key)).toMatchObject({ state: null, version: 0 });
  });

  it('why the docs say BEGIN explicitly: an async function in database.transaction() runs its statements after it ended', async () => {
    let pending: Promise<unknown> | undefined;
    const attempt = database.transaction(() => {
      pending = repository.updateSession(PHONE, { state: 'FUERA' });
      return pending;
    });
    expect(() => attempt()).toThrow(/cannot return a promise/);
    // better-sqlite3 rolled back and threw, yet the update still ran afterwards, outside any transaction.
    await pending;
    expect(await repository.getSession(PHONE)).toMatchObject({ state: 'FUERA', version: 1 });
  });
});
