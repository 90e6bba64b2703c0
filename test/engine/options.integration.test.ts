/** A bad engine option opens nothing: no store file, no projection checkpoints, no engine to close. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine, type EngineOptions } from '../../src/engine/engine.js';
import { quiet } from '../view/support/cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'cc-engine-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('createEngine with a bad option', () => {
  it.each<[string, unknown]>([
    ['maxBatchSize', 0],
    ['deadAfterMs', Number.NaN],
    ['clock', 5],
    ['unknownOption', true],
  ])('%s = %s: refused before the sqlite file is created', async (name, value) => {
    const file = join(dir, `${name}.db`);
    const options = { store: `sqlite:${file}`, cluster: 'c1', logger: quiet, [name]: value } as unknown as EngineOptions;
    await expect(createEngine(options)).rejects.toMatchObject({ code: 'InvalidInput' });
    expect(existsSync(file)).toBe(false);
  });
});
