/**
 * Concurrent migrators: ten PostgreSQL connections, ten MySQL / MariaDB connections, and several SQLite
 * processes on one file, run migrate() at the same moment. Each migration must be applied once and every caller succeed. The
 * negative controls run the same workload without the lock and must be seen failing.
 */
import { fork } from 'node:child_process';
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  migrate,
  type MigrateOptions,
  type MysqlMigrationConnection,
  type PostgresMigrationClient,
} from '../../src/migrations/index.js';
import { describeUnavailable } from '../support/environment.js';
import {
  mysqlMigrationTarget,
  postgresMigrationTarget,
  sqliteMigrationTarget,
  type MigrationTarget,
} from './migration-targets.js';

const IDS = [
  '0001_create_sessions',
  '0002_adopt_existing_table',
  '0003_processed_operations',
  '0005_session_history',
  '0006_session_listing_index',
  '0007_processed_by_session_key',
];

interface Outcome {
  ok: boolean;
  applied: string[];
  error?: string;
}

async function settle(runs: Promise<{ applied: readonly { id: string }[] }>[]): Promise<Outcome[]> {
  const results = await Promise.allSettled(runs);
  return results.map((result) =>
    result.status === 'fulfilled'
      ? { ok: true, applied: result.value.applied.map((migration) => migration.id) }
      : { ok: false, applied: [], error: String((result.reason as Error).message) },
  );
}

/** A real client that drops the advisory lock statement: the runner's own workload without its lock. */
function withoutLock(client: pg.Client): PostgresMigrationClient {
  return {
    query: (config) =>
      config.text.includes('pg_advisory_xact_lock')
        ? Promise.resolve({ rows: [] })
        : (client.query(config) as Promise<{ rows: Record<string, unknown>[] }>),
  };
}

/** A real connection that skips GET_LOCK / RELEASE_LOCK: the runner's own workload without its lock. */
function withoutNamedLock(connection: MysqlMigrationConnection): MysqlMigrationConnection {
  return {
    query: (sql, values) =>
      /GET_LOCK|RELEASE_LOCK/.test(sql)
        ? Promise.resolve([[{ acquired: 1 }], []] as [unknown, unknown])
        : connection.query(sql, values),
  };
}

/** A database server's concurrent-migrator cases: the same ten-connection race for each dialect. */
interface ServerMigrators {
  readonly title: string;
  readonly target: MigrationTarget;
  /** The statement that serialises migrators, named in the case title. */
  readonly lock: string;
  /** A connection's `pool` option with the lock statements skipped: the negative control's migrator. */
  withoutLock(pool: unknown): unknown;
  /** What the unlocked race fails with. */
  readonly raceFailure: RegExp;
}

async function defineServerMigrators(spec: ServerMigrators): Promise<void> {
  const { target } = spec;
  const availability = await target.availability();
  if (!availability.available) {
    describeUnavailable(target.dialect, spec.title, availability.reason);
    return;
  }
  describe(spec.title, () => {
    afterAll(() => target.close());

    async function tenMigrators(wrap: (pool: unknown) => unknown): Promise<{ outcomes: Outcome[]; ids: string[] }> {
      const place = await target.place();
      const connections = await Promise.all(Array.from({ length: 10 }, () => place.connect()));
      try {
        // Every connection is open before any migrator starts, so they really race.
        const outcomes = await settle(
          connections.map((connection) =>
            migrate({ ...connection.options, pool: wrap(connection.options.pool) } as MigrateOptions),
          ),
        );
        const tracked = await place
          .exec(`SELECT id FROM ${place.qualified('versioned_sessions_migrations')} ORDER BY id`)
          .catch(() => []);
        return { outcomes, ids: tracked.map((row) => String(row['id'])) };
      } finally {
        await Promise.all(connections.map((connection) => connection.close()));
      }
    }

    it(`applies each migration once and all ten calls succeed (${spec.lock})`, async () => {
      const { outcomes, ids } = await tenMigrators((pool) => pool);
      expect(outcomes.filter((outcome) => !outcome.ok)).toEqual([]);
      expect(outcomes.flatMap((outcome) => outcome.applied).sort()).toEqual(IDS);
      expect(ids).toEqual(IDS);
    });

    it('negative control: the same ten migrators without the lock fail', async () => {
      // A race is not certain on any one round on a loaded machine; it must show within a few fresh rounds.
      let failures: Outcome[] = [];
      for (let round = 0; round < 5 && failures.length === 0; round++) {
        const { outcomes } = await tenMigrators((pool) => spec.withoutLock(pool));
        failures = outcomes.filter((outcome) => !outcome.ok);
      }
      expect(failures.length).toBeGreaterThan(0);
      expect(failures[0]!.error).toMatch(spec.raceFailure);
    });
  });
}

