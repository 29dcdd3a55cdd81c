/**
 * The optional guard_legacy_writes migration: a trigger that makes an UPDATE from code outside the
 * library bump the version, so versioned writers see it as a conflict. First the lost write it exists
 * for, reproduced; then the guard's effect on the library's own writes, the runner's handling of an
 * optional migration, and raw writers racing the library in worker threads, with a negative control.
 */
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { ConcurrencyError, InvalidArgumentError } from '../../src/core/errors.js';
import { SessionRepository } from '../../src/core/repository/repository.js';
import { migrate, migrationStatus, renderMigrations, type MigrateOptions } from '../../src/migrations/index.js';
import { MysqlSessionStore } from '../../src/mysql/index.js';
import { PostgresSessionStore } from '../../src/postgres/index.js';
import { SqliteSessionStore } from '../../src/sqlite/index.js';
import { runCli } from '../../src/cli/run-cli.js';
import { isRequired } from '../support/environment.js';
import {
  mysqlMigrationTarget,
  postgresMigrationTarget,
  sqliteMigrationTarget,
  type MigrationPlace,
  type MigrationTarget,
} from './migration-targets.js';

const KEY = '+5215512345678';
const GUARD = 'guard_legacy_writes';

function storeOptions(options: MigrateOptions, extra: Record<string, unknown> = {}): SessionRepository {
  const { dialect, pool, database, schema } = options;
  if (dialect === 'sqlite')
    return new SessionRepository({ store: new SqliteSessionStore({ database: database as never, ...extra }) });
  if (dialect === 'mysql') {
    const store = new MysqlSessionStore({
      pool: pool as never,
      ...(schema === undefined ? {} : { database: schema }),
      ...extra,
    });
    return new SessionRepository({ store });
  }
  return new SessionRepository({
    store: new PostgresSessionStore({ pool: pool as never, ...(schema === undefined ? {} : { schema }), ...extra }),
  });
}

/** Raw SQL on the default sessions table, as code from before the library writes it. */
function legacy(place: MigrationPlace) {
  const dialect = place.options.dialect;
  const quote = (name: string): string => (dialect === 'mysql' ? `\`${name}\`` : `"${name}"`);
  const table = place.qualified('sessions');
  const p = (n: number): string => (dialect === 'postgres' ? `$${n}` : '?');
  const counter =
    dialect === 'mysql'
      ? `CAST(CAST(${quote('state')} AS SIGNED) + 1 AS CHAR)`
      : `CAST(CAST(${quote('state')} AS INTEGER) + 1 AS VARCHAR(20))`;
  return {
    setState: (state: string) =>
      place.exec(`UPDATE ${table} SET ${quote('state')} = ${p(1)} WHERE ${quote('key')} = ${p(2)}`, [state, KEY]),
    touchOnly: () =>
      place.exec(
        `UPDATE ${table} SET ${quote('updated_at')} = ${quote('updated_at')} WHERE ${quote('key')} = ${p(1)}`,
        [KEY],
      ),
    setStateAndVersion: (state: string) =>
      place.exec(
        `UPDATE ${table} SET ${quote('state')} = ${p(1)}, ${quote('version')} = ${quote('version')} + 1 WHERE ${quote('key')} = ${p(2)}`,
        [state, KEY],
      ),
    /** The race's legacy write: the counter kept in the state column, plus one, in one statement. */
    incrementSql: `UPDATE ${table} SET ${quote('state')} = ${counter} WHERE ${quote('key')} = ${p(1)}`,
    async version(): Promise<number> {
      const rows = await place.exec(`SELECT ${quote('version')} AS v FROM ${table} WHERE ${quote('key')} = ${p(1)}`, [
        KEY,
      ]);
      return Number(rows[0]!['v']);
    },
  };
}

interface WorkerOutcome {
  applied: number;
  conflicts: number;
  attempts: number;
}

