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
 *
 * Unit and integration files share their worker's module graph (`isolate: false`): they change no global state,
 * and loading the library once per worker instead of once per file halves their time. End-to-end and soak files,
 * which drive processes, each get a fresh one.
 */
const SHARED = ['unit', 'integration'];
const tier = (name: string, include: string, exclude: string[] = []) => ({
  extends: true as const,
  test: { name, include: [include], exclude, isolate: !SHARED.includes(name) },
});

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
      tier('unit', 'test/**/*.test.ts', ['test/**/*.{integration,e2e,soak}.test.ts']),
      tier('integration', 'test/**/*.integration.test.ts'),
      tier('e2e', 'test/**/*.e2e.test.ts'),
      tier('soak', 'test/**/*.soak.test.ts'),
    ],
  },
});
