/**
 * Follows docs/adopting-an-existing-table-postgres.md on a real PostgreSQL server, step by step: a
 * legacy `sesiones_chat` created and owned by the application's login, its ownership given to the
 * schema owner, the migration run as that owner with the guide's flags, the guide's grants, the data
 * check, the observe-then-enforce rollout with the guide's version-bumping legacy UPDATE, and a second
 * sessions table in the same schema.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ConcurrencyError, SessionRepository } from '../../src/index.js';
import { migrate, migrationStatus } from '../../src/migrations/index.js';
import { PostgresSessionStore } from '../../src/postgres/index.js';
import { describeUnavailable } from '../support/environment.js';
import { uniqueName } from '../support/names.js';

const URL_ = process.env['VERSIONED_SESSIONS_PG_URL'];
const PHONE = '+5215512345678';
const OTHER = '+5215587654321';

function urlAs(role: string, password: string): string {
  const parsed = new URL(URL_!);
  parsed.username = role;
  parsed.password = password;
  return parsed.toString();
}

if (URL_ === undefined || URL_ === '') {
  describeUnavailable(
    'postgres',
    'docs/adopting-an-existing-table-postgres.md',
    'VERSIONED_SESSIONS_PG_URL is not set',
  );
} else {
  describe('docs/adopting-an-existing-table-postgres.md on PostgreSQL', () => {
    const admin = new pg.Pool({ connectionString: URL_, max: 2 });
    const suffix = uniqueName('ad').slice(3);
    const schema = `bot_${suffix}`;
    const owner = { role: `bot_owner_${suffix}`, password: randomBytes(12).toString('hex') };
    const app = { role: `bot_app_${suffix}`, password: randomBytes(12).toString('hex') };
    const pools: pg.Pool[] = [];
    const poolAs = (login: { role: string; password: string }): pg.Pool => {
      const pool = new pg.Pool({ connectionString: urlAs(login.role, login.password), max: 4 });
      pools.push(pool);
      return pool;
    };
    const names = {
      schema,
      table: 'sesiones_chat',
      columns: { key: 'telefono', state: 'estado', data: 'datos_temp' },
    };

    afterAll(async () => {
      for (const pool of pools) await pool.end();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      for (const login of [app, owner]) {
        await admin.query(`DROP OWNED BY "${login.role}"`).catch(() => undefined);
        await admin.query(`DROP ROLE IF EXISTS "${login.role}"`);
      }
      await admin.end();
    });

    it('adopts a legacy table owned by the application, which then keeps only row rights', async () => {
      for (const login of [owner, app]) {
        await admin.query(`CREATE ROLE "${login.role}" LOGIN PASSWORD '${login.password}'`);
      }
      await admin.query(`CREATE SCHEMA "${schema}" AUTHORIZATION "${owner.role}"`);
      // The legacy bot created its own table.
      await admin.query(`GRANT USAGE, CREATE ON SCHEMA "${schema}" TO "${app.role}"`);
      const appPool = poolAs(app);
      await appPool.query(
        `CREATE TABLE "${schema}".sesiones_chat (telefono varchar(20) NOT NULL PRIMARY KEY, estado varchar(100), datos_temp text)`,
      );
      await appPool.query(
        `INSERT INTO "${schema}".sesiones_chat VALUES ($1, 'MENU', '{"paso":1}'), ($2, 'INICIO', 'not json')`,
        [PHONE, OTHER],
      );

      // Step 3: ownership to the schema owner, then the migration as the owner with the guide's flags.
      await admin.query(`ALTER TABLE "${schema}".sesiones_chat OWNER TO "${owner.role}"`);
      await admin.query(`REVOKE CREATE ON SCHEMA "${schema}" FROM "${app.role}"`);
      const ownerPool = poolAs(owner);
      const report = await migrate({ dialect: 'postgres', pool: ownerPool, ...names });
      expect(report.applied).toHaveLength(6);
      expect(report.trackingTable).toBe(`"${schema}"."versioned_sessions_migrations_sesiones_chat"`);
      const { rows: columns } = await admin.query(
        'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
        [schema, 'sesiones_chat'],
      );
      expect(columns.map((row: { column_name: string }) => row.column_name)).toEqual([
        'telefono',
        'estado',
        'datos_temp',
        'version',
        'created_at',
        'updated_at',
      ]);

      // Step 4: the guide's grants.
      await ownerPool.query(`REVOKE ALL ON "${schema}".sesiones_chat FROM "${app.role}"`);
      await ownerPool.query(`GRANT USAGE ON SCHEMA "${schema}" TO "${app.role}"`);
      await ownerPool.query(
        `GRANT SELECT, INSERT, UPDATE, DELETE ON "${schema}".sesiones_chat, "${schema}".processed_operations TO "${app.role}"`,
      );
      const refused = await appPool.query(`ALTER TABLE "${schema}".sesiones_chat ADD COLUMN x int`).catch((e) => e);
      expect(refused).toMatchObject({ code: '42501' });

      // Step 5: the check finds the row whose data is not JSON, by masked key.
      const store = new PostgresSessionStore({ pool: appPool, ...names });
      const checked = await new SessionRepository({ store }).verifySchema({ data: true });
      expect(checked.rowsChecked).toBe(2);
      expect(checked.unreadable.map((row) => [row.maskedKey, row.column, row.reason])).toEqual([
        ['+52*******4321', 'datos_temp', 'not-json'],
      ]);

      // Step 6: observe writes a stale version anyway; enforce refuses one that a legacy writer
      // made stale with the guide's version-bumping UPDATE.
      const observing = new SessionRepository({ store, lockingMode: 'observe' });
      const legacy = (await observing.getSession(PHONE))!;
      expect(legacy).toMatchObject({ version: 0, state: 'MENU', data: { paso: 1 } });
      await observing.updateSession(PHONE, { state: 'A' }, { expectedVersion: 0 });
      expect(await observing.updateSession(PHONE, { state: 'B' }, { expectedVersion: 0 })).toMatchObject({
        state: 'B',
        version: 2,
      });
      const enforcing = new SessionRepository({ store });
      const read = (await enforcing.getSession(PHONE))!;
      await appPool.query(
        `UPDATE "${schema}".sesiones_chat SET estado = $1, version = version + 1, updated_at = now() WHERE telefono = $2`,
        ['DESDE_BACKOFFICE', PHONE],
      );
      const stale = await enforcing
        .updateSession(PHONE, { state: 'C' }, { expectedVersion: read.version })
        .catch((e: unknown) => e);
      expect(stale).toBeInstanceOf(ConcurrencyError);
      expect(await enforcing.getSession(PHONE)).toMatchObject({ state: 'DESDE_BACKOFFICE', version: 3 });

      // Step 7: a second sessions table in the same schema, with its own flags only.
      const web = { schema, table: 'sesiones_web', processedTable: 'web_procesadas', historyTable: 'web_historial' };
      expect((await migrate({ dialect: 'postgres', pool: ownerPool, ...web })).applied).toHaveLength(6);
      for (const options of [names, web]) {
        const status = await migrationStatus({ dialect: 'postgres', pool: ownerPool, ...options });
        expect([status.pending, status.changed, status.unknown]).toEqual([[], [], []]);
      }
      await new SessionRepository({ store: new PostgresSessionStore({ pool: ownerPool, ...web }) }).verifySchema();
    });
  });
}
