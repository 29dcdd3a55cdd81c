/**
 * The migration runner against real databases: one suite, run for each dialect reachable here.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { resolveNames } from '../../src/core/sql/table-names.js';
import { SessionRepository } from '../../src/core/repository/repository.js';
import {
  MigrationError,
  isMigrationError,
  migrate,
  migrationStatus,
  renderMigrations,
  type MigrateOptions,
} from '../../src/migrations/index.js';
import { renderedMigrations } from '../../src/migrations/render.js';
import { MysqlSessionStore } from '../../src/mysql/index.js';
import { PostgresSessionStore } from '../../src/postgres/index.js';
import { SqliteSessionStore } from '../../src/sqlite/index.js';
import { describeUnavailable } from '../support/environment.js';
import {
  mysqlMigrationTarget,
  postgresMigrationTarget,
  sqliteMigrationTarget,
  type MigrationPlace,
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
const TRACKING = 'versioned_sessions_migrations';

function repositoryFor(options: MigrateOptions): SessionRepository {
  const { dialect, pool, database, trackingTable: _tracking, ...names } = options;
  if (dialect === 'sqlite')
    return new SessionRepository({ store: new SqliteSessionStore({ database: database as never, ...names }) });
  if (dialect === 'mysql') {
    const { schema, ...rest } = names;
    return new SessionRepository({
      store: new MysqlSessionStore({
        pool: pool as never,
        ...rest,
        ...(schema === undefined ? {} : { database: schema }),
      }),
    });
  }
  return new SessionRepository({ store: new PostgresSessionStore({ pool: pool as never, ...names }) });
}

async function trackingRows(
  place: MigrationPlace,
  table = TRACKING,
): Promise<{ id: string; checksum: string; applied_at: string }[]> {
  const rows = await place.exec(`SELECT id, checksum, applied_at FROM ${place.qualified(table)} ORDER BY id`);
  return rows.map((row) => ({
    id: String(row['id']),
    checksum: String(row['checksum']),
    applied_at: String(row['applied_at']),
  }));
}

async function rejection(promise: Promise<unknown>): Promise<MigrationError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isMigrationError(error)).toBe(true);
  return error as MigrationError;
}

const targets = [sqliteMigrationTarget(), postgresMigrationTarget(), mysqlMigrationTarget()];

for (const target of targets) {
  const availability = await target.availability();
  if (availability.available) defineRunnerSuite(target);
  else describeUnavailable(target.dialect, `${target.dialect} migration runner`, availability.reason);
}

function defineRunnerSuite(target: MigrationTarget): void {
  describe(`${target.dialect} migration runner`, () => {
    afterAll(() => target.close());

    it('applies every migration once, in order, recording id, checksum and time; the store then works', async () => {
      const place = await target.place();
      const before = Date.now();
      const report = await migrate(place.options);
      expect(report.applied.map((migration) => migration.id)).toEqual(IDS);
      expect(report.alreadyApplied).toEqual([]);
      expect(report.trackingTable).toBe(place.qualified(TRACKING));
      const expected = renderedMigrations(
        target.dialect,
        resolveNames(target.dialect, target.dialect === 'sqlite' ? {} : { schema: place.options.schema! }),
      );
      const rows = await trackingRows(place);
      expect(rows.map(({ id, checksum }) => ({ id, checksum: checksum.trim() }))).toEqual(
        expected.map(({ id, checksum }) => ({ id, checksum })),
      );
      for (const row of rows) expect(new Date(row.applied_at).getTime()).toBeGreaterThan(before - 60_000);
      const repository = repositoryFor(place.options);
      await repository.verifySchema();
      const session = await repository.getOrCreateSession('+5215512345678', { state: 'INICIO' });
      expect((await repository.updateSession(session.key, { state: 'MENU' }, { expectedVersion: 0 })).version).toBe(1);
    });

    it('is a no-op when run again: nothing applied, the records untouched', async () => {
      const place = await target.place();
      await migrate(place.options);
      const first = await trackingRows(place);
      const again = await migrate(place.options);
      expect(again.applied).toEqual([]);
      expect(again.alreadyApplied.map((migration) => migration.id)).toEqual(IDS);
      expect(await trackingRows(place)).toEqual(first);
    });

    it('reports status without creating anything, then applied and pending', async () => {
      const place = await target.place();
      const before = await migrationStatus(place.options);
      expect(before.applied).toEqual([]);
      expect(before.pending.map((migration) => migration.id)).toEqual(IDS);
      expect(await place.columns(TRACKING)).toEqual([]);
      await migrate(place.options);
      const after = await migrationStatus(place.options);
      expect(after.applied.map((migration) => migration.id)).toEqual(IDS);
      expect(after.applied.every((migration) => migration.appliedAt instanceof Date)).toBe(true);
      expect(after.pending).toEqual([]);
      expect(after.changed).toEqual([]);
      expect(after.unknown).toEqual([]);
    });

    it('records the migrations after a DBA applied the printed SQL by hand, changing nothing', async () => {
      const place = await target.place();
      const names =
        target.dialect === 'sqlite'
          ? { table: 'SesionesChat', columns: { key: 'Telefono' } }
          : { schema: place.options.schema!, table: 'SesionesChat', columns: { key: 'Telefono' } };
      await place.runScript(renderMigrations({ dialect: target.dialect, ...names }));
      const columns = await place.columns('SesionesChat');
      await place.exec(
        `INSERT INTO ${place.qualified('SesionesChat')} ("Telefono", state, data, version) VALUES ('+521', 'INICIO', '{}', 4)`,
      );
      const report = await migrate({ ...place.options, ...names });
      expect(report.applied.map((migration) => migration.id)).toEqual(IDS);
      expect(await place.columns('SesionesChat')).toEqual(columns);
      expect(await place.exec(`SELECT version FROM ${place.qualified('SesionesChat')}`)).toEqual([{ version: 4 }]);
      expect((await migrate({ ...place.options, ...names })).applied).toEqual([]);
    });

    it('adopts an existing table without a version column or a unique key (0002), keeping its rows', async () => {
      const place = await target.place();
      const legacy = place.qualified('SesionesChat');
      const json = target.dialect === 'postgres' ? 'jsonb' : 'TEXT';
      if (target.dialect === 'postgres') await place.exec(`CREATE SCHEMA "${place.options.schema}"`);
      await place.exec(
        `CREATE TABLE ${legacy} ("Telefono" varchar(40) NOT NULL, "Estado" varchar(60), "DatosTemp" ${json})`,
      );
      await place.exec(`INSERT INTO ${legacy} VALUES ('+5215512345678', 'REFRI_ESPERA_SAP', '{"paso":2}')`);
      const options = {
        ...place.options,
        table: 'SesionesChat',
        columns: { key: 'Telefono', state: 'Estado', data: 'DatosTemp' },
      };
      await expect(repositoryFor(options).verifySchema()).rejects.toThrow(/npx versioned-sessions migrate --dialect/);
      expect((await migrate(options)).applied.map((migration) => migration.id)).toEqual(IDS);
      const repository = repositoryFor(options);
      await repository.verifySchema();
      const session = await repository.getSession('+5215512345678');
      expect(session).toMatchObject({ state: 'REFRI_ESPERA_SAP', data: { paso: 2 }, version: 0 });
      expect(session!.createdAt.getTime()).toBeGreaterThan(Date.now() - 600_000);
      // The unique key 0002 added is what makes the create race-free; a duplicate is refused.
      await expect(place.exec(`INSERT INTO ${legacy} ("Telefono") VALUES ('+5215512345678')`)).rejects.toThrow(
        /unique|duplicate entry/i,
      );
      expect((await repository.getOrCreateSession('+5215512345678')).version).toBe(0);
      expect(await place.columns('SesionesChat')).toEqual([
        'created_at',
        'datostemp',
        'estado',
        'telefono',
        'updated_at',
        'version',
      ]);
    });

    it('refuses a changed checksum with a sentence saying what to do, and applies nothing', async () => {
      const place = await target.place();
      await migrate(place.options);
      await place.exec(
        `UPDATE ${place.qualified(TRACKING)} SET checksum = '${'0'.repeat(64)}' WHERE id = '0002_adopt_existing_table'`,
      );
      await place.exec(`DELETE FROM ${place.qualified(TRACKING)} WHERE id = '0003_processed_operations'`);
      const error = await rejection(migrate(place.options));
      expect(error).toBeInstanceOf(MigrationError);
      expect(error).toMatchObject({
        name: 'MigrationError',
        reason: 'checksum-mismatch',
        migrationId: '0002_adopt_existing_table',
        dialect: target.dialect,
      });
      expect(error.message).toContain(
        'Run migrate with the same schema, table, column, processed-table and history-table names',
      );
      expect((await trackingRows(place)).map((row) => row.id)).toEqual(
        IDS.filter((id) => id !== '0003_processed_operations'),
      );
      expect((await migrationStatus(place.options)).changed.map((migration) => migration.id)).toEqual([
        '0002_adopt_existing_table',
      ]);
    });

    // A sessions table with legacy names next to the default one, in the same schema.
    const chat = {
      table: 'sesiones_chat',
      columns: { key: 'telefono', state: 'estado', data: 'datos_temp' },
      processedTable: 'sesiones_procesadas',
      historyTable: 'sesiones_historial',
    };

    it('a second sessions table in the same schema just works: its own record, derived from its table name', async () => {
      const place = await target.place();
      await migrate(place.options);
      const other = { ...place.options, ...chat };
      const report = await migrate(other);
      expect(report.applied.map((migration) => migration.id)).toEqual(IDS);
      expect(report.trackingTable).toBe(place.qualified(`${TRACKING}_sesiones_chat`));
      for (const options of [place.options, other]) {
        const status = await migrationStatus(options);
        expect([status.pending, status.changed, status.unknown]).toEqual([[], [], []]);
        expect((await migrate(options)).applied).toEqual([]);
        await repositoryFor(options).verifySchema();
      }
      expect(await trackingRows(place)).toHaveLength(IDS.length);
      // The history table is the one named, not the default.
      expect(await place.columns('sesiones_historial')).toContain('previous_state');
      // One tracking table given for both is still refused: its record is the first table's.
      const shared = await rejection(migrate({ ...other, trackingTable: TRACKING }));
      expect(shared.reason).toBe('checksum-mismatch');
    });

    it('a sessions table recorded in the shared tracking table by an earlier version stays up to date there', async () => {
      const place = await target.place();
      const other = { ...place.options, ...chat };
      // What the earlier version did by default: every sessions table recorded in the shared table.
      await migrate({ ...other, trackingTable: TRACKING });
      const status = await migrationStatus(other);
      expect(status.trackingTable).toBe(place.qualified(TRACKING));
      expect([status.pending, status.changed, status.unknown]).toEqual([[], [], []]);
      expect(await migrate(other)).toMatchObject({ applied: [], trackingTable: place.qualified(TRACKING) });
      expect(await place.columns(`${TRACKING}_sesiones_chat`)).toEqual([]);
      // The default-named table's record is the shared table, which here holds the other table's: that
      // is refused (as a change of its names would be) with the way out, a tracking table of its own.
      const refused = await rejection(migrate(place.options));
      expect(refused.reason).toBe('checksum-mismatch');
      expect(refused.message).toContain('trackingTable');
      expect((await migrate({ ...place.options, trackingTable: 'default_migrations' })).applied).toHaveLength(
        IDS.length,
      );
      // A third table gets its own record.
      const third = {
        ...place.options,
        table: 'sesiones_web',
        processedTable: 'web_procesadas',
        historyTable: 'web_historial',
      };
      expect((await migrate(third)).trackingTable).toBe(place.qualified(`${TRACKING}_sesiones_web`));
    });

    it('the MigrationRequiredError of a store on a second table names every flag its migrate needs', async () => {
      const place = await target.place();
      await migrate(place.options);
      const other = { ...place.options, ...chat };
      const error = await repositoryFor(other)
        .verifySchema()
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'MigrationRequiredError' });
      const command = (error as { command: string }).command;
      // The command's flags, read back as migrate() options: applying them completes the schema.
      const flags = [...command.matchAll(/--([a-z-]+) (\S+)/g)].map((match) => [match[1]!, match[2]!] as const);
      const byFlag: Record<string, (value: string, into: Record<string, unknown>) => void> = {
        dialect: () => {},
        url: () => {},
        schema: (value, into) => (into['schema'] = value),
        table: (value, into) => (into['table'] = value),
        'key-column': (value, into) => ((into['columns'] as Record<string, string>).key = value),
        'state-column': (value, into) => ((into['columns'] as Record<string, string>).state = value),
        'data-column': (value, into) => ((into['columns'] as Record<string, string>).data = value),
        'processed-table': (value, into) => (into['processedTable'] = value),
        'history-table': (value, into) => (into['historyTable'] = value),
      };
      const fromCommand: Record<string, unknown> = { columns: {} };
      for (const [flag, value] of flags) {
        expect(Object.keys(byFlag), `--${flag}`).toContain(flag);
        byFlag[flag]!(value, fromCommand);
      }
      const { dialect, pool, database } = place.options;
      await migrate({ dialect, pool, database, ...fromCommand } as MigrateOptions);
      await repositoryFor(other).verifySchema();
    });

    it('migrate and migrationStatus take historyTable: the history table is created under that name', async () => {
      const place = await target.place();
      const named = { ...place.options, historyTable: 'chat_history' };
      await migrate(named);
      expect(await place.columns('chat_history')).toContain('previous_state');
      expect(await place.columns('session_history')).toEqual([]);
      expect((await migrationStatus(named)).changed).toEqual([]);
    });

    it('refuses a database that is ahead of the package', async () => {
      const place = await target.place();
      await migrate(place.options);
      await place.exec(
        `INSERT INTO ${place.qualified(TRACKING)} (id, checksum) VALUES ('0004_from_the_future', '${'f'.repeat(64)}')`,
      );
      const error = await rejection(migrate(place.options));
      expect(error).toMatchObject({ reason: 'unknown-migration', migrationId: '0004_from_the_future' });
      expect(error.message).toContain('Upgrade versioned-sessions');
      expect((await migrationStatus(place.options)).unknown.map((migration) => migration.id)).toEqual([
        '0004_from_the_future',
      ]);
    });

    it('rolls a failed migration back with its record, names it, and keeps the ones before it', async () => {
      const place = await target.place();
      if (target.dialect === 'postgres') await place.exec(`CREATE SCHEMA "${place.options.schema}"`);
      // A processed table from elsewhere without processed_at: 0003's CREATE INDEX fails on it.
      await place.exec(`CREATE TABLE ${place.qualified('processed_operations')} (id varchar(255) PRIMARY KEY)`);
      const error = await rejection(migrate(place.options));
      expect(error).toMatchObject({ reason: 'failed', migrationId: '0003_processed_operations' });
      expect(error.message).toMatch(
        /^Migration 0003_processed_operations failed and was rolled back, nothing of it recorded: .*processed_at/,
      );
      expect(error.cause).toBeInstanceOf(Error);
      expect((await trackingRows(place)).map((row) => row.id)).toEqual(IDS.slice(0, 2));
      expect((await migrationStatus(place.options)).pending.map((migration) => migration.id)).toEqual(IDS.slice(2));
      await place.exec(`DROP TABLE ${place.qualified('processed_operations')}`);
      expect((await migrate(place.options)).applied.map((migration) => migration.id)).toEqual(IDS.slice(2));
    });

    it('validates every option before touching the database', async () => {
      const place = await target.place();
      const bad = (options: Partial<MigrateOptions>): Promise<unknown> =>
        migrate({ ...place.options, ...options } as MigrateOptions).catch((e: unknown) => e);
      expect(await bad({ trackingTable: 'x; DROP TABLE y' })).toMatchObject({
        name: 'InvalidArgumentError',
        argument: 'trackingTable',
      });
      expect(await bad({ table: 'a-b' })).toMatchObject({ argument: 'table' });
      expect(await bad({ dialect: 'oracle' as never })).toMatchObject({ argument: 'dialect' });
      expect(await bad(target.dialect === 'sqlite' ? { database: {} as never } : { pool: {} as never })).toBeInstanceOf(
        InvalidArgumentError,
      );
      expect(await place.columns(TRACKING)).toEqual([]);
      expect(await place.columns('sessions')).toEqual([]);
    });
  });
}
