/** The two commands as a user runs them (in process through `runCli`): output on stdout, exit codes. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MACHINES } from '../../machines/index.js';
import { machineToJson } from '../../src/view/export.js';
import { cli } from '../cli/support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'cc-view-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const clusterchart = (...args: string[]) => cli(args);

describe('clusterchart machines export', () => {
  it('prints one machine as Stately JSON and writes Mermaid to a file', async () => {
    const json = await clusterchart('machines', 'export', '--format', 'json', '--machine', 'log-server');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(machineToJson(MACHINES['log-server'].machine));

    const out = join(dir, 'worker.mmd');
    const mermaid = await clusterchart('--json', 'machines', 'export', '--format', 'mermaid', '--machine', 'worker', '--out', out);
    expect(mermaid.code).toBe(0);
    expect(JSON.parse(mermaid.stdout)).toEqual({ files: [out] });
    expect(readFileSync(out, 'utf8')).toMatch(/^stateDiagram-v2\n/);
  });

  it('refuses an unknown format or machine as bad usage (exit 2)', async () => {
    const format = await clusterchart('machines', 'export', '--format', 'png');
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('png');
    const machine = await clusterchart('--json', 'machines', 'export', '--format', 'dot', '--machine', 'nope');
    expect(machine.code).toBe(2);
    expect(JSON.parse(machine.stdout)).toMatchObject({ error: { code: 'InvalidInput' } });
  });
});
