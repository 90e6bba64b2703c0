// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Modules that do I/O or talk to a store: never imported by the pure layers. */
const impure = {
  patterns: [
    { group: ['node:*'], message: 'machines/ and projections/ are pure: no node:* imports (ARCHITECTURE.md).' },
    { group: ['better-sqlite3', '@eventstore/*'], message: 'machines/ and projections/ never touch a store.' },
    { group: ['**/src/store/**', '**/src/engine/**', '**/src/cli/**', '**/src/view/**'], message: 'machines/ and projections/ import only xstate, immer and src/domain.' },
  ],
  paths: ['fs', 'path', 'os', 'child_process', 'crypto', 'http', 'net', 'worker_threads', 'pino'],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test-artifacts/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    files: ['machines/**/*.ts', 'projections/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', impure] },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
);
