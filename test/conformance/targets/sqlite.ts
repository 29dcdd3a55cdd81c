import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveNames } from '../../../src/core/sql/table-names.js';
import { SessionRepository } from '../../../src/core/repository/repository.js';
import { migrate } from '../../../src/migrations/index.js';
import { SqliteSessionStore } from '../../../src/sqlite/index.js';
import { suiteLog } from '../../support/log-sink.js';
import { uniqueName } from '../../support/names.js';
import { countingSqlite } from '../../support/statement-counter.js';
import type { DialectTarget, Fixture, FixtureOptions } from '../target.js';

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

export function sqliteTarget(): DialectTarget {
  const databases: Database.Database[] = [];
  const byFixture = new WeakMap<Fixture, Database.Database>();
  const folders: string[] = [];
  const target: DialectTarget = {
    dialect: 'sqlite',
    availability: () => Promise.resolve({ available: true, url: 'better-sqlite3 temp files' }),
    async createFixture(options: FixtureOptions = {}): Promise<Fixture> {
      const folder = mkdtempSync(join(tmpdir(), 'versioned-sessions-'));
      folders.push(folder);
      const file = join(folder, 'sessions.db');
      const database = new Database(file);
      databases.push(database);
      const tableOptions = {
        table: uniqueName('sessions'),
        processedTable: uniqueName('processed'),
        ...options.tableOptions,
      };
      const names = resolveNames('sqlite', tableOptions);
      if (options.migrate !== false) await migrate({ dialect: 'sqlite', database, ...tableOptions });
      const store = new SqliteSessionStore({ database, ...tableOptions });
      const fixture: Fixture = {
        names,
        tableOptions,
        store,
        repository: new SessionRepository({ store, logger: suiteLog.logger }),
        connection: { dialect: 'sqlite', location: file, tableOptions },
        exec(sql, params = []) {
          const statement = database.prepare(sql);
          if (statement.reader) return Promise.resolve(statement.all(...params) as Record<string, unknown>[]);
          statement.run(...params);
          return Promise.resolve([]);
        },
        quote,
        newStore: (storeOptions) => new SqliteSessionStore({ database, ...storeOptions } as never),
        countingStore: () => {
          const { connection, log } = countingSqlite(database);
          return { store: new SqliteSessionStore({ database: connection, ...tableOptions }), statements: log.texts };
        },
        table: quote(names.table),
        placeholder: () => '?',
      };
      byFixture.set(fixture, database);
      return fixture;
    },
    beginTransaction(fixture) {
      const database = byFixture.get(fixture)!;
      // An explicit BEGIN, not database.transaction(fn): fn would commit before any awaited call ran.
      database.exec('BEGIN IMMEDIATE');
      return Promise.resolve({
        handle: database,
        exec: (sql, params = []) => fixture.exec(sql, params),
        commit: () => Promise.resolve(void database.exec('COMMIT')),
        rollback: () => Promise.resolve(void database.exec('ROLLBACK')),
      });
    },
    async makeVersionNullable(fixture) {
      // SQLite cannot drop NOT NULL in place: rebuild the table with a nullable version column.
      const c = fixture.names.columns;
      const t = fixture.table;
      const legacy = quote(`${fixture.names.table}_legacy`);
      await fixture.exec(
        `CREATE TABLE ${legacy} (${quote(c.key)} TEXT PRIMARY KEY, ${quote(c.state)} TEXT, ${quote(c.data)} TEXT, ` +
          `${quote(c.version)} INTEGER NULL, ${quote(c.createdAt)} TEXT NOT NULL, ${quote(c.updatedAt)} TEXT NOT NULL)`,
      );
      await fixture.exec(`INSERT INTO ${legacy} SELECT * FROM ${t}`);
      await fixture.exec(`DROP TABLE ${t}`);
      await fixture.exec(`ALTER TABLE ${legacy} RENAME TO ${t}`);
    },
    async dropColumn(fixture, column) {
      await fixture.exec(`ALTER TABLE ${fixture.table} DROP COLUMN ${quote(column)}`);
    },
    close() {
      for (const database of databases.splice(0)) database.close();
      for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
  return target;
}
