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

export function renderMarkdown(run) {
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
    ...section(results.uncontended, [
      '## Uncontended: `updateSession` against a raw conditional `UPDATE … RETURNING`',
      '',
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