/** Runs the legacy and library workers against each other, all started at once. */
async function race(place: MigrationPlace, rounds: { legacy: number; library: number }): Promise<WorkerOutcome[][]> {
  const { dialect, schema } = place.options;
  const common = {
    dialect,
    location: place.location,
    schema,
    tableOptions: {},
    key: KEY,
    tasks: 3,
    legacySql: legacy(place).incrementSql,
  };
  const roles = [
    ...Array.from({ length: rounds.legacy }, () => 'legacy'),
    ...Array.from({ length: rounds.library }, () => 'library'),
  ];
  const workers = roles.map(
    (role) =>
      new Worker(new URL('../support/legacy-race-worker.mjs', import.meta.url), {
        workerData: { ...common, role, writes: role === 'legacy' ? 15 : 10 },
      }),
  );
  const reports = workers.map(
    (worker) =>
      new Promise<{ ready: Promise<void>; done: Promise<WorkerOutcome> }>((resolveOuter) => {
        let markReady!: () => void;
        const ready = new Promise<void>((resolve) => (markReady = resolve));
        const done = new Promise<WorkerOutcome>((resolve, reject) => {
          worker.on('message', (message: { type: string } & WorkerOutcome) => {
            if (message.type === 'ready') markReady();
            if (message.type === 'done') resolve(message);
          });
          worker.on('error', reject);
          worker.on('exit', (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)));
        });
        resolveOuter({ ready, done });
      }),
  );
  const handles = await Promise.all(reports);
  await Promise.all(handles.map((handle) => handle.ready));
  for (const worker of workers) worker.postMessage('go');
  const outcomes = await Promise.all(handles.map((handle) => handle.done));
  return [outcomes.slice(0, rounds.legacy), outcomes.slice(rounds.legacy)];
}

/** One race on a fresh place: how many legacy increments landed and how many the final state still holds. */
async function raceOnce(target: MigrationTarget, guarded: boolean) {
  const place = await target.place();
  await migrate({ ...place.options, guardLegacyWrites: guarded });
  const repository = storeOptions(place.options);
  await repository.getOrCreateSession(KEY, { state: '0', data: { counter: 0 } });
  const [legacyOutcomes, libraryOutcomes] = await race(place, { legacy: 2, library: 2 });
  const session = (await repository.getSession(KEY))!;
  const legacyWrites = legacyOutcomes!.reduce((sum, outcome) => sum + outcome.applied, 0);
  const libraryWrites = libraryOutcomes!.reduce((sum, outcome) => sum + outcome.applied, 0);
  return {
    legacyWrites,
    libraryWrites,
    kept: Number(session.state),
    counter: (session.data as { counter: number }).counter,
    conflicts: libraryOutcomes!.reduce((sum, outcome) => sum + outcome.conflicts, 0),
    lost: legacyWrites - Number(session.state),
  };
}

const targets = [sqliteMigrationTarget(), postgresMigrationTarget(), mysqlMigrationTarget()];

