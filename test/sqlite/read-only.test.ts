/**
 * SQLite has no logins: its rights are the file's. A connection opened read-only (better-sqlite3's
 * `readonly: true`, which SQLite enforces itself, whoever runs the process) stands in for a process
 * that may read the file but not write it. File modes are not tested: the tests may run as root, for
 * whom the operating system ignores them.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SessionRepository } from '../../src/index.js';
import { MigrationError, migrate, migrationStatus } from '../../src/migrations/index.js';
import { SqliteSessionStore } from '../../src/sqlite/index.js';

const PHONE = '+5215512345678';
const folder = mkdtempSync(join(tmpdir(), 'versioned-sessions-'));
const migratedFile = join(folder, 'sessions.db');
const emptyFile = join(folder, 'empty.db');
const writer = new Database(migratedFile);
await migrate({ dialect: 'sqlite', database: writer });
await new SessionRepository({ store: new SqliteSessionStore({ database: writer }) }).getOrCreateSession(PHONE, {
  state: 'MENU',
});
new Database(emptyFile).close();
const readOnly = new Database(migratedFile, { readonly: true });
const readOnlyEmpty = new Database(emptyFile, { readonly: true });

afterAll(() => {
  for (const database of [writer, readOnly, readOnlyEmpty]) database.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('sqlite on a file the process may only read', () => {
  it('migrate() is a MigrationError naming the write access it needs, and creates nothing', async () => {
    const error = await migrate({ dialect: 'sqlite', database: readOnlyEmpty }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect(error).toMatchObject({
      reason: 'insufficient-privilege',
      dialect: 'sqlite',
      missingRight:
        'a read-write connection, and write access to the database file and the folder it is in (for the journal)',
    });
    expect((error as Error).message).toContain('attempt to write a readonly database');
    expect((error as Error).message).toContain('Run migrations under the login that owns the schema');
    expect(readOnlyEmpty.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([]);
  });

  it("migrationStatus() and the store's reads work; a write is refused by SQLite and changes nothing", async () => {
    expect((await migrationStatus({ dialect: 'sqlite', database: readOnly })).pending).toEqual([]);
    const sessions = new SessionRepository({ store: new SqliteSessionStore({ database: readOnly }) });
    await sessions.verifySchema();
    expect(await sessions.getSession(PHONE)).toMatchObject({ state: 'MENU', version: 0 });
    // Not a library error: the driver's SqliteError, whose code says why.
    await expect(sessions.updateSession(PHONE, { state: 'X' }, { expectedVersion: 0 })).rejects.toMatchObject({
      code: 'SQLITE_READONLY',
    });
    await expect(sessions.markProcessed('wamid.ro.1')).rejects.toMatchObject({ code: 'SQLITE_READONLY' });
    const fromWriter = new SessionRepository({ store: new SqliteSessionStore({ database: writer }) });
    expect(await fromWriter.getSession(PHONE)).toMatchObject({ state: 'MENU', version: 0 });
    expect(await fromWriter.isProcessed('wamid.ro.1')).toBe(false);
  });
});
