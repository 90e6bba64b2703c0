/* eslint-disable @typescript-eslint/no-unsafe-call -- the CLI's JSON output is read untyped */
/**
 * The built `clusterchart` binary as a user runs it, in subprocesses: the entry point wires every command group,
 * exit codes reach the shell, --json prints one document, and a destructive command asks on a real terminal. The
 * commands' behaviour in detail is the integration tier's (in process, test/cli/*.integration.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MACHINES } from '../../machines/index.js';
import { machineToJson } from '../../src/view/export.js';
import { cliOnTerminal, cliProcess, ensureBuilt, readRows, tempStore } from './support/cli.js';

const store = tempStore();
const run = (args: readonly string[]) => cliProcess(['--store', store.url, ...args], { cwd: store.dir });

beforeAll(ensureBuilt);
afterAll(() => store.cleanup());

describe('the clusterchart binary', () => {
  it('prints help (exit 0) and refuses bad usage (exit 2)', async () => {
    const help = await cliProcess(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: clusterchart/);
    for (const command of ['provision', 'nodes', 'metadata', 'log-server', 'heartbeat', 'observe', 'health', 'audit', 'verify', 'migrate', 'demo', 'machines', 'view']) {
      expect(help.stdout).toContain(command);
    }
    const bogus = await run(['nodes', 'list', '--bogus']);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/unknown option '--bogus'/);
    const missing = await run(['nodes', 'list', '--json']);
    expect(missing.code).toBe(2);
    expect(missing.json().error.code).toBe('StoreUnavailable');
  });

  it('provisions, registers, refuses with exit 1 writing nothing, and verifies', async () => {
    expect((await run(['--cluster', 'prod', 'provision', '--json'])).json()).toMatchObject({ cluster: 'prod', alreadyApplied: false });
    expect((await run(['nodes', 'register', '--name', 'a', '--roles', 'log-server,metadata-server,worker', '--json'])).json()).toMatchObject({ node: 'N1:1' });
    await run(['nodes', 'register', '--name', 'b', '--roles', 'worker']);
    const rows = readRows(store.path);
    const refused = await run(['nodes', 'register', '--name', 'zero', '--roles', 'worker', '--force-id', '0', '--json']);
    expect(refused.code).toBe(1);
    expect(refused.json().error.code).toBe('ReservedNodeId');
    expect(readRows(store.path)).toEqual(rows);
    const list = await run(['nodes', 'list', '--json']);
    expect(list.json().map((n: { id: string }) => n.id)).toEqual(['N1', 'N2']);
    expect((await run(['verify'])).code).toBe(0);
  });

  it('asks before removing a node on a terminal: "n" cancels, "y" removes', async () => {
    const rows = readRows(store.path);
    const cancelled = await cliOnTerminal(['--store', store.url, 'nodes', 'remove', 'N2'], 'n\n');
    expect(cancelled.code).toBe(1);
    expect(cancelled.stdout).toMatch(/Remove N2 permanently\?[\s\S]*Cancelled: nothing was removed/);
    expect(readRows(store.path)).toEqual(rows);
    const confirmed = await cliOnTerminal(['--store', store.url, 'nodes', 'remove', 'N2'], 'y\n');
    expect(confirmed.code, confirmed.stdout).toBe(0);
    expect(confirmed.stdout).toMatch(/Removed N2\./);
    const noYes = await run(['nodes', 'remove', 'N1']);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toMatch(/--yes/);
  });

  it('exports a statechart to stdout and to a file', async () => {
    const json = await cliProcess(['machines', 'export', '--format', 'json', '--machine', 'log-server']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(machineToJson(MACHINES['log-server'].machine));
    const out = join(store.dir, 'worker.mmd');
    const mermaid = await cliProcess(['--json', 'machines', 'export', '--format', 'mermaid', '--machine', 'worker', '--out', out]);
    expect(mermaid.json()).toEqual({ files: [out] });
    expect(readFileSync(out, 'utf8')).toMatch(/^stateDiagram-v2\n/);
  });
});
