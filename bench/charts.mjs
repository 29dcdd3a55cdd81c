// The pictures of a run, as SVG files next to the markdown: drawn with vega-lite, rendered by vega in
// Node (no browser, no canvas). A family that was not measured draws nothing.
import { writeFileSync } from 'node:fs';
import * as vega from 'vega';
import { compile } from 'vega-lite';

const variantOf = (row) => (row.queue ? `${row.call} +queue` : row.call);
const ORDER = [
  'raw',
  'updateSession',
  'updateSession +queue',
  'withSessionRetry',
  'withSessionRetry +queue',
  'withSessionRetry+key',
  'withSessionRetry+key +queue',
  'pessimistic',
  'single-statement',
];
const FONT = { font: 'Helvetica, Arial, sans-serif', labelFont: 'Helvetica, Arial, sans-serif' };

async function toSvg(spec) {
  const { spec: compiled } = compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    config: {
      font: FONT.font,
      axis: { labelFontSize: 11, titleFontSize: 12, labelLimit: 260 },
      legend: { labelLimit: 260 },
      title: { fontSize: 14 },
    },
    ...spec,
  });
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return `${svg}\n`;
}

/** Statements per uncontended message, one bar per variant, one panel per database. */
function statementsChart(rows) {
  return {
    title: { text: 'Statements per message (uncontended)', subtitle: 'counted at the driver; lower is better' },
    data: {
      values: rows.map((row) => ({ database: row.database, variant: variantOf(row), value: row.statementsPerMessage })),
    },
    facet: { column: { field: 'database', type: 'nominal', title: null } },
    spec: {
      width: 260,
      height: 220,
      layer: [
        {
          mark: { type: 'bar', color: '#4c78a8' },
          encoding: {
            y: { field: 'variant', type: 'nominal', sort: ORDER, title: null },
            x: { field: 'value', type: 'quantitative', title: 'statements / message' },
          },
        },
        {
          mark: { type: 'text', align: 'left', dx: 3 },
          encoding: {
            y: { field: 'variant', type: 'nominal', sort: ORDER },
            x: { field: 'value', type: 'quantitative' },
            text: { field: 'value', type: 'quantitative', format: '.2~f' },
          },
        },
      ],
    },
  };
}

/** p50 per uncontended message as a multiple of the raw statement's, one panel per database. */
function latencyChart(rows) {
  return {
    title: {
      text: 'p50 per message (uncontended), × the raw conditional UPDATE',
      subtitle: 'ratios measured in the same run; labels give the p50 in ms; 1 = the raw statement',
    },
    data: {
      values: rows.map((row) => ({
        database: row.database,
        variant: variantOf(row),
        ratio: row.p50VsRaw,
        label: `${row.p50 < 0.1 ? row.p50.toFixed(3) : row.p50.toFixed(2)} ms`,
      })),
    },
    facet: { column: { field: 'database', type: 'nominal', title: null } },
    resolve: { scale: { x: 'independent' } },
    spec: {
      width: 220,
      height: 220,
      layer: [
        {
          mark: { type: 'bar', color: '#f58518' },
          encoding: {
            y: { field: 'variant', type: 'nominal', sort: ORDER, title: null },
            x: { field: 'ratio', type: 'quantitative', title: '× raw p50' },
          },
        },
        {
          mark: { type: 'text', align: 'left', dx: 3, fontSize: 10 },
          encoding: {
            y: { field: 'variant', type: 'nominal', sort: ORDER },
            x: { field: 'ratio', type: 'quantitative' },
            text: { field: 'label', type: 'nominal' },
          },
        },
        { mark: { type: 'rule', strokeDash: [3, 3], color: '#666' }, encoding: { x: { datum: 1 } } },
      ],
    },
  };
}

/** Hot chat goodput against handlers (one process): the library's paths as lines, the references dashed. */
function goodputChart(rows) {
  return {
    title: {
      text: 'Hot chat: messages applied per second against handlers (1 process)',
      subtitle: 'dashed: pessimistic locking and the single in-place UPDATE (the ceiling); higher is better',
    },
    data: {
      values: rows.map((row) => ({
        database: row.database,
        variant: variantOf(row),
        handlers: row.handlers,
        goodput: row.goodput,
        reference: row.call === 'pessimistic' || row.call === 'single-statement' ? 'reference' : 'library / raw',
      })),
    },
    facet: { column: { field: 'database', type: 'nominal', title: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 240,
      height: 220,
      mark: { type: 'line', point: true },
      encoding: {
        x: {
          field: 'handlers',
          type: 'quantitative',
          scale: { type: 'log', base: 2 },
          axis: { values: [...new Set(rows.map((row) => row.handlers))] },
        },
        y: { field: 'goodput', type: 'quantitative', title: 'messages applied / s' },
        color: { field: 'variant', type: 'nominal', sort: ORDER, title: null },
        strokeDash: { field: 'reference', type: 'nominal', title: null, legend: null },
      },
    },
  };
}

/** Writes the run's charts under `folder` as `<base>-<name>.svg`; returns `[{ file, title }]` for the markdown. */
export async function writeCharts(run, folder, base) {
  const rows = run.results.webhook ?? [];
  if (rows.length === 0) return [];
  const uncontended = rows.filter((row) => row.scenario === 'uncontended');
  const charts = [
    {
      name: 'webhook-statements',
      title: 'Statements per message by variant',
      spec: statementsChart(uncontended.filter((row) => row.latencyMs === undefined)),
    },
    { name: 'webhook-p50', title: 'p50 per message by variant, × raw', spec: latencyChart(uncontended) },
    {
      name: 'webhook-goodput',
      title: 'Hot chat goodput against handlers',
      spec: goodputChart(rows.filter((row) => row.scenario === 'hot chat' && row.processes === 1)),
    },
  ];
  const written = [];
  for (const chart of charts) {
    const file = `${base}-${chart.name}.svg`;
    writeFileSync(new URL(file, folder), await toSvg(chart.spec));
    written.push({ file, title: chart.title });
  }
  return written;
}
