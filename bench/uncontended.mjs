// Uncontended: 1,000 keys, each touched by one handler only, at concurrency 1, 8 and 32 —
// `updateSession` against the raw driver sending a conditional `UPDATE … RETURNING` by hand (the limit).
import { connect } from './lib/databases.mjs';
import { median, percentile } from './lib/harness.mjs';

const CONCURRENCIES = [1, 8, 32];

/** The hand-written conditional update a user of the bare driver would send. */
function rawUpdate(connection, tableInfo) {
  const t = tableInfo.table;
  const columns = 'key, state, data, version, created_at, updated_at';
  if (tableInfo.dialect === 'postgres') {
    const text = `UPDATE ${t} SET data = $2, version = version + 1, updated_at = now() WHERE key = $1 AND version = $3 RETURNING ${columns}`;
    return async (key, data, version) => {
      const { rows } = await connection.pool.query({ text, values: [key, JSON.stringify(data), version] });
      if (rows.length !== 1) throw new Error(`raw update of ${key} at version ${version} wrote nothing`);
      return rows[0].version;
    };
  }
  if (tableInfo.dialect === 'mysql') {
    // Neither server returns an updated row; the bare driver's limit is the conditional UPDATE alone,
    // the written version being known (expected + 1). The library also reads the row back, in one
    // transaction with the write, which is the price of returning it.
    const sql = `UPDATE ${t} SET data = ?, version = version + 1, updated_at = UTC_TIMESTAMP(3) WHERE \`key\` = ? AND version = ?`;
    return async (key, data, version) => {
      const [header] = await connection.pool.execute(sql, [JSON.stringify(data), key, version]);
      if (header.affectedRows !== 1) throw new Error(`raw update of ${key} at version ${version} wrote nothing`);
      return version + 1;
    };
  }
  if (tableInfo.dialect === 'mssql') {
    const text =
      `UPDATE ${t} SET Data = @data, Version = Version + 1, UpdatedAt = SYSUTCDATETIME() ` +
      'OUTPUT inserted.SessionKey, inserted.State, inserted.Data, inserted.Version, inserted.CreatedAt, inserted.UpdatedAt ' +
      'WHERE SessionKey = @key AND Version = @version';
    return async (key, data, version) => {
      const { recordset } = await connection.pool
        .request()
        .input('key', key)
        .input('data', JSON.stringify(data))
        .input('version', version)
        .query(text);
      if (recordset.length !== 1) throw new Error(`raw update of ${key} at version ${version} wrote nothing`);
      return recordset[0].Version;
    };
  }
  const statement = connection.database.prepare(
    `UPDATE ${t} SET data = ?, version = version + 1, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') ` +
      `WHERE key = ? AND version = ? RETURNING ${columns}`,
  );
  return async (key, data, version) => {
    const row = statement.get(JSON.stringify(data), key, version);
    if (row === undefined) throw new Error(`raw update of ${key} at version ${version} wrote nothing`);
    return row.version;
  };
}

function libraryUpdate(connection) {
  return async (key, data, version) =>
    (await connection.repository.updateSession(key, { data }, { expectedVersion: version })).version;
}

/** `concurrency` handlers share the keys out; each runs through its keys until the round ends. */
async function round(update, keys, versions, concurrency, durationMs) {
  const latencies = [];
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, handler) => {
      const mine = keys.filter((_, index) => index % concurrency === handler);
      for (let i = 0; performance.now() < deadline; i++) {
        const key = mine[i % mine.length];
        const t0 = performance.now();
        versions.set(key, await update(key, { step: i, note: 'REFRI_ESPERA_SAP' }, versions.get(key)));
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { throughput: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** Library and raw rounds alternate, so drift in a shared machine's load hits both alike. */
export async function uncontendedFamily(database, mode, print) {
  const rows = [];
  const tableInfo = await database.newTable();
  const connection = await connect(tableInfo, Math.max(...CONCURRENCIES));
  const keys = Array.from({ length: mode.keys }, (_, i) => `+52155${String(i).padStart(8, '0')}`);
  const versions = new Map();
  for (const key of keys)
    versions.set(key, (await connection.repository.getOrCreateSession(key, { data: {} })).version);
  const variants = { library: libraryUpdate(connection), raw: rawUpdate(connection, tableInfo) };
  try {
    for (const concurrency of CONCURRENCIES) {
      const results = { library: [], raw: [] };
      for (const name of Object.keys(variants)) await round(variants[name], keys, versions, concurrency, mode.warmupMs);
      for (let i = 0; i < mode.rounds; i++) {
        for (const name of Object.keys(variants))
          results[name].push(await round(variants[name], keys, versions, concurrency, mode.roundMs));
      }
      const summary = (name, field) => median(results[name].map((result) => result[field]));
      const row = {
        dialect: database.dialect,
        concurrency,
        libraryP50: summary('library', 'p50'),
        rawP50: summary('raw', 'p50'),
        libraryP99: summary('library', 'p99'),
        rawP99: summary('raw', 'p99'),
        libraryThroughput: summary('library', 'throughput'),
        rawThroughput: summary('raw', 'throughput'),
      };
      row.latencyRatio = row.libraryP50 / row.rawP50;
      row.throughputRatio = row.libraryThroughput / row.rawThroughput;
      rows.push(row);
      print(
        `${database.dialect} uncontended c=${concurrency}: latency ×${row.latencyRatio.toFixed(3)}, throughput ×${row.throughputRatio.toFixed(3)}`,
      );
    }
  } finally {
    await connection.close();
  }
  return rows;
}
