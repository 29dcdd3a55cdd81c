// `npm run bench [-- [family …] --quick | --full] [--only postgres,sqlite,mysql] [--families uncontended,hot-key,processes,peers,backoff,webhook]
//   (families also as plain words: `npm run bench -- webhook`; a run of some families keeps the others'
//   last results in the report, each with the time and load it was measured at)
//   [--pg-latency-ms 0.5] (webhook family: also PostgreSQL through a loopback proxy delaying each chunk
//   each way by this much; 0 turns it off)
//   [--pg-options="-c synchronous_commit=off"]` (the last: PostgreSQL session settings for every connection,
//   e.g. to see the numbers when commits do not wait for the disk; the report says what was used)
//   [--out benchmarks] (the base name of the files written under docs/)`
// Measures every scenario family on each database, prints progress and medians, and writes
// docs/benchmarks.json and docs/benchmarks.md (keeping the hand-written part below the marker).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { backoffFamily } from './backoff.mjs';
import { hotKeyFamily } from './hot-key.mjs';
import { MODES, machineInfo } from './lib/harness.mjs';
import { openDatabases } from './lib/databases.mjs';
import { processesFamily } from './processes.mjs';
import { renderMarkdown } from './report.mjs';
import { uncontendedFamily } from './uncontended.mjs';
import { webhookFamily } from './webhook.mjs';

const MARKER = '<!-- hand-written below: kept by npm run bench -->';
const FAMILIES = {
  uncontended: uncontendedFamily,
  hotKey: hotKeyFamily,
  processes: processesFamily,
  peers: null,
  backoff: backoffFamily,
  webhook: null,
};
const FAMILY_FLAGS = {
  uncontended: 'uncontended',
  'hot-key': 'hotKey',
  processes: 'processes',
  peers: 'peers',
  backoff: 'backoff',
  webhook: 'webhook',
};

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    full: { type: 'boolean', default: false },
    only: { type: 'string' },
    families: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    'pg-options': { type: 'string' },
    out: { type: 'string', default: 'benchmarks' },
    'pg-latency-ms': { type: 'string', default: '0.5' },
  },
});
const modeName = values.full ? 'full' : values.quick ? 'quick' : 'default';
const mode = MODES[modeName];
const named = [...(values.families?.split(',') ?? []), ...positionals].map((flag) => flag.trim()).filter(Boolean);
const wanted = named.length > 0 ? named.map((flag) => FAMILY_FLAGS[flag] ?? flag) : Object.keys(FAMILIES);
for (const family of wanted) {
  if (!(family in FAMILIES))
    throw new Error(`unknown family ${family}; known: ${Object.keys(FAMILY_FLAGS).join(', ')}`);
}
const latencyMs = Number(values['pg-latency-ms']);
FAMILIES.webhook = (database, mode, print) => webhookFamily(database, mode, print, { latencyMs });
const root = new URL('../', import.meta.url);

const benchInstalled = ['sequelize', 'vega', 'vega-lite'].every((name) =>
  existsSync(new URL(`bench/node_modules/${name}`, root)),
);
if (!benchInstalled) {
  console.log('[bench] installing the peers (bench/package.json) into bench/node_modules');
  const installed = spawnSync('npm', ['ci', '--prefix', 'bench', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (installed.status !== 0) throw new Error('npm ci --prefix bench failed');
}
FAMILIES.peers = (await import('./peers.mjs')).peersFamily;
// The charts import vega, a bench peer: loaded once the peers are installed.
const { writeCharts } = await import('./charts.mjs');

const notes = [];
if (values['pg-options']) {
  process.env.BENCH_PG_OPTIONS = values['pg-options'];
  notes.push(`PostgreSQL connections opened with options \`${values['pg-options']}\`.`);
}
const pgUrl = process.env.VERSIONED_SESSIONS_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
const mssqlUrl = process.env.VERSIONED_SESSIONS_MSSQL_URL || undefined;
const mysqlUrl = process.env.VERSIONED_SESSIONS_MYSQL_URL || undefined;
const databases = await openDatabases({ pgUrl, mssqlUrl, mysqlUrl, only: values.only?.split(',') });
const print = (line) => console.log(`[bench] ${line}`);
const loadStart = loadavg();
const started = Date.now();
const results = Object.fromEntries(Object.keys(FAMILIES).map((family) => [family, []]));
const measured = {};
try {
  for (const family of wanted) {
    const familyStart = loadavg();
    for (const database of databases) results[family].push(...(await FAMILIES[family](database, mode, print)));
    measured[family] = {
      finishedAt: new Date().toISOString(),
      mode: modeName,
      loadStart: familyStart,
      loadEnd: loadavg(),
    };
  }
} finally {
  for (const database of databases) await database.close();
}

const run = {
  mode: modeName,
  settings: mode,
  finishedAt: new Date().toISOString(),
  durationSeconds: Math.round((Date.now() - started) / 1000),
  loadStart,
  loadEnd: loadavg(),
  machine: machineInfo(databases),
  notes,
  measured,
  results,
};
// A run of some families keeps the others' last results, each still saying when and under what load it was measured.
const jsonFile = new URL(`docs/${values.out}.json`, root);
if (named.length > 0 && !values['no-write'] && existsSync(jsonFile)) {
  const previous = JSON.parse(readFileSync(jsonFile, 'utf8'));
  for (const family of Object.keys(FAMILIES)) {
    if (wanted.includes(family) || !(previous.results?.[family]?.length > 0)) continue;
    run.results[family] = previous.results[family];
    run.measured[family] = previous.measured?.[family] ?? {
      finishedAt: previous.finishedAt,
      mode: previous.mode,
      loadStart: previous.loadStart,
      loadEnd: previous.loadEnd,
    };
  }
}
print(`done in ${run.durationSeconds} s`);
if (wanted.includes('hotKey'))
  console.table(
    results.hotKey.map((row) => ({
      db: row.dialect,
      n: row.handlers,
      variant: row.variant,
      goodput: Math.round(row.goodput),
      xPessimistic: row.vsPessimistic.toFixed(2),
      xCeiling: row.vsCeiling.toFixed(2),
      lost: row.lost,
    })),
  );
if (!values['no-write']) {
  if (!/^[\w-]+$/.test(values.out)) throw new Error('--out takes a plain file name such as benchmarks-async-commit');
  const markdownFile = new URL(`docs/${values.out}.md`, root);
  const existing = existsSync(markdownFile) ? readFileSync(markdownFile, 'utf8') : '';
  const handWritten = existing.includes(MARKER) ? existing.slice(existing.indexOf(MARKER)) : `${MARKER}\n`;
  const charts = await writeCharts(run, new URL('docs/', root), values.out);
  writeFileSync(jsonFile, `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(markdownFile, `${renderMarkdown(run, charts)}\n${handWritten}`);
  print(
    `wrote docs/${values.out}.json, docs/${values.out}.md${charts.map((chart) => `, docs/${chart.file}`).join('')}`,
  );
}
