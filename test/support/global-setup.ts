/**
 * Bundles the library's source for code that runs outside vitest's transform: worker threads and
 * child processes in the concurrency tests load `test/.tmp/lib/*.mjs`.
 */
import { build } from 'esbuild';

export default async function setup(): Promise<void> {
  await build({
    entryPoints: {
      index: 'src/index.ts',
      sqlite: 'src/sqlite/index.ts',
      postgres: 'src/postgres/index.ts',
      mssql: 'src/mssql/index.ts',
      mysql: 'src/mysql/index.ts',
      migrations: 'src/migrations/index.ts',
      cli: 'src/cli/main.ts',
      'demo-instance': 'src/demo/demo-instance.ts',
    },
    outdir: 'test/.tmp/lib',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
}
