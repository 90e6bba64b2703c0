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

/** Store clients: only the store adapters (src/store) may load them. */
const STORE_CLIENTS = {
  group: ['better-sqlite3', '@eventstore/*'],
  message: 'Only src/store talks to a store client: read through the public API (openClusterReader, openStore).',
};

/**
 * The CLI and the viewer sit on the public API: `../index.js`, `../testing/index.js` and their own folder (the CLI
 * may also import the viewer). Everything below the API is reached through it.
 */
const PUBLIC_API_ONLY = ['src/domain', 'machines', 'src/decider', 'projections', 'src/store', 'src/engine'];
const PUBLIC_API_MESSAGE = 'The CLI and the viewer use the public API only: import from ../index.js (or ../testing/index.js).';
const TESTING_INTERNALS = {
  group: ['**/testing/**', '!**/testing/index.js'],
  message: 'Import the test kit from its public entry point (../testing/index.js).',
};

/** @type {Record<string, { files: string[], forbidden: string[], pure: boolean, message?: string, extra?: object[] }>} */
const LAYERS = {
  domain: { files: ['src/domain/**/*.ts'], forbidden: ['machines', 'src/decider', 'projections', 'src/store', 'src/engine', 'src/testing', 'src/view', 'src/cli'], pure: true },
  machines: { files: ['machines/**/*.ts'], forbidden: ['src/decider', 'projections', 'src/store', 'src/engine', 'src/testing', 'src/view', 'src/cli'], pure: true },
  decider: { files: ['src/decider/**/*.ts'], forbidden: ['projections', 'src/store', 'src/engine', 'src/testing', 'src/view', 'src/cli'], pure: true },
  projections: { files: ['projections/**/*.ts'], forbidden: ['src/store', 'src/engine', 'src/testing', 'src/view', 'src/cli'], pure: true },
  store: { files: ['src/store/**/*.ts'], forbidden: ['machines', 'src/decider', 'projections', 'src/engine', 'src/testing', 'src/view', 'src/cli'], pure: false },
  engine: { files: ['src/engine/**/*.ts'], forbidden: ['src/testing', 'src/view', 'src/cli'], pure: false },
  view: { files: ['src/view/**/*.ts'], forbidden: [...PUBLIC_API_ONLY, 'src/cli'], pure: false, message: PUBLIC_API_MESSAGE, extra: [STORE_CLIENTS, TESTING_INTERNALS] },
  cli: { files: ['src/cli/**/*.ts'], forbidden: PUBLIC_API_ONLY, pure: false, message: PUBLIC_API_MESSAGE, extra: [STORE_CLIENTS, TESTING_INTERNALS] },
};

export const layerRules = Object.entries(LAYERS).map(([name, { files, forbidden, pure, message, extra = [] }]) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [forbid(forbidden, message ?? `${name} sits below ${forbidden.join(', ')}: imports point down the layers only.`), ...(pure ? [IO] : []), ...extra],
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
