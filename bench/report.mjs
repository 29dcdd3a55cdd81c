// Turns a run's results into docs/benchmarks.md: the machine, then one table per scenario family.
const fixed = (digits) => (value) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const ms = fixed(2);
const ratio = (value) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : '–');
const rate = fixed(0);

function table(headers, rows) {
  return [
    `| ${headers.join(' | ')} |`,
    `|${headers.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

const hotKeyColumns = [
  'goodput (ops/s)',
  '× pessimistic',
  '× single statement',
  'p50 ms',
  'p99 ms',
  'attempts/commit',
  'exhausted',
  'lost updates',
];
const hotKeyCells = (row) => [
  rate(row.goodput),
  ratio(row.vsPessimistic),
  ratio(row.vsCeiling),
  ms(row.p50),
  ms(row.p99),
  fixed(2)(row.attemptsPerCommit),
  row.exhausted,
  row.lost,
];

/** A section's lines, or none when the run did not measure it (`--families`, `--only`). */
const section = (rows, lines) => (rows.length === 0 ? [] : lines);

const variantName = (row) => `\`${row.call}\`${row.queue ? ' +queue' : ''}`;
const count = (value) => (Number.isFinite(value) ? value.toFixed(2).replace(/\.?0+$/, '') : '–');

/** When a family was measured, when a run kept it from an earlier run (or always, for the webhook family). */
function measuredLine(run, family, always = false) {
  const measured = run.measured?.[family];
  if (measured === undefined || (!always && measured.finishedAt === run.finishedAt)) return [];
  const load = (values) => values.map(fixed(2)).join(', ');
  return [
    `Measured ${measured.finishedAt} in \`${measured.mode}\` mode; load average at start / end ${load(measured.loadStart)} / ${load(measured.loadEnd)}.`,
    '',
  ];
}

/** The webhook family: what one message costs on each path, uncontended and on a hot chat. */
function webhookSection(run) {
  const rows = run.results.webhook ?? [];
  const uncontended = rows.filter((row) => row.scenario === 'uncontended');
  const hot = rows.filter((row) => row.scenario === 'hot chat');
  const proxied = rows.find((row) => row.latencyMs !== undefined);
  return section(rows, [
    '## Webhook: what one message costs',
    '',
    ...measuredLine(run, 'webhook', true),
    'Each message increments `data.counter` of its chat, so the counters the database holds at the end say how many',
    'messages landed: **lost** counts acknowledged messages missing from them, **applied twice** counts messages',
    'counted more than once, including after delivering each of 5 fresh message ids 8 times at once (from every',
    'process) to the keyed variants. Statements are counted at the driver (every query a `pg` client sends, every',
    '`better-sqlite3` statement run) and divided by the messages handled, retries included.',
    '',
    '- `raw`: the hand-written conditional `UPDATE … WHERE key = $1 AND version = $3` on the bare driver (no',
    '  `RETURNING`: a webhook handler does not need the row back, the library returns the written session);',
    '  uncontended it writes on the version it wrote last (one statement), on the hot chat it reads first and',
    '  retries a refused write at once;',
    '- `updateSession`: the same with the library (`expectedVersion`), likewise;',
    '- `withSessionRetry`: reads the session and calls `updateSession` inside, default retry policy;',
    '- `withSessionRetry+key`: the same with an `idempotencyKey` (a fresh message id per message): exactly once;',
    '- `+queue`: on a repository with `perKeyQueue: true` (the default), without it on `perKeyQueue: false`;',
    '- `pessimistic`: `BEGIN; SELECT … FOR UPDATE; UPDATE; COMMIT` (SQLite: a `BEGIN IMMEDIATE` transaction);',
    '  `single-statement`: `UPDATE … SET counter = counter + 1`, the ceiling no read-modify-write can pass.',
    '',
    ...(proxied === undefined
      ? []
      : [
          `\`${proxied.database}\` is the same PostgreSQL reached through a loopback proxy (\`bench/lib/latency-proxy.mjs\`)`,
          `that holds every chunk ${proxied.latencyMs} ms in each direction, as a network hop would; Node's timers round`,
          `that up, and a \`SELECT 1\` round trip through it measured ${ms(proxied.addedRoundTripMs)} ms slower than direct.`,
          '',
        ]),
    '### Uncontended',
    '',
    "One handler; each message on the next of 50+ chats of its own, so nothing conflicts. The variants' rounds",
    'alternate; ratios are against `raw` on the same database in the same run.',
    '',
    table(
      [
        'database',
        'variant',
        'statements / message',
        'p50 ms',
        'p50 × raw',
        'p99 ms',
        'messages/s',
        'goodput × raw',
        'lost',
        'applied twice',
      ],
      uncontended.map((row) => [
        row.database,
        variantName(row),
        count(row.statementsPerMessage),
        fixed(3)(row.p50),
        ratio(row.p50VsRaw),
        fixed(3)(row.p99),
        rate(row.goodput),
        ratio(row.goodputVsRaw),
        row.lost,
        row.appliedTwice,
      ]),
    ),
    '',
    '### Hot chat',
    '',
    'One chat, N handlers in one process, or 16 spread over 4 processes (as 4 function instances, each with its',
    'own pool and queue). Goodput is messages applied per second, from the counter; every variant at 16',
    "handlers, the chart's lines at the other counts.",
    '',
    table(
      [
        'database',
        'processes',
        'handlers',
        'variant',
        'goodput (msg/s)',
        '× pessimistic',
        '× single statement',
        'statements / message',
        'attempts / message',
        'p50 ms',
        'p99 ms',
        'exhausted',
        'lost',
        'applied twice',
      ],
      hot.map((row) => [
        row.database,
        row.processes,
        row.handlers,
        variantName(row),
        rate(row.goodput),
        ratio(row.goodputVsPessimistic),
        ratio(row.goodputVsSingleStatement),
        count(row.statementsPerMessage),
        fixed(2)(row.attemptsPerMessage),
        ms(row.p50),
        ms(row.p99),
        row.exhausted,
        row.lost,
        row.appliedTwice,
      ]),
    ),
    '',
  ]);
}

/** The charts, first: a reader sees the result before the tables. */
function chartsSection(charts) {
  if (charts.length === 0) return [];
  return [
    '## At a glance',
    '',
    'Drawn by `npm run bench` from the webhook family below (`bench/charts.mjs`, vega-lite).',
    '',
    ...charts.flatMap((chart) => [`![${chart.title}](${chart.file})`, '']),
  ];
}

export function renderMarkdown(run, charts = []) {
  const { machine, results } = run;
  const lines = [
    '# Benchmarks',
    '',
    'Produced by `npm run bench` (`bench/`); every ratio compares numbers measured in the same run on the same',
    'database. Re-run it on your own hardware before drawing conclusions: absolute numbers depend heavily',
    'on the disk (each PostgreSQL commit waits for an fsync) and on what else the machine is doing.',
    '',
    `Measured ${run.finishedAt} in \`${run.mode}\` mode (${run.settings.rounds} rounds of ${run.settings.roundMs} ms after a ${run.settings.warmupMs} ms warm-up; medians across rounds, counts summed).`,
    '',
    table(
      ['machine', ''],
      [
        ['CPU', `${machine.cpu} (${machine.cores} cores)`],
        ['memory', `${machine.memoryGiB} GiB`],
        ['Node', machine.node],
        [
          'load average at start / end',
          `${run.loadStart.map(fixed(2)).join(', ')} / ${run.loadEnd.map(fixed(2)).join(', ')}`,
        ],
        ...Object.entries(machine.databases).map(([dialect, version]) => [dialect, version]),
        ...(run.notes ?? []).map((note) => ['note', note]),
      ],
    ),
    '',
    ...chartsSection(charts),
    ...webhookSection(run),
    ...section(results.uncontended, [
      '## Uncontended: `updateSession` against a raw conditional `UPDATE … RETURNING`',
      '',
      ...measuredLine(run, 'uncontended'),
      `${run.settings.keys} keys, each written by one handler only, so nothing conflicts. The raw baseline is the`,
      'statement a user of the bare driver would write by hand (same columns, same version predicate).',
      '',
      table(
        [
          'database',
          'concurrency',
          'library p50 ms',
          'raw p50 ms',
          'latency ×',
          'library ops/s',
          'raw ops/s',
          'throughput ×',
        ],
        results.uncontended.map((row) => [
          row.dialect,
          row.concurrency,
          ms(row.libraryP50),
          ms(row.rawP50),
          ratio(row.latencyRatio),
          rate(row.libraryThroughput),
          rate(row.rawThroughput),
          ratio(row.throughputRatio),
        ]),
      ),
      '',
    ]),
    ...section(results.hotKey, [
      '## Hot key, one process',
      '',
      ...measuredLine(run, 'hotKey'),
      'One key, N concurrent read-modify-write handlers incrementing `data.counter`. Goodput and lost updates',
      'come from the counter the database holds at the end, not from what each call reported. `naive` reads',
      'and writes without the version check; `withSessionRetry` uses the default policy (3 attempts, 50 ms',
      'base, proportional jitter); `perKeyQueue` is the same call on a repository made with `perKeyQueue: true`;',
      '`pessimistic` is `BEGIN; SELECT … FOR UPDATE; UPDATE; COMMIT` (SQLite: `BEGIN IMMEDIATE`); the',
      'single statement `UPDATE … SET counter = counter + 1` is the ceiling no read-modify-write can pass.',
      '',
      table(
        ['database', 'handlers', 'variant', ...hotKeyColumns],
        results.hotKey.map((row) => [row.dialect, row.handlers, row.variant, ...hotKeyCells(row)]),
      ),
      '',
    ]),
    ...section(results.processes, [
      '## Hot key, 4 processes',
      '',
      ...measuredLine(run, 'processes'),
      'The same handlers spread evenly over 4 processes (as 4 function instances), each with its own',
      'connection pool and, for `perKeyQueue`, its own queue: conflicts now happen between processes.',
      '',
      table(
        ['database', 'handlers', 'variant', ...hotKeyColumns],
        results.processes.map((row) => [row.dialect, row.handlers, row.variant, ...hotKeyCells(row)]),
      ),
      '',
    ]),
    ...section(results.peers, [
      '## Peers on the same database',
      '',
      ...measuredLine(run, 'peers'),
      "The same 16-handler hot-key increment with an ORM's own optimistic locking, on the same PostgreSQL in the",
      "same run. Sequelize retries with the library's `withRetry` (default policy) on `OptimisticLockError`.",
      '',
      table(
        [
          'database',
          'handlers',
          'peer',
          'goodput (ops/s)',
          'p50 ms',
          'p99 ms',
          'attempts/commit',
          'exhausted',
          'lost updates',
        ],
        results.peers.map((row) => [
          row.dialect,
          row.handlers,
          row.peer,
          rate(row.goodput),
          ms(row.p50),
          ms(row.p99),
          fixed(2)(row.attemptsPerCommit),
          row.exhausted,
          row.lost,
        ]),
      ),
      '',
    ]),
    ...section(results.backoff, [
      '## Backoff policies under hot-key contention',
      '',
      ...measuredLine(run, 'backoff'),
      '16 handlers, every retry option at its default except `jitter`.',
      '',
      table(
        [
          'database',
          'setup',
          'jitter',
          'goodput (ops/s)',
          'p50 ms',
          'p99 ms',
          'attempts/commit',
          'exhausted',
          'lost updates',
        ],
        results.backoff.map((row) => [
          row.dialect,
          row.setup,
          row.jitter,
          rate(row.goodput),
          ms(row.p50),
          ms(row.p99),
          fixed(2)(row.attemptsPerCommit),
          row.exhausted,
          row.lost,
        ]),
      ),
      '',
    ]),
  ];
  return lines.join('\n');
}
