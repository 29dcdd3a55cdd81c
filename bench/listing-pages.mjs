// listSessions at depth on PostgreSQL: the page the store sends after row N (a keyset page on the
// (updated_at, key) index of migration 0006) against the OFFSET N page it replaces, both measured in
// the same run on the same table as the rows and buffers EXPLAIN (ANALYZE, BUFFERS) reports: counts,
// not times, so a shared machine does not move them.
// Usage: npm run build && node bench/listing-pages.mjs [rows=200000] [depth=150000]
//        (PostgreSQL from VERSIONED_SESSIONS_PG_URL)
import pg from 'pg';
import { migrate } from '../dist/migrations.js';
import { PostgresSessionStore } from '../dist/postgres.js';

const url = process.env.VERSIONED_SESSIONS_PG_URL;
if (!url) throw new Error('set VERSIONED_SESSIONS_PG_URL');
const rows = Number(process.argv[2] ?? 200_000);
const depth = Number(process.argv[3] ?? 150_000);
const pageSize = 100;
const pool = new pg.Pool({ connectionString: url });
const schema = `vs_bench_listing_${process.pid}`;

/** Rows read by the plan's scan and shared buffers hit or read, from EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON). */
async function cost(text, values) {
  const { rows: plan } = await pool.query({ text: `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${text}`, values });
  const top = plan[0]['QUERY PLAN'][0].Plan;
  const scan = top.Plans?.[0] ?? top;
  return { scanned: scan['Actual Rows'], buffers: top['Shared Hit Blocks'] + top['Shared Read Blocks'] };
}

try {
  await migrate({ dialect: 'postgres', pool, schema });
  await pool.query(
    `INSERT INTO "${schema}".sessions (key, state, data, updated_at) SELECT '+52155' || lpad(g::text, 8, '0'), ` +
      `CASE WHEN g % 3 = 0 THEN 'MENU' ELSE 'PAGADO' END, '{}', now() - (g || ' seconds')::interval FROM generate_series(1, $1) g`,
    [rows],
  );
  await pool.query(`ANALYZE "${schema}".sessions`);
  const store = new PostgresSessionStore({ pool, schema });
  const at = (
    await pool.query(
      `SELECT updated_at::text AS time, key FROM "${schema}".sessions ORDER BY updated_at, key OFFSET $1 LIMIT 1`,
      [depth - 1],
    )
  ).rows[0];
  // The statement the store sends for the page after row `depth`, captured on its way to the pool.
  let sent;
  const query = pool.query.bind(pool);
  pool.query = (config, ...rest) => {
    if (typeof config === 'object' && config.text?.includes('page_time')) sent = config;
    return query(config, ...rest);
  };
  const page = await store.readPage({
    states: null,
    updatedBefore: null,
    updatedAfter: null,
    after: { time: at.time, key: at.key },
    limit: pageSize + 1,
  });
  pool.query = query;
  const keyset = await cost(sent.text, sent.values);
  const offset = await cost(
    `SELECT key, state, data, version, created_at, updated_at FROM "${schema}".sessions ORDER BY updated_at, key OFFSET $1 LIMIT $2`,
    [depth, pageSize + 1],
  );
  console.log(`${rows} sessions, the page of ${pageSize} after row ${depth} (${page.length} rows read back):`);
  console.log(`  keyset (listSessions): ${keyset.scanned} rows scanned, ${keyset.buffers} buffers`);
  console.log(`  OFFSET ${depth}:        ${offset.scanned} rows scanned, ${offset.buffers} buffers`);
  console.log(
    `  OFFSET / keyset: ${(offset.scanned / keyset.scanned).toFixed(0)}x the rows, ${(offset.buffers / keyset.buffers).toFixed(0)}x the buffers`,
  );
} finally {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
}
