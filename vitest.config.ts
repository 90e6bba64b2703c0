import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Test tiers, told apart by the file name (the folder says which part of the system a test is about):
 * - unit             `*.test.ts`: pure code (domain, decider, machines, projections, parsing, hashing, the kit);
 * - integration      `*.integration.test.ts`: in-process engine, stores (real SQLite files), CLI through `runCli`,
 *                    the viewer's HTTP server;
 * - e2e              `*.e2e.test.ts`: the built CLI in subprocesses, the viewer in a browser;
 * - soak             `*.soak.test.ts`: several writer processes, SIGKILL rounds, long property runs.
 * `npm test` runs every tier; `npm run test:unit` (and :integration, :e2e, :soak) one of them.
 */
const TIERS = ['integration', 'e2e', 'soak'] as const;

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // At least two test files at once, even on two cores: many tests mostly wait (on child processes, a browser,
    // SQLite's fsync), and a second file uses that time. (vitest's default is one fewer than the cores.)
    maxWorkers: Math.max(2, availableParallelism() - 1),
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: TIERS.map((tier) => `test/**/*.${tier}.test.ts`) } },
      ...TIERS.map((tier) => ({ extends: true as const, test: { name: tier, include: [`test/**/*.${tier}.test.ts`] } })),
    ],
  },
});
