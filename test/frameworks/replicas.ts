/**
 * Real databases for the framework adapters' tests: one migrated table per test, reached by several
 * "replicas" (bot instances), each with its own connection, as webhook instances in separate
 * processes would be. SQLite replicas open their own connection to one WAL file; PostgreSQL replicas
 * share a pool of ten connections.
 */
import Database from 'better-sqlite3';
import { afterAll, describe } from 'vitest';
import { SessionRepository } from '../../src/index.js';
import { SqliteSessionStore } from '../../src/sqlite/index.js';
import { postgresTarget } from '../conformance/targets/postgres.js';
import { sqliteTarget } from '../conformance/targets/sqlite.js';
import type { DialectTarget, Fixture } from '../conformance/target.js';
import { describeUnavailable } from '../support/environment.js';

export interface Replicas {
  readonly dialect: string;
  readonly fixture: Fixture;
  /** `count` repositories on the fixture's table, each on a connection of its own (SQLite) or of the pool. */
  repositories(count: number): SessionRepository[];
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function replicasOf(target: DialectTarget, fixture: Fixture, opened: Database.Database[]): Replicas {
  return {
    dialect: target.dialect,
    fixture,
    repositories(count) {
      return Array.from({ length: count }, () => {
        if (target.dialect !== 'sqlite') return new SessionRepository({ store: fixture.store, logger: quiet });
        const database = new Database(fixture.connection.location);
        database.pragma('journal_mode = WAL');
        opened.push(database);
        return new SessionRepository({
          store: new SqliteSessionStore({ database, ...fixture.connection.tableOptions }),
          logger: quiet,
        });
      });
    },
  };
}

/** Registers `body` once per dialect that can run here (SQLite and PostgreSQL), or a visible skip. */
export async function describeOnDatabases(
  title: string,
  body: (replicas: () => Promise<Replicas>) => void,
): Promise<void> {
  for (const target of [sqliteTarget(), postgresTarget()]) {
    const availability = await target.availability();
    if (!availability.available) {
      describeUnavailable(target.dialect, `${title} on ${target.dialect}`, availability.reason);
      continue;
    }
    describe(`${title} on ${target.dialect}`, () => {
      const opened: Database.Database[] = [];
      afterAll(async () => {
        for (const database of opened.splice(0)) database.close();
        await target.close();
      });
      body(async () => {
        const fixture = await target.createFixture();
        // Open the pool's connections before a burst, so that no replica's first read waits for a
        // connection to be established while the others run ahead.
        if (target.dialect === 'postgres')
          await Promise.all(Array.from({ length: 10 }, () => fixture.exec('SELECT pg_sleep(0.02)')));
        return replicasOf(target, fixture, opened);
      });
    });
  }
}

/** A pause of 1–8 ms: the time a handler spends between reading its session and writing it back. */
export function handlerPause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1 + Math.floor(Math.random() * 8)));
}

/** How many of `results` were fulfilled, and the rejection reasons of the others. */
export function settle(results: PromiseSettledResult<unknown>[]): { fulfilled: number; reasons: unknown[] } {
  const reasons = results
    .filter((result) => result.status === 'rejected')
    .map((result) => (result as PromiseRejectedResult).reason);
  return { fulfilled: results.length - reasons.length, reasons };
}

/** The number of concurrent updates (turns) of one chat in each concurrency case. */
export const CONCURRENT_UPDATES = 12;
