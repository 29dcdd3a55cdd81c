// One migrator process for the SQLite concurrency test: opens its own connection to the file, waits
// for the start signal, runs migrate() from the bundled library, and reports what it applied.
// `unlocked` replaces BEGIN IMMEDIATE by a deferred BEGIN: the negative control.
import Database from 'better-sqlite3';
import { migrate } from '../.tmp/lib/migrations.mjs';

const { file, unlocked } = await new Promise((resolve) => process.once('message', resolve));
const database = new Database(file);
const handle = unlocked
  ? {
      prepare: (sql) => database.prepare(sql),
      exec: (sql) => database.exec(sql === 'BEGIN IMMEDIATE' ? 'BEGIN' : sql),
      get inTransaction() {
        return database.inTransaction;
      },
    }
  : database;
process.send({ type: 'ready' });
await new Promise((resolve) => process.once('message', resolve));
let result;
try {
  const report = await migrate({ dialect: 'sqlite', database: handle });
  result = { ok: true, applied: report.applied.map((migration) => migration.id) };
} catch (error) {
  result = { ok: false, applied: [], error: `${error.name}: ${error.message}` };
}
database.close();
process.send({ type: 'done', ...result }, () => process.disconnect());
