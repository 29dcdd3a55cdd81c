// What the optional legacy-writer guard costs: the same writes on two tables of one database, one with
// the guard_legacy_writes trigger and one without, measured in alternating rounds in the same run.
// Prints, per dialect, the median time per write of the library's versioned `updateSession`, of
// `touchSession` and of a raw legacy `UPDATE … SET state`, and the ratio guarded / plain.
//
//   npm run build && node bench/legacy-guard.mjs [--writes 2000] [--rounds 5]
//
// PostgreSQL and MySQL / MariaDB run when VERSIONED_SESSIONS_PG_URL / VERSIONED_SESSIONS_MYSQL_URL
// are set; SQLite (a temp file, WAL) always runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SessionRepository } from '../dist/index.js';
import { migrate } from '../dist/migrations.js';
import { median } from './lib/harness.mjs';

const { values } = parseArgs({ options: { writes: { type: 'string' }, rounds: { type: 'string' } } });
const WRITES = Number(values.writes ?? 2000);
const ROUNDS = Number(values.rounds ?? 5);
const KEYS = 100;
const keyOf = (i) => `+52155${String(i % KEYS).padStart(8, '0')}`;

/** A dialect's connection: a store for a table, a raw statement runner, and clean-up. */
async function openDialects() {
  const dialects = [];
  const folder = mkdtempSync(join(tmpdir(), 'vs-bench-guard-'));
  {
    const { default: Database } = await import('better-sqlite3');
    const { SqliteSessionStore } = await import('../dist/sqlite.js');
    const database = new Database(join(folder, 'bench.db'));
    database.pragma('journal_mode = WAL');
    dialects.push({
      dialect: 'sqlite',
      migrateOptions: { dialect: 'sqlite', database },
      store: (table) => new SqliteSessionStore({ database, table }),
      legacy: (table) => {
        const statement = database.prepare(`UPDATE "${table}" SET "state" = ? WHERE "key" = ?`);
        return async (key, state) => void statement.run(state, key);
      },
      close: async () => database.close(),
    });
  }
  if (process.env.VERSIONED_SESSIONS_PG_URL) {
    const { default: pg } = await import('pg');
    const { PostgresSessionStore } = await import('../dist/postgres.js');
    const pool = new pg.Pool({ connectionString: process.env.VERSIONED_SESSIONS_PG_URL, max: 2 });
    const schema = `vs_bench_guard_${process.pid}`;
    dialects.push({
      dialect: 'postgres',
      migrateOptions: { dialect: 'postgres', pool, schema },
      store: (table) => new PostgresSessionStore({ pool, schema, table }),
      legacy: (table) => async (key, state) =>
        void (await pool.query(`UPDATE "${schema}"."${table}" SET "state" = $1 WHERE "key" = $2`, [state, key])),
      close: async () => {
        await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await pool.end();
      },
    });
  }
  if (process.env.VERSIONED_SESSIONS_MYSQL_URL) {
    const { default: mysql } = await import('mysql2/promise');
    const { MysqlSessionStore } = await import('../dist/mysql.js');
    const admin = await mysql.createConnection({ uri: process.env.VERSIONED_SESSIONS_MYSQL_URL });
    const database = `vs_bench_guard_${process.pid}`;
    await admin.query(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
    const pool = mysql.createPool({ uri: process.env.VERSIONED_SESSIONS_MYSQL_URL, database, connectionLimit: 2 });
    dialects.push({
      dialect: 'mysql',
      migrateOptions: { dialect: 'mysql', pool, schema: database },
      store: (table) => new MysqlSessionStore({ pool, database, table }),
      legacy: (table) => async (key, state) =>
        void (await pool.query(`UPDATE \`${table}\` SET \`state\` = ? WHERE \`key\` = ?`, [state, key])),
      close: async () => {
        await pool.end();
        await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
        await admin.end();
      },
    });
  }
  return { dialects, cleanup: () => rmSync(folder, { recursive: true, force: true }) };
}

/** Milliseconds per call of `write(i)` over WRITES calls, one after another. */
async function perWrite(write) {
  const started = performance.now();
  for (let i = 0; i < WRITES; i++) await write(i);
  return (performance.now() - started) / WRITES;
}

async function measure(connection, table, guarded) {
  await migrate({
    ...connection.migrateOptions,
    table,
    trackingTable: `${table}_migrations`,
    guardLegacyWrites: guarded,
  });
  const repository = new SessionRepository({ store: connection.store(table), perKeyQueue: false, metrics: false });
  const versions = new Map();
  for (let i = 0; i < KEYS; i++) versions.set(keyOf(i), (await repository.getOrCreateSession(keyOf(i))).version);
  const legacy = connection.legacy(table);
  return {
    update: () =>
      perWrite(async (i) => {
        const key = keyOf(i);
        const written = await repository.updateSession(key, { state: `S${i}` }, { expectedVersion: versions.get(key) });
        versions.set(key, written.version);
      }),
    touch: () => perWrite((i) => repository.touchSession(keyOf(i))),
    legacy: async () => {
      const time = await perWrite((i) => legacy(keyOf(i), `L${i}`));
      // The guard bumped the versions: read them back (untimed) so the next versioned writes name them.
      for (let i = 0; i < KEYS; i++) versions.set(keyOf(i), (await repository.getSession(keyOf(i))).version);
      return time;
    },
  };
}

const { dialects, cleanup } = await openDialects();
console.log(`legacy-writer guard cost: ${WRITES} sequential writes over ${KEYS} keys, median of ${ROUNDS} rounds`);
try {
  for (const connection of dialects) {
    const plain = await measure(connection, 'bench_plain', false);
    const guarded = await measure(connection, 'bench_guarded', true);
    for (const kind of ['update', 'touch', 'legacy']) {
      const times = { plain: [], guarded: [] };
      for (let round = 0; round < ROUNDS; round++) {
        // Alternating order, so drift over the run weighs on both sides alike.
        const order = round % 2 === 0 ? ['plain', 'guarded'] : ['guarded', 'plain'];
        for (const side of order) times[side].push(await (side === 'plain' ? plain : guarded)[kind]());
      }
      const a = median(times.plain);
      const b = median(times.guarded);
      console.log(
        `${connection.dialect.padEnd(8)} ${kind.padEnd(7)} plain ${a.toFixed(3)} ms  guarded ${b.toFixed(3)} ms  ratio ${(b / a).toFixed(2)}`,
      );
    }
  }
} finally {
  for (const connection of dialects) await connection.close();
  cleanup();
}
