// @ts-check
import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/**
 * What workflow code may load (README, "Determinism"): the workflow SDK, `@temporalio/common` (the
 * sandbox-safe package the workflow SDK is built on), zod, other workflow files, and the input contracts
 * in `src/contracts/`, which workflows share with activities and the CLI and so must be workflow-safe too.
 * Anything else only as a type-only import (`import type …`), which the compiler erases.
 * The pattern matches every other import source.
 */
const NOT_WORKFLOW_SAFE = String.raw`^(?!(?:@temporalio/(?:workflow|common)|zod)(?:/|$)|\./|\.\./contracts(?:/|$))`;

export default defineConfig(
  {
    ignores: ['dist/**', 'node_modules/**', '.tools/**', '.data/**', 'artifacts/**', 'bench/results/**'],
  },
  eslint.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Type-aware rules, chosen for what they catch here: a promise nobody awaits loses its rejection.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's test()/describe() return promises the runner itself awaits.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // `_`-prefixed names are deliberate (the compiler's noUnused* settings already catch the rest).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/workflows/**/*.ts', 'src/contracts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: NOT_WORKFLOW_SAFE,
              caseSensitive: true,
              allowTypeImports: true,
              message:
                'Workflow code runs in the deterministic sandbox: import only @temporalio/workflow, @temporalio/common, ' +
                'zod, workflow files and src/contracts, or use `import type` (README, "Determinism").',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
