import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    sqlite: 'src/sqlite/index.ts',
    postgres: 'src/postgres/index.ts',
    mssql: 'src/mssql/index.ts',
    mysql: 'src/mysql/index.ts',
    migrations: 'src/migrations/index.ts',
    agents: 'src/agents/index.ts',
    grammy: 'src/grammy/index.ts',
    telegraf: 'src/telegraf/index.ts',
    cli: 'src/cli/main.ts',
    demo: 'src/demo/run-demo.ts',
    'demo-instance': 'src/demo/demo-instance.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  splitting: true,
  // import.meta.url in the CommonJS build, used to find the packaged migrations.
  shims: true,
  // p-retry is ESM-only; bundling it lets require() load the CommonJS build on Node 20.
  noExternal: ['p-retry', 'is-network-error'],
  external: ['better-sqlite3', 'pg', 'mssql', 'mysql2', '@opentelemetry/api'],
});
