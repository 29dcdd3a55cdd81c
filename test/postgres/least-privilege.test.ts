/**
 * Least privilege on PostgreSQL, as docs/security.md grants it: an owner login owns the schema and runs
 * the migrations; the application's login has USAGE on the schema and SELECT, INSERT, UPDATE, DELETE on
 * the sessions and processed-operations tables, and nothing else.
 * - the grants are exactly those (read back from the catalog);
 * - every store operation, verifySchema and the exactly-once paths included, works under them;
 * - negative control: that login cannot DROP, ALTER, TRUNCATE or CREATE;
 * - migrate() and migrationStatus() under that login fail with a MigrationError naming the right.
 * The whole conformance suite also runs under this login (test/conformance/postgres-least-privilege.test.ts).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcurrencyError, DuplicateOperationError, SessionRepository, withSessionRetry } from '../../src/index.js';
import { MigrationError, migrate, migrationStatus } from '../../src/migrations/index.js';
import { runCli } from '../../src/cli/run-cli.js';
import { PostgresSessionStore } from '../../src/postgres/index.js';
import type { Fixture } from '../conformance/target.js';
import {
  APPLICATION_TABLE_RIGHTS,
  postgresTarget,
  type LeastPrivilegeLogins,
} from '../conformance/targets/postgres.js';
import { describeUnavailable } from '../support/environment.js';

const PHONE = '+5215512345678';
const target = postgresTarget({ leastPrivilege: true });
const availability = await target.availability();

if (!availability.available) {
  describeUnavailable('postgres', 'postgres least privilege', availability.reason);
} else {
  describe('postgres least privilege', () => {
    let fixture: Fixture;
    let logins: LeastPrivilegeLogins;
    let appPool: pg.Pool;
    let ownerPool: pg.Pool;
    let sessions: SessionRepository<{ step?: number }>;
    const q = (name: string): string => `"${name}"`;

    /** Runs `sql` as the application's login; resolves to the SQLSTATE of its error, or 'ok'. */
    async function asApplication(sql: string): Promise<string> {
      try {
        await appPool.query(sql);
        return 'ok';
      } catch (error) {
        return String((error as { code?: unknown }).code);
      }
    }

    beforeAll(async () => {
      fixture = await target.createFixture();
      logins = target.logins()!;
      appPool = new pg.Pool({ connectionString: logins.app.url, max: 4 });
      ownerPool = new pg.Pool({ connectionString: logins.owner.url, max: 2 });
      // The store built here, on a pool of the application's login, not the fixture's.
      sessions = new SessionRepository({ store: new PostgresSessionStore({ pool: appPool, ...fixture.tableOptions }) });
    });

    afterAll(async () => {
      await appPool.end();
      await ownerPool.end();
      await target.close();
    });

    it('the application login has exactly USAGE on the schema and SELECT, INSERT, UPDATE, DELETE on the two tables', async () => {
      const { rows: who } = await appPool.query(
        'SELECT current_user AS login, usesuper FROM pg_user WHERE usename = current_user',
      );
      expect(who).toEqual([{ login: logins.app.role, usesuper: false }]);
      const { rows: tableRights } = await appPool.query(
        'SELECT table_schema, table_name, privilege_type FROM information_schema.role_table_grants WHERE grantee = current_user ORDER BY 1, 2, 3',
      );
      const schema = fixture.names.schema!;
      const expected = [fixture.names.processedTable, fixture.names.table]
        .sort()
        .flatMap((table) =>
          [...APPLICATION_TABLE_RIGHTS]
            .sort()
            .map((privilege) => ({ table_schema: schema, table_name: table, privilege_type: privilege })),
        );
      expect(tableRights).toEqual(expected);
      const { rows: schemaRights } = await appPool.query(
        "SELECT has_schema_privilege($1, 'USAGE') AS usage, has_schema_privilege($1, 'CREATE') AS create, " +
          "has_database_privilege(current_database(), 'CREATE') AS create_schema",
        [schema],
      );
      expect(schemaRights).toEqual([{ usage: true, create: false, create_schema: false }]);
    });

    it('every store operation works under those rights: verifySchema, sessions, the exactly-once and processed-operations paths', async () => {
      await sessions.verifySchema();
      expect(await sessions.getSession(PHONE)).toBeNull();
      const created = await sessions.getOrCreateSession(PHONE, { state: 'INICIO', data: { step: 0 } });
      expect(created.version).toBe(0);
      const updated = await sessions.updateSession(PHONE, { state: 'MENU', data: { step: 1 } }, { expectedVersion: 0 });
      expect(updated.version).toBe(1);
      await expect(sessions.updateSession(PHONE, { state: 'X' }, { expectedVersion: 0 })).rejects.toBeInstanceOf(
        ConcurrencyError,
      );
      expect((await sessions.getSessionWithVersion(PHONE))?.version).toBe(1);
      await expect(sessions.touchSession(PHONE)).resolves.toBeUndefined();

      // Idempotent updates: the claim, the record and the duplicate answer all run as this login.
      const applied = await sessions.updateSession(
        PHONE,
        { data: { step: 2 } },
        { expectedVersion: 1, idempotencyKey: 'wamid.lp.1' },
      );
      expect(applied.version).toBe(2);
      const duplicate = await sessions
        .updateSession(PHONE, { data: { step: 9 } }, { expectedVersion: 2, idempotencyKey: 'wamid.lp.1' })
        .catch((e: unknown) => e);
      expect(duplicate).toBeInstanceOf(DuplicateOperationError);
      expect((duplicate as DuplicateOperationError).session?.version).toBe(2);
      // A refused idempotent write releases its claim (DELETE on the processed table).
      await expect(
        sessions.updateSession(PHONE, { data: { step: 9 } }, { expectedVersion: 0, idempotencyKey: 'wamid.lp.2' }),
      ).rejects.toBeInstanceOf(ConcurrencyError);
      expect(await sessions.isProcessed('wamid.lp.2')).toBe(false);
      const viaRetry = await withSessionRetry(
        sessions,
        PHONE,
        (session) =>
          sessions.updateSession(
            PHONE,
            { data: { step: 3 } },
            { expectedVersion: session.version, idempotencyKey: 'wamid.lp.3' },
          ),
        { idempotencyKey: 'wamid.lp.3' },
      );
      expect(viaRetry.status).toBe('applied');
      const again = await withSessionRetry(sessions, PHONE, () => Promise.reject(new Error('must not run')), {
        idempotencyKey: 'wamid.lp.3',
      });
      expect(again).toMatchObject({ status: 'duplicate', committedVersion: 3 });

      expect(await sessions.markProcessed('wamid.lp.4')).toBe(true);
      expect(await sessions.markProcessed('wamid.lp.4')).toBe(false);
      expect(await sessions.isProcessed('wamid.lp.4')).toBe(true);
      expect(await sessions.pruneProcessed({ olderThan: new Date(Date.now() + 60_000) })).toBe(3);
      expect(await sessions.isProcessed('wamid.lp.4')).toBe(false);

      expect(await sessions.deleteSession(PHONE, { expectedVersion: 3 })).toBe(true);
      expect(await sessions.getSession(PHONE)).toBeNull();
    });

    it('negative control: the application login cannot DROP, ALTER, TRUNCATE or CREATE', async () => {
      const table = fixture.table;
      const schema = q(fixture.names.schema!);
      expect(await asApplication(`DROP TABLE ${table}`)).toBe('42501');
      expect(await asApplication(`ALTER TABLE ${table} ADD COLUMN injected integer`)).toBe('42501');
      expect(await asApplication(`ALTER TABLE ${table} DROP COLUMN ${q(fixture.names.columns.version)}`)).toBe('42501');
      expect(await asApplication(`TRUNCATE ${table}`)).toBe('42501');
      expect(await asApplication(`CREATE TABLE ${schema}.injected (id integer)`)).toBe('42501');
      expect(await asApplication(`CREATE SCHEMA ${q(`${fixture.names.schema!}_x`)}`)).toBe('42501');
      expect(await asApplication(`DROP SCHEMA ${schema} CASCADE`)).toBe('42501');
      // The same statement as the owner succeeds: the refusals above are about rights, not syntax.
      await ownerPool.query(`ALTER TABLE ${table} ADD COLUMN control integer`);
      await ownerPool.query(`ALTER TABLE ${table} DROP COLUMN control`);
      await sessions.verifySchema();
    });

    it('migrate() under the application login is a MigrationError that names the right and says to use the owner', async () => {
      const error = await migrate({
        dialect: 'postgres',
        pool: appPool,
        ...fixture.tableOptions,
        trackingTable: 'lp_tracking',
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MigrationError);
      const migrationError = error as MigrationError;
      expect(migrationError).toMatchObject({ reason: 'insufficient-privilege', dialect: 'postgres', migrationId: '' });
      expect(migrationError.missingRight).toBe(
        `CREATE on schema ${q(fixture.names.schema!)} (CREATE on the database too if the schema does not exist yet) and ownership of its tables`,
      );
      expect(migrationError.message).toContain('which the login running it lacks (permission denied for schema');
      expect(migrationError.message).toContain('Run migrations under the login that owns the schema');
      expect(migrationError.message).toContain('versioned-sessions print');
      expect((migrationError.cause as { code?: unknown }).code).toBe('42501');
      // Nothing was created.
      const { rows } = await ownerPool.query('SELECT to_regclass($1) AS found', [
        `${q(fixture.names.schema!)}.lp_tracking`,
      ]);
      expect(rows).toEqual([{ found: null }]);
    });

    it('the CLI under the application login prints that sentence once, without the password, and exits 1', async () => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(
        ['migrate', '--dialect', 'postgres', '--schema', fixture.names.schema!, '--tracking-table', 'lp_cli'],
        {
          stdout: (text) => out.push(text),
          stderr: (text) => err.push(text),
          env: { VERSIONED_SESSIONS_DATABASE_URL: logins.app.url },
        },
      );
      expect(code).toBe(1);
      const printed = err.join('');
      expect(printed).toMatch(
        /^versioned-sessions migrate: Migrating needs CREATE on schema "[^"]+" .* which the login running it lacks \(permission denied for schema [^)]+\); nothing was recorded\. Run migrations under the login that owns the schema/,
      );
      expect(printed.match(/permission denied/g)).toHaveLength(1);
      expect(printed).not.toContain(new URL(logins.app.url).password);
    });

    it('migrationStatus() under the application login names the tracking table it cannot read', async () => {
      const error = await migrationStatus({ dialect: 'postgres', pool: appPool, ...fixture.tableOptions }).catch(
        (e: unknown) => e,
      );
      expect(error).toMatchObject({
        name: 'MigrationError',
        reason: 'insufficient-privilege',
        missingRight: `SELECT on ${q(fixture.names.schema!)}."versioned_sessions_migrations"`,
      });
    });

    it('the owner migrates its schema without CREATE on the database (control: it cannot create a schema)', async () => {
      const { rows } = await ownerPool.query(
        "SELECT has_database_privilege(current_database(), 'CREATE') AS create_schema",
      );
      expect(rows).toEqual([{ create_schema: false }]);
      await expect(ownerPool.query(`CREATE SCHEMA IF NOT EXISTS ${q(fixture.names.schema!)}`)).rejects.toMatchObject({
        code: '42501',
      });
      const report = await migrate({
        dialect: 'postgres',
        pool: ownerPool,
        ...fixture.tableOptions,
        trackingTable: 'lp_owner_tracking',
      });
      expect(report.applied.map((migration) => migration.id)).toEqual([
        '0001_create_sessions',
        '0002_adopt_existing_table',
        '0003_processed_operations',
        '0005_session_history',
        '0006_session_listing_index',
        '0007_processed_by_session_key',
      ]);
      expect(
        (await migrationStatus({ dialect: 'postgres', pool: ownerPool, ...fixture.tableOptions })).pending,
      ).toEqual([]);
    });
  });
}
