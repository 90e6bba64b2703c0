import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMachine, type AnyStateMachine } from 'xstate';
import { MACHINES } from '../../machines/index.js';
import { exportMachines } from '../../src/cli/machines.js';
import { MACHINE_NAMES } from '../../src/domain/events.js';
import { machineConfigFromJson, machineEdges, machineStateNodes, machineToJson, stateElementId } from '../../src/view/export.js';

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

describe.each(MACHINE_NAMES)('the %s statechart', (name) => {
  const machine = MACHINES[name].machine;
  const states = machineStateNodes(machine);
  const edges = machineEdges(machine);

  it('has states and transitions to export', () => {
    expect(states.length).toBeGreaterThan(1);
    expect(edges.length).toBeGreaterThan(0);
  });

  it('JSON re-creates an equivalent machine with the named implementations', async () => {
    const json = JSON.parse((await exportMachines({ format: 'json', machine: name })).text) as Record<string, unknown>;
    const again = createMachine(machineConfigFromJson(json) as never, machine.implementations as never) as unknown as AnyStateMachine;
    expect(machineStateNodes(again).map((s) => s.id)).toEqual(states.map((s) => s.id));
    expect(machineEdges(again)).toEqual(edges);
    expect(machineToJson(again)).toEqual(json);
  });

  it('Mermaid and DOT name every state and every transition (guards by name)', async () => {
    const mermaid = (await exportMachines({ format: 'mermaid', machine: name })).text;
    const dot = (await exportMachines({ format: 'dot', machine: name })).text;
    for (const state of states) {
      expect(mermaid).toContain(`state "${state.key}" as `);
      expect(dot).toContain(`id="${stateElementId(state.id)}"`);
    }
    expect(mermaid.split('\n').filter((line) => line.includes(' --> ') && line.includes(' : '))).toHaveLength(edges.length);
    const arrows = dot.split('\n').filter((line) => line.includes('id="edge:'));
    expect(arrows).toHaveLength(new Set(edges.map((e) => `${e.source} ${e.target}`)).size);
    for (const edge of edges) {
      const arrow = arrows.find((line) => line.startsWith(`  "${edge.source}" -> "${edge.target}" `));
      const text = edge.guard === null ? edge.event : `${edge.event} [${edge.guard}]`;
      expect(arrow?.match(/label="([^"]*)"/)?.[1]?.split('\\n')).toContain(text);
    }
  });
});

describe('machines export (command module)', () => {
  it('writes one SVG per machine into a directory, and one DOT file with every graph', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cc-export-'));
    dirs.push(dir);
    const svg = await exportMachines({ format: 'svg', out: join(dir, 'svg') });
    expect((await readdir(join(dir, 'svg'))).sort()).toEqual(MACHINE_NAMES.map((n) => `${n}.svg`).sort());
    expect(svg.files).toHaveLength(MACHINE_NAMES.length);
    for (const file of svg.files) expect(await readFile(file, 'utf8')).toMatch(/<svg[\s\S]*<\/svg>\s*$/);

    const dot = await exportMachines({ format: 'dot', out: join(dir, 'all.dot') });
    const text = await readFile(join(dir, 'all.dot'), 'utf8');
    expect(dot.files).toEqual([join(dir, 'all.dot')]);
    expect(text.match(/^digraph /gm)).toHaveLength(MACHINE_NAMES.length);
  });

  it('exports every machine as one JSON object keyed by name', async () => {
    const all = JSON.parse((await exportMachines({ format: 'json' })).text) as Record<string, { id: string }>;
    expect(Object.keys(all)).toEqual([...MACHINE_NAMES]);
    for (const name of MACHINE_NAMES) expect(all[name]).toEqual(machineToJson(MACHINES[name].machine));
  });

  it('refuses an unknown machine with a usage error naming the choices', async () => {
    await expect(exportMachines({ format: 'dot', machine: 'nope' })).rejects.toMatchObject({ code: 'InvalidInput', message: expect.stringContaining('log-server') });
  });
});
