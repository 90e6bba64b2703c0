import { describe, expect, it } from 'vitest';
import { createActor, setup, type AnyStateMachine } from 'xstate';
import { exportMachine, machineConfigFromJson, machineEdges, machineStateNodes, machineToJson, renderSvg, stateElementId, toDot, toMermaid } from '../../src/view/export.js';
import { sampleImplementations, sampleMachine } from './fixtures/sample-machine.js';

const statesOf = (machine: AnyStateMachine) => machineStateNodes(machine).map((s) => `${s.id}:${s.type}`);

function walk(machine: AnyStateMachine, events: readonly { type: string; marker?: string }[]): unknown[] {
  const actor = createActor(machine).start();
  const values: unknown[] = [actor.getSnapshot().value];
  for (const event of events) {
    actor.send(event);
    values.push(actor.getSnapshot().value);
  }
  actor.stop();
  return values;
}

describe('JSON export (Stately definition)', () => {
  it('re-creates an equivalent machine: same states, same transitions, same behaviour', () => {
    const json = machineToJson(sampleMachine);
    const again = setup(sampleImplementations).createMachine(machineConfigFromJson(json) as never) as unknown as AnyStateMachine;

    expect(statesOf(again)).toEqual(statesOf(sampleMachine));
    expect(machineEdges(again)).toEqual(machineEdges(sampleMachine));
    expect(machineToJson(again)).toEqual(json);

    const story = [{ type: 'SET' }, { type: 'PROVISION' }, { type: 'PROVISION', marker: 'm' }, { type: 'NOOP' }, { type: 'FORCE' }, { type: 'STEP' }, { type: 'RETIRE' }];
    expect(walk(again, story)).toEqual(walk(sampleMachine, story));
  });

  it('keeps guards and actions by name', () => {
    const text = JSON.stringify(machineToJson(sampleMachine));
    expect(text).toContain('"guard":"hasMarker"');
    expect(text).toContain('"type":"isForced"');
    expect(text).toContain('"record"');
  });
});

describe('Mermaid export', () => {
  const mermaid = toMermaid(sampleMachine);

  it('is a stateDiagram-v2 with every state and every transition', () => {
    expect(mermaid.startsWith('stateDiagram-v2\n')).toBe(true);
    for (const state of machineStateNodes(sampleMachine)) expect(mermaid).toContain(`state "${state.key}" as `);
    const arrows = mermaid.split('\n').filter((line) => / --> /.test(line) && line.includes(' : '));
    expect(arrows).toHaveLength(machineEdges(sampleMachine).length);
    expect(mermaid).toMatch(/--> s\d+_ReadOnly : SET \[hasMarker\]/);
    expect(mermaid).toMatch(/--> s\d+_Gone : SET\n/);
    expect(mermaid).toMatch(/s\d+_Gone --> \[\*\]/);
  });

  it('nests compound states and separates parallel regions', () => {
    expect(mermaid).toMatch(/state s\d+_Maintenance \{[\s\S]*--[\s\S]*\}/);
    expect(mermaid).toMatch(/\[\*\] --> s\d+_Checking/);
  });
});

describe('DOT and SVG export', () => {
  const dot = toDot(sampleMachine);

  it('DOT has every state (by id) and every transition as a labelled edge', () => {
    for (const state of machineStateNodes(sampleMachine)) expect(dot).toContain(`id="${stateElementId(state.id)}"`);
    const edgeLines = dot.split('\n').filter((line) => line.includes(' -> ') && line.includes('id="edge:'));
    expect(edgeLines).toHaveLength(machineEdges(sampleMachine).length);
    expect(dot).toContain('label="PROVISION [hasMarker]"');
    expect(dot).toContain('label="FORCE [isForced]"');
    expect(dot).toContain('subgraph "cluster_sample.Maintenance"');
  });

  it('SVG is a valid <svg> whose state elements carry the ids the viewer highlights', async () => {
    const svg = await renderSvg(dot);
    expect(svg).toMatch(/^<\?xml[^>]*>\s*<!DOCTYPE svg[^>]*>\s*<!--[\s\S]*?-->\s*<svg /);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    for (const state of machineStateNodes(sampleMachine)) expect(svg).toContain(`id="${stateElementId(state.id)}"`);
    expect(svg).toContain('>PROVISION [hasMarker]</text>');
  });

  it('refuses DOT Graphviz cannot parse with a typed error', async () => {
    await expect(renderSvg('digraph {')).rejects.toMatchObject({ code: 'InvalidInput' });
  });

  it('exportMachine dispatches every format', async () => {
    expect(JSON.parse(await exportMachine(sampleMachine, 'json'))).toEqual(machineToJson(sampleMachine));
    expect(await exportMachine(sampleMachine, 'mermaid')).toBe(toMermaid(sampleMachine));
    expect(await exportMachine(sampleMachine, 'dot')).toBe(dot);
    expect(await exportMachine(sampleMachine, 'svg')).toContain('<svg');
  });
});