for (const target of targets) {
  const availability = await target.availability();
  if (!availability.available) {
    if (isRequired(target.dialect)) {
      describe(`${target.dialect} legacy-writer guard`, () => {
        it('is required but unavailable', () => {
          throw new Error(`${target.dialect} is required but unavailable: ${availability.reason}`);
        });
      });
    } else {
      describe.skip(`${target.dialect} legacy-writer guard (skipped: ${availability.reason})`, () => {
        it('needs a database', () => undefined);
      });
    }
    continue;
  }

  describe(`${target.dialect} legacy-writer guard`, () => {
    afterAll(() => target.close());

    it('reproduced without the guard: a raw UPDATE between the read and the versioned write is lost, no conflict', async () => {
      const place = await target.place();
      await migrate(place.options);
      const repository = storeOptions(place.options);
      await repository.getOrCreateSession(KEY, { state: 'MENU' });
      const read = (await repository.getSessionWithVersion(KEY))!;
      await legacy(place).setState('CANCELADA_POR_SISTEMA_VIEJO');
      const written = await repository.updateSession(KEY, { state: 'PAGO' }, { expectedVersion: read.version });
      expect(written).toMatchObject({ state: 'PAGO', version: 1 });
      // Nothing anywhere says the legacy write happened.
      expect(await legacy(place).version()).toBe(1);
    });

    it('with the guard the same raw UPDATE bumps the version, and the versioned write is a ConcurrencyError', async () => {
      const place = await target.place();
      const report = await migrate({ ...place.options, guardLegacyWrites: true });
      expect(report.applied.map((migration) => migration.id).at(-1)).toBe(GUARD);
      const repository = storeOptions(place.options);
      await repository.getOrCreateSession(KEY, { state: 'MENU' });
      const read = (await repository.getSessionWithVersion(KEY))!;
      await legacy(place).setState('CANCELADA_POR_SISTEMA_VIEJO');
      expect(await legacy(place).version()).toBe(1);
      const error = await repository
        .updateSession(KEY, { state: 'PAGO' }, { expectedVersion: read.version })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConcurrencyError);
      expect(error).toMatchObject({ expectedVersion: 0, actualVersion: 1 });
      expect(await repository.getSession(KEY)).toMatchObject({ state: 'CANCELADA_POR_SISTEMA_VIEJO', version: 1 });
    });

    it("the library's own writes get no second bump: versioned, unconditional, observed, keyed, history; touch and a raw touch bump nothing", async () => {
      const place = await target.place();
      await migrate({ ...place.options, guardLegacyWrites: true });
      const repository = storeOptions(place.options, { history: true });
      const observing = new SessionRepository({ store: repository.store, lockingMode: 'observe' });
      await repository.getOrCreateSession(KEY, { state: 'A' });
      expect(await repository.updateSession(KEY, { state: 'B' }, { expectedVersion: 0 })).toMatchObject({ version: 1 });
      expect(await repository.updateSession(KEY, { data: { paso: 1 } })).toMatchObject({ version: 2 });
      expect(await observing.updateSession(KEY, { state: 'C' }, { expectedVersion: 0 })).toMatchObject({ version: 3 });
      expect(
        await repository.updateSession(KEY, { state: 'D' }, { expectedVersion: 3, idempotencyKey: 'wamid.GUARD1' }),
      ).toMatchObject({ version: 4 });
      await repository.touchSession(KEY);
      await legacy(place).touchOnly();
      expect(await legacy(place).version()).toBe(4);
      // A stale-free writer still writes on the version it read: no spurious conflict.
      expect(await repository.updateSession(KEY, { state: 'E' }, { expectedVersion: 4 })).toMatchObject({
        version: 5,
      });
      // A raw writer that bumps the version itself is left alone.
      await legacy(place).setStateAndVersion('F');
      expect(await legacy(place).version()).toBe(6);
      const history = await repository.getSessionHistory(KEY, { limit: 10 });
      expect(history.map((transition) => transition.version)).toEqual([5, 4, 3, 2, 1]);
    });

    if (target.dialect === 'sqlite') {
      it('SQLite: with PRAGMA recursive_triggers on, a raw UPDATE still bumps the version exactly once', async () => {
        const place = await target.place();
        await migrate({ ...place.options, guardLegacyWrites: true });
        await place.exec('PRAGMA recursive_triggers = ON');
        const repository = storeOptions(place.options);
        await repository.getOrCreateSession(KEY, { state: 'MENU' });
        await legacy(place).setState('X');
        await legacy(place).setState('Y');
        expect(await legacy(place).version()).toBe(2);
        expect(await repository.updateSession(KEY, { state: 'Z' }, { expectedVersion: 2 })).toMatchObject({
          version: 3,
        });
      });
    }

    it('is opt-in, recorded, idempotent, left alone by later plain runs, and removable (then re-installable)', async () => {
      const place = await target.place();
      const first = await migrate(place.options);
      expect(first.applied.map((migration) => migration.id)).not.toContain(GUARD);
      expect((await migrationStatus(place.options)).pending).toEqual([]);
      const installed = await migrate({ ...place.options, guardLegacyWrites: true });
      expect(installed.applied.map((migration) => migration.id)).toEqual([GUARD]);
      const again = await migrate({ ...place.options, guardLegacyWrites: true });
      expect(again.applied).toEqual([]);
      expect(again.alreadyApplied.map((migration) => migration.id)).toContain(GUARD);
      // A plain run (an older deploy script, say) neither refuses the record nor removes the trigger.
      expect((await migrate(place.options)).applied).toEqual([]);
      const status = await migrationStatus(place.options);
      expect(status.applied.map((migration) => migration.id)).toContain(GUARD);
      expect([status.pending, status.changed, status.unknown]).toEqual([[], [], []]);

      const repository = storeOptions(place.options);
      await repository.getOrCreateSession(KEY, { state: 'MENU' });
      await legacy(place).setState('X');
      expect(await legacy(place).version()).toBe(1);

      const removed = await migrate({ ...place.options, removeLegacyGuard: true });
      expect(removed).toMatchObject({ applied: [], removed: [GUARD] });
      expect((await migrationStatus(place.options)).applied.map((migration) => migration.id)).not.toContain(GUARD);
      await legacy(place).setState('Y');
      expect(await legacy(place).version()).toBe(1);
      expect(await migrate({ ...place.options, removeLegacyGuard: true })).toMatchObject({ removed: [GUARD] });

      expect((await migrate({ ...place.options, guardLegacyWrites: true })).applied.map((m) => m.id)).toEqual([GUARD]);
      await legacy(place).setState('Z');
      expect(await legacy(place).version()).toBe(2);
    });

    it('refuses asking for both, or a non-boolean, before anything is touched', async () => {
      const place = await target.place();
      for (const options of [
        { guardLegacyWrites: true, removeLegacyGuard: true },
        { guardLegacyWrites: 'yes' },
        { removeLegacyGuard: 1 },
      ]) {
        const error = await migrate({ ...place.options, ...(options as object) }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidArgumentError);
      }
      expect(() =>
        renderMigrations({ dialect: target.dialect, guardLegacyWrites: true, removeLegacyGuard: true }),
      ).toThrow(InvalidArgumentError);
      expect((await migrationStatus(place.options)).applied).toEqual([]);
    });

    it('raw writers racing the library in worker threads: with the guard no legacy write is lost; without it (negative control) some are', async () => {
      const guarded = await raceOnce(target, true);
      console.info(`[legacy guard] ${target.dialect} with the guard: ${JSON.stringify(guarded)}`);
      expect(guarded.legacyWrites).toBe(2 * 3 * 15);
      expect(guarded.libraryWrites).toBe(2 * 3 * 10);
      expect(guarded.counter).toBe(guarded.libraryWrites);
      // Every legacy increment is still in the state: each one that landed between a library read and
      // write made that write a conflict (counted in `conflicts`, with the library's own), never lost.
      expect(guarded.kept).toBe(guarded.legacyWrites);
      expect(guarded.lost).toBe(0);

      // The same race without the trigger: the library's write-backs overwrite legacy increments silently.
      // A loss needs a legacy write to land inside a read-write window; on a loaded machine one round may
      // run with no overlap, so the loss must show within a few fresh rounds.
      const controls: Awaited<ReturnType<typeof raceOnce>>[] = [];
      for (let round = 0; round < 5 && !controls.some((control) => control.lost > 0); round += 1) {
        controls.push(await raceOnce(target, false));
      }
      console.info(`[legacy guard] ${target.dialect} without it: ${JSON.stringify(controls)}`);
      expect(controls.every((control) => control.counter === control.libraryWrites)).toBe(true);
      expect(Math.max(...controls.map((control) => control.lost))).toBeGreaterThan(0);
    });
  });
}

