// Lint keeps the package boundaries (docs/architecture.md, "Components"): orchestrator -> shared <- worker,
// packages import each other by name only, no cycles, no floating promises.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.d.ts', '.denoise-sweep/**', '.cache/**', 'coverage/**', '.gpu-check/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-relative-packages': 'error',
      'import-x/no-cycle': 'error',
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/packages/*/src/**', '../../*/src/**', '@denoise-sweep/*/src/**', '@denoise-sweep/*/dist/**'], message: 'Import other packages by name (@denoise-sweep/...), never by path.' }],
      }],
    },
  },
  {
    files: ['packages/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: '@tensorflow/tfjs', message: 'shared must stay light: no TensorFlow.' }],
        patterns: [{ group: ['@denoise-sweep/worker', '@denoise-sweep/orchestrator', '@tensorflow/*'], message: 'shared depends on nothing of ours and no TensorFlow.' }],
      }],
    },
  },
  {
    files: ['packages/orchestrator/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['@denoise-sweep/worker', '@tensorflow/*'], message: 'The orchestrator depends on shared only (docs/architecture.md, Components: orchestrator -> shared <- worker).' }],
      }],
    },
  },
  {
    files: ['packages/worker/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['@denoise-sweep/orchestrator'], message: 'The worker depends on shared only (docs/architecture.md, Components: orchestrator -> shared <- worker).' }],
      }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
