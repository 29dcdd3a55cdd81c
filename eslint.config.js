// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The folders that hold one SQL dialect each: they build on core/sql and nothing above it.
const DIALECT_FOLDERS = ['mssql', 'mysql', 'postgres', 'sqlite'];

// The folders of the framework adapters (and their shared part): they build on the public API only.
const ADAPTER_FOLDERS = ['agents', 'frameworks', 'grammy', 'telegraf'];

/** Core is the bottom layer: it never imports a dialect, the migrations, the CLI or the demo. */
const LEAVES_CORE = (pattern) => ({
  group: [pattern],
  message: 'src/core imports nothing outside src/core: no dialect, migrations, CLI or demo (see docs/architecture.md).',
});

export default tseslint.config(
  { ignores: ['dist/', 'docs/api/', 'node_modules/', 'test/.tmp/', 'coverage/', 'bench/node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        AbortSignal: 'readonly',
        AbortController: 'readonly',
        Buffer: 'readonly',
        setImmediate: 'readonly',
        performance: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      // The library logs only through the caller's logger.
      'no-console': 'error',
    },
  },
  {
    // Typed rules for the library and the guides' samples: the mistakes that lose a write or an error
    // silently (a promise nobody awaits, an async callback where a sync one is expected, a throw of a
    // non-Error, a switch over outcomes that misses one).
    files: ['src/**/*.ts', 'docs/examples/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-for-in-array': 'error',
      '@typescript-eslint/restrict-plus-operands': 'error',
    },
  },
  // Layer rules (docs/architecture.md): the picture reads bottom-up and nothing lower imports anything
  // higher. A later block replaces the rule for the files it matches, so each block lists every pattern
  // that applies to its files.
  {
    files: ['src/core/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [LEAVES_CORE('../**')] }] },
  },
  {
    files: ['src/core/*/**/*.ts'],
    ignores: ['src/core/sql/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [LEAVES_CORE('../../**')] }] },
  },
  {
    files: ['src/core/sql/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            LEAVES_CORE('../../**'),
            {
              group: ['../repository/**', '../retry/**', '../observability/**'],
              message:
                'core/sql is the shared SQL store under the repository: it never imports core/repository, core/retry or core/observability.',
            },
          ],
        },
      ],
    },
  },
  {
    files: DIALECT_FOLDERS.map((dialect) => `src/${dialect}/**/*.ts`),
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // Anything outside the dialect's own folder but these five.
              regex: '^\\.\\./(?!core/(sql/|session-store\\.js$|dialect\\.js$|errors\\.js$|validate\\.js$))',
              message:
                'A dialect folder imports only core/sql/**, core/session-store, core/dialect, core/errors and core/validate (see docs/architecture.md).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ADAPTER_FOLDERS.map((folder) => `src/${folder}/**/*.ts`),
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // The public API, the adapters' shared part, and the argument checks every layer words alike.
              regex: '^\\.\\./(?!index\\.js$|frameworks/|core/validate\\.js$)',
              message:
                'A framework adapter builds on the public API only: ../index.js, src/frameworks and the argument checks of core/validate, nothing else of the library (see docs/architecture.md).',
            },
            {
              group: ['grammy', 'grammy/*', 'telegraf', 'telegraf/*', '@microsoft/*', 'botbuilder', 'botbuilder-*'],
              message:
                'Adapters type the frameworks by the shape they call; importing one would make an optional peer dependency required.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['scripts/**', 'bench/**', 'test/**', '.ci/**', 'docs/examples/**'],
    rules: { 'no-console': 'off' },
  },
);
