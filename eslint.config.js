// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers, lowest first. Each may import only the layers before it (and its own folder):
 *   src/domain -> machines -> src/decider -> projections -> src/store -> src/engine -> src/testing, src/view -> src/cli
 * `docs/ARCHITECTURE.md` explains why. A layer's rule lists the folders it must not reach.
 */
/** Matches an import specifier that enters the folder, however many `../` lead to it. */
const layer = (folder) => `**/${folder.replace(/^src\//, '')}/**`;
const forbid = (folders, message) => ({ group: folders.map(layer), message });

const IO = {
  group: ['node:*', 'better-sqlite3', '@eventstore/*', 'etcd3', 'pino', 'ws'],
  message: 'This layer is pure: no I/O, no clock, no store client.',
};
const NODE_BUILTINS = ['fs', 'path', 'os', 'child_process', 'crypto', 'http', 'net', 'worker_threads'];

/** @type {Record<string, { files: string[], forbidden: string[], pure: boolean }>} */
const LAYERS = {
  domain: { files: ['src/domain/**/*.ts'], forbidden: ['machines', 'src/decider', 'projections', 'src/store', 'src/engine', 'src/testing', 'src/view', 'src/cli'], pure: true },
  machines: { files: ['machines/**/*.ts'], forbidden: ['src/decider', 'projections', 'src/store', 'src/engine', 'src/testing', 'src/view', 'src/cli'], pure: true },
  decider: { files: ['src/decider/**/*.ts'], forbidden: ['projections', 'src/store', 'src/engine', 'src/testing', 'src/view', 'src/cli'], pure: true },
  projections: { files: ['projections/**/*.ts'], forbidden: ['src/store', 'src/engine', 'src/testing', 'src/view', 'src/cli'], pure: true },
  store: { files: ['src/store/**/*.ts'], forbidden: ['machines', 'src/decider', 'projections', 'src/engine', 'src/testing', 'src/view', 'src/cli'], pure: false },
  engine: { files: ['src/engine/**/*.ts'], forbidden: ['src/testing', 'src/view', 'src/cli'], pure: false },
};

const layerRules = Object.entries(LAYERS).map(([name, { files, forbidden, pure }]) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [forbid(forbidden, `${name} sits below ${forbidden.join(', ')}: imports point down the layers only.`), ...(pure ? [IO] : [])],
        paths: pure ? NODE_BUILTINS : [],
      },
    ],
  },
}));

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
  ...layerRules,
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
