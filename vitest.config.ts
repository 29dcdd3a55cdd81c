import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = fileURLToPath(new URL('./src/', import.meta.url));

export default defineConfig({
  // The guides' examples import the package by name, as users do; in tests that name is the source.
  resolve: {
    alias: [
      { find: /^versioned-sessions$/, replacement: `${source}index.ts` },
      { find: /^versioned-sessions\/(\w+)$/, replacement: `${source}$1/index.ts` },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
