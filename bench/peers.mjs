// Peers on the same PostgreSQL in the same run: Sequelize `version: true` (find, change, instance
// save, with the library's own retry loop) and TypeORM's version column (find, change, save), each
// incrementing `data.counter` of one hot row like the library's hot-key handlers. Their packages live in
// bench/package.json, outside the library's install.
import { isConcurrencyError, withRetry } from '../dist/index.js';
import { HOT_KEY } from './lib/hot-key-operations.mjs';
import { hotKeyRound, measure, runHandlers } from './lib/harness.mjs';

const HANDLERS = 16;
// The same PostgreSQL session settings as the library's connections (`npm run bench -- --pg-options …`).
const pgOptions = process.env.BENCH_PG_OPTIONS ? { options: process.env.BENCH_PG_OPTIONS } : {};

async function sequelizeCounter(url, schema) {
  const { Sequelize, DataTypes, OptimisticLockError } = await import('sequelize');
  const sequelize = new Sequelize(url, {
    logging: false,
    pool: { max: HANDLERS },
    define: { timestamps: false },
    dialectOptions: pgOptions,
  });
  const Counter = sequelize.define(
    'Counter',
    { id: { type: DataTypes.STRING, primaryKey: true }, data: { type: DataTypes.JSONB, allowNull: false } },
    { schema, tableName: 'sequelize_counters', version: true },
  );
  await Counter.sync();
  await Counter.create({ id: HOT_KEY, data: { counter: 0 } });
  return {
    label: `Sequelize ${(await import('sequelize/package.json', { with: { type: 'json' } })).default.version} (version: true, save)`,
    read: async () => (await Counter.findByPk(HOT_KEY)).data.counter,
    increment: (attempts) =>
      withRetry(
        async () => {
          attempts.count++;
          const row = await Counter.findByPk(HOT_KEY);
          row.data = { ...row.data, counter: row.data.counter + 1 };
          await row.save();
        },
        { shouldRetry: (error) => error instanceof OptimisticLockError },
      ),
    isExhausted: (error) => error instanceof OptimisticLockError,
    close: () => sequelize.close(),
  };
}

async function typeormCounter(url, schema) {
  await import('reflect-metadata');
  const { DataSource, EntitySchema } = await import('typeorm');
  // EntitySchema's `version: true` is what the @VersionColumn() decorator declares.
  const Counter = new EntitySchema({
    name: 'TypeormCounter',
    tableName: 'typeorm_counters',
    schema,
    columns: {
      id: { type: 'varchar', primary: true },
      data: { type: 'jsonb' },
      version: { type: 'int', version: true },
    },
  });
  const dataSource = new DataSource({
    type: 'postgres',
    url,
    schema,
    entities: [Counter],
    synchronize: true,
    logging: false,
    extra: { max: HANDLERS, ...pgOptions },
  });
  await dataSource.initialize();
  const counters = dataSource.getRepository(Counter);
  await counters.save({ id: HOT_KEY, data: { counter: 0 } });
  return {
    label: `TypeORM ${(await import('typeorm/package.json', { with: { type: 'json' } })).default.version} (version column, save)`,
    read: async () => (await counters.findOneBy({ id: HOT_KEY })).data.counter,
    increment: (attempts) =>
      withRetry(async () => {
        attempts.count++;
        const row = await counters.findOneBy({ id: HOT_KEY });
        row.data = { ...row.data, counter: row.data.counter + 1 };
        await counters.save(row);
      }),
    isExhausted: isConcurrencyError,
    close: () => dataSource.destroy(),
  };
}

export async function peersFamily(database, mode, print) {
  if (database.dialect !== 'postgres') return [];
  const rows = [];
  for (const make of [sequelizeCounter, typeormCounter]) {
    const { tableOptions } = await database.newTable();
    const peer = await make(database.url, tableOptions.schema);
    try {
      const operation = async () => {
        const attempts = { count: 0 };
        try {
          await peer.increment(attempts);
          return { ok: true, attempts: attempts.count };
        } catch (error) {
          return peer.isExhausted(error)
            ? { ok: false, exhausted: true, attempts: attempts.count }
            : { ok: false, attempts: attempts.count, error };
        }
      };
      const result = await measure(mode, async (durationMs) => {
        const before = await peer.read();
        const tally = await runHandlers(HANDLERS, durationMs, operation);
        return hotKeyRound(tally, (await peer.read()) - before);
      });
      rows.push({ dialect: database.dialect, handlers: HANDLERS, peer: peer.label, ...result });
      print(`${database.dialect} peer ${peer.label}: ${result.goodput.toFixed(0)} ops/s, lost ${result.lost}`);
    } finally {
      await peer.close();
    }
  }
  return rows;
}
