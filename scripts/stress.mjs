// `npm run stress`: bundles the stress harness (TypeScript under test/stress/) and runs it with worker
// processes that load the built library from dist/. Arguments after `--` go to the harness; see
// test/stress/cli.ts for the list.
import { build } from 'esbuild';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outfile = `${root}test/.tmp/stress/cli.mjs`;
await build({
  entryPoints: [`${root}test/stress/cli.ts`],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
const { runStressCli } = await import(pathToFileURL(outfile).href);
const library = {
  core: pathToFileURL(`${root}dist/index.js`).href,
  sqlite: pathToFileURL(`${root}dist/sqlite.js`).href,
  postgres: pathToFileURL(`${root}dist/postgres.js`).href,
  mssql: pathToFileURL(`${root}dist/mssql.js`).href,
  mysql: pathToFileURL(`${root}dist/mysql.js`).href,
};
process.exitCode = await runStressCli({
  library,
  workerFile: `${root}test/stress/stress-worker.mjs`,
  argv: process.argv.slice(2),
  write: (line) => console.log(line),
});
