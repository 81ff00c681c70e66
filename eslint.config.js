// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';

/**
 * The architecture's arrows, enforced: each folder lists what it must not import.
 * core ← runner, store, artifacts ← engine, scheduler ← app ← cli / server; src/stepflow.ts
 * is the composition root (the one file that picks adapters and wires them).
 */
const layer = (files, forbidden, message) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', { patterns: forbidden.map((group) => ({ group: [group], message })) }],
  },
});

const IO_MODULES = [
  'node:fs',
  'node:fs/*',
  'fs',
  'node:child_process',
  'child_process',
  'node:net',
  'node:http',
  'node:os',
  'better-sqlite3',
  'pg',
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'web/dist/', 'coverage/', 'native/*/build/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      'import-x/no-cycle': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  layer(
    ['src/core/**/*.ts'],
    [
      '**/app/**',
      ...IO_MODULES,
      '**/runner/**',
      '**/store/**',
      '**/artifacts/**',
      '**/engine/**',
      '**/cli/**',
      '**/server/**',
      '**/protocol/**',
      '**/scheduler/**',
      '**/notify/**',
    ],
    'src/core is pure: no I/O and no imports from outer layers.',
  ),
  layer(
    ['src/protocol/**/*.ts'],
    [
      '**/app/**',
      ...IO_MODULES,
      '**/runner/**',
      '**/store/**',
      '**/artifacts/**',
      '**/engine/**',
      '**/cli/**',
      '**/server/**',
    ],
    'src/protocol holds wire types only; it may import core.',
  ),
  layer(
    ['src/runner/**/*.ts'],
    [
      '**/app/**',
      '**/store/**',
      '**/artifacts/**',
      '**/engine/**',
      '**/cli/**',
      '**/server/**',
      'better-sqlite3',
      'pg',
    ],
    'src/runner may import only core.',
  ),
  layer(
    ['src/artifacts/**/*.ts'],
    [
      '**/app/**',
      '**/runner/**',
      '**/store/**',
      '**/engine/**',
      '**/cli/**',
      '**/server/**',
      'node:child_process',
    ],
    'src/artifacts may import only core.',
  ),
  layer(
    ['src/secrets/**/*.ts'],
    [
      '**/app/**',
      '**/runner/**',
      '**/store/**',
      '**/artifacts/**',
      '**/engine/**',
      '**/cli/**',
      '**/server/**',
      'node:child_process',
      'better-sqlite3',
      'pg',
    ],
    'src/secrets (sealing stored secrets, their key) may import only core.',
  ),
  layer(
    ['src/store/**/*.ts'],
    [
      '**/app/**',
      '**/runner/**',
      '**/artifacts/**',
      '**/engine/**',
      '**/cli/**',
      '**/server/**',
      'node:child_process',
      'pg',
    ],
    'src/store may import only core; only src/store/postgres may import pg (the PostgreSQL driver).',
  ),
  // The PostgreSQL driver is the PostgreSQL adapter's alone (as better-sqlite3 is SQLite's):
  // src/store/** forbids it, src/store/postgres/** takes the same list without it.
  layer(
    ['src/store/postgres/**/*.ts'],
    [
      '**/app/**',
      '**/runner/**',
      '**/artifacts/**',
      '**/engine/**',
      '**/cli/**',
      '**/server/**',
      'node:child_process',
    ],
    'src/store may import only core.',
  ),
  layer(
    ['src/*.ts'],
    ['pg', 'better-sqlite3'],
    'Database drivers belong to their adapters (src/store/postgres, src/store/sqlite); the root picks adapters.',
  ),
  layer(
    ['src/engine/**/*.ts'],
    [
      '**/app/**',
      '**/store/sqlite/**',
      '**/store/postgres/**',
      '**/cli/**',
      '**/server/**',
      'better-sqlite3',
      'pg',
      'node:child_process',
    ],
    'src/engine depends on ports (store/store.ts), never on an adapter; only the runner spawns.',
  ),
  layer(
    ['src/scheduler/**/*.ts'],
    [
      '**/app/**',
      '**/store/sqlite/**',
      '**/store/postgres/**',
      '**/runner/**',
      '**/cli/**',
      '**/server/**',
      'better-sqlite3',
      'pg',
      'node:child_process',
    ],
    'src/scheduler depends on ports (store/job-store.ts, store/store.ts, the engine), never on an adapter.',
  ),
  layer(
    ['src/notify/**/*.ts'],
    [
      '**/app/**',
      '**/store/sqlite/**',
      '**/store/postgres/**',
      '**/runner/**',
      '**/engine/**',
      '**/scheduler/**',
      '**/cli/**',
      '**/server/**',
      'better-sqlite3',
      'pg',
      'node:child_process',
    ],
    'src/notify sends webhooks from the store ports; it may import core and store ports only.',
  ),
  layer(
    ['src/app/**/*.ts'],
    [
      '**/cli/**',
      '**/server/**',
      '**/store/sqlite/**',
      '**/store/postgres/**',
      '**/runner/**',
      'better-sqlite3',
      'pg',
      'node:child_process',
    ],
    'src/app (the use cases) depends on the engine, the scheduler and the store ports, never on an adapter or a caller.',
  ),
  layer(
    ['src/cli/**/*.ts'],
    [
      '**/engine/**',
      '**/store/sqlite/**',
      '**/store/postgres/**',
      '**/scheduler/**',
      '**/notify/**',
      '**/runner/**',
      'better-sqlite3',
      'pg',
      'node:child_process',
    ],
    'src/cli goes through the application layer (src/app) and the composition root (src/stepflow.ts); only the runner spawns.',
  ),
  layer(
    ['src/server/**/*.ts'],
    [
      '**/cli/**',
      '**/engine/**',
      '**/store/sqlite/**',
      '**/store/postgres/**',
      '**/scheduler/**',
      '**/notify/**',
      '**/runner/**',
      'better-sqlite3',
      'pg',
      'node:child_process',
    ],
    'src/server goes through the application layer (src/app); it never imports the CLI, the engine, the bus, the writer or an adapter.',
  ),
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // The web UI runs in the browser and may take only types from the server (src/protocol).
    files: ['web/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/src/**', '!**/src/protocol/**'],
              message: 'web/ may import only src/protocol from the server.',
            },
            {
              group: ['**/src/protocol/**'],
              allowTypeImports: true,
              message: 'web/ takes only types from src/protocol (import type).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['bench/**/*.js', 'bin/**/*.js', 'test/fixtures/**/*.js', 'scripts/**/*.js'],
    languageOptions: { globals: { ...globals.node } },
  },
);
