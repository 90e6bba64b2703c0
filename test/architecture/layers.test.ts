/**
 * The one-way layers are enforced by the lint config: an import that points up a layer fails `npm run lint`.
 * Each case lints a probe file placed in a layer with the project's own layer rules (no type information needed).
 */
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- the lint config is plain JavaScript without type declarations.
import { layerRules } from '../../eslint.config.js';

const eslint = new ESLint({
  cwd: process.cwd(),
  overrideConfigFile: true,
  overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, ...(layerRules as object[])],
});

async function restrictedImports(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layers point one way (eslint.config.js)', () => {
  it.each([
    ['src/domain/probe.ts', "import { decide } from '../decider/index.js';"],
    ['src/domain/probe.ts', "import { MACHINES } from '../../machines/index.js';"],
    ['machines/probe.ts', "import { decide } from '../src/decider/index.js';"],
    ['src/decider/probe.ts', "import { auditEntries } from '../../projections/audit-trail.js';"],
    ['src/decider/probe.ts', "import { readFileSync } from 'node:fs';"],
    ['projections/probe.ts', "import { createEngine } from '../src/engine/engine.js';"],
    ['src/store/probe.ts', "import { decide } from '../decider/index.js';"],
    ['src/engine/probe.ts', "import { runCli } from '../cli/program.js';"],
    ['src/cli/probe.ts', "import { openStore } from '../store/open-store.js';"],
    ['src/cli/probe.ts', "import Database from 'better-sqlite3';"],
    ['src/cli/probe.ts', "import { decide } from '../decider/index.js';"],
    ['src/view/probe.ts', "import { createEngine } from '../engine/engine.js';"],
    ['src/view/probe.ts', "import { program } from '../cli/program.js';"],
  ])('%s may not: %s', async (file, source) => {
    expect(await restrictedImports(file, source)).toHaveLength(1);
  });

  it.each([
    ['machines/probe.ts', "import { STORAGE_STATES } from '../src/domain/states.js';"],
    ['src/decider/probe.ts', "import { MACHINES } from '../../machines/index.js';"],
    ['projections/probe.ts', "import { evolve } from '../src/decider/index.js';"],
    ['src/engine/probe.ts', "import { openStore } from '../store/open-store.js';"],
    ['src/cli/probe.ts', "import { createEngine } from '../index.js';"],
    ['src/cli/probe.ts', "import { createLossyStore } from '../testing/index.js';"],
    ['src/cli/probe.ts', "import { startViewer } from '../view/server.js';"],
    ['src/view/probe.ts', "import { openClusterReader } from '../index.js';"],
  ])('%s may: %s', async (file, source) => {
    expect(await restrictedImports(file, source)).toEqual([]);
  });
});