describe('CLI: migrate --guard-legacy-writes / --remove-legacy-guard', () => {
  it('applies and removes the guard on a SQLite file, and print renders either script', async () => {
    const target = sqliteMigrationTarget();
    const place = await target.place();
    const out: string[] = [];
    const io = { stdout: (text: string) => out.push(text), stderr: (text: string) => out.push(text), env: {} };
    expect(await runCli(['migrate', '--dialect', 'sqlite', '--url', place.location, '--guard-legacy-writes'], io)).toBe(
      0,
    );
    expect(out.join('')).toContain(`applied  ${GUARD}\n`);
    out.length = 0;
    expect(await runCli(['migrate', '--dialect', 'sqlite', '--url', place.location, '--remove-legacy-guard'], io)).toBe(
      0,
    );
    expect(out.join('')).toContain(`removed  ${GUARD}\n`);
    out.length = 0;
    expect(
      await runCli(
        ['migrate', '--dialect', 'sqlite', '--url', place.location, '--guard-legacy-writes', '--remove-legacy-guard'],
        io,
      ),
    ).toBe(2);
    out.length = 0;
    expect(await runCli(['print', '--dialect', 'sqlite', '--guard-legacy-writes'], io)).toBe(0);
    expect(out.join('')).toContain(`migration ${GUARD}`);
    out.length = 0;
    expect(await runCli(['print', '--dialect', 'postgres', '--remove-legacy-guard'], io)).toBe(0);
    expect(out.join('')).toContain('DROP TRIGGER IF EXISTS "sessions_vs_guard" ON "public"."sessions";');
    expect(out.join('')).not.toContain('CREATE TABLE');
    await target.close();
  });
});