await defineServerMigrators({
  title: 'PostgreSQL: 10 concurrent migrators',
  target: postgresMigrationTarget(),
  lock: 'pg_advisory_xact_lock',
  withoutLock: (pool) => withoutLock(pool as pg.Client),
  raceFailure: /duplicate key|already exists|deadlock/,
});

await defineServerMigrators({
  title: 'MySQL / MariaDB: 10 concurrent migrators',
  target: mysqlMigrationTarget(),
  lock: 'GET_LOCK',
  withoutLock: (pool) => withoutNamedLock(pool as MysqlMigrationConnection),
  raceFailure: /Duplicate entry|Duplicate column|Duplicate key name|already exists|Deadlock/i,
});

function migrateInProcesses(file: string, processes: number, unlocked: boolean): Promise<Outcome[]> {
  const children = Array.from({ length: processes }, () =>
    fork(new URL('../support/migrate-worker.mjs', import.meta.url), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const ready = children.map((child) => new Promise<void>((resolve) => child.once('message', () => resolve())));
  const done = children.map(
    (child) =>
      new Promise<Outcome>((resolve, reject) => {
        child.on('message', (message: { type: string } & Outcome) => {
          if (message.type === 'done') resolve(message);
        });
        child.once('exit', (code) => reject(new Error(`a migrator process exited with code ${code} before reporting`)));
      }),
  );
  for (const child of children) child.send({ file, unlocked });
  return Promise.all(ready).then(() => {
    for (const child of children) child.send('go');
    return Promise.all(done);
  });
}

describe('SQLite: concurrent migrator processes on one file', () => {
  const sqlite = sqliteMigrationTarget();
  afterAll(() => sqlite.close());

  // On a new file the first CREATE TABLE takes the write lock before anything is read, which would
  // serialise even unlocked migrators; an existing, empty tracking table leaves them the read-then-write race.
  async function placeWithTrackingTable(): Promise<Awaited<ReturnType<typeof sqlite.place>>> {
    const place = await sqlite.place();
    await place.exec(
      "CREATE TABLE versioned_sessions_migrations (id TEXT NOT NULL PRIMARY KEY, checksum TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))",
    );
    return place;
  }

  it('applies each migration once and every process succeeds (BEGIN IMMEDIATE)', async () => {
    const place = await placeWithTrackingTable();
    const outcomes = await migrateInProcesses(place.location, 6, false);
    expect(outcomes.filter((outcome) => !outcome.ok)).toEqual([]);
    expect(outcomes.flatMap((outcome) => outcome.applied).sort()).toEqual(IDS);
    expect(
      (await place.exec('SELECT id FROM versioned_sessions_migrations ORDER BY id')).map((row) => row['id']),
    ).toEqual(IDS);
  });

  it('negative control: the same processes with a deferred BEGIN fail', async () => {
    let failures: Outcome[] = [];
    for (let round = 0; round < 5 && failures.length === 0; round++) {
      const place = await placeWithTrackingTable();
      const outcomes = await migrateInProcesses(place.location, 6, true);
      failures = outcomes.filter((outcome) => !outcome.ok);
    }
    expect(failures.length).toBeGreaterThan(0);
    expect(failures[0]!.error).toMatch(/SQLITE_BUSY|database is locked|UNIQUE constraint/);
  });
});
