/**
 * Model-based coverage of every statechart: enumerate the transitions each machine DEFINES, explore the machine with
 * payload-carrying events (xstate/graph, states keyed by value so the search is bounded), and drive every accepted
 * edge: the shortest path to its source state, then the edge itself, through the pure transition function. The
 * test fails when fewer distinct transitions were exercised than are defined, and prints both numbers.
 * Each driven edge must also agree with `runTransition` and the bulk runner (what the decider and `verify` use).
 */
import { type AnyMachineSnapshot, type AnyStateMachine, type AnyStateNode, initialTransition, transition } from 'xstate';
import { getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import { describe, expect, it } from 'vitest';
import { MACHINES, createTransitionRunner, machineVersions, runTransition, stateNames } from '../../machines/index.js';
import { MACHINE_NAMES, type MachineInput, type MachineName } from '../../src/domain/events.js';
import { PROVIDER_KINDS, STORAGE_STATES, WORKER_STATES } from '../../src/domain/states.js';

const bools = [false, true] as const;

/** Event samples with payloads: every guard sees both outcomes somewhere. */
const EVENTS: Record<MachineName, readonly MachineInput[]> = {
  'cluster-provisioning': PROVIDER_KINDS.flatMap((provider) => [
    { type: 'provision', provider },
    { type: 'change-provider', provider },
  ]),
  'node-lifecycle': [
    { type: 'register', nodeId: 1, generation: 1 },
    { type: 'register', nodeId: 0, generation: 1 },
    { type: 'remap', fromId: 0, nodeId: 2, generation: 4 },
    { type: 'remap', fromId: 3, nodeId: 2, generation: 4 },
    { type: 'restart', previousGeneration: 1, generation: 2 },
    { type: 'restart', previousGeneration: 2, generation: 1 },
    ...bools.flatMap((logServerReadWrite) =>
      bools.flatMap((inUnsealedNodeset) =>
        bools.flatMap((localLoglets) =>
          bools.map((metadataMember) => ({ type: 'remove', logServerReadWrite, inUnsealedNodeset, localLoglets, metadataMember })),
        ),
      ),
    ),
  ],
  'metadata-membership': bools.flatMap((inNewMembers) => bools.map((wasPreviousMember) => ({ type: 'reconfigure', inNewMembers, wasPreviousMember }))),
  'log-server': [
    { type: 'provision', node: 3, marker: { nodeId: 3, markerId: 'm3' } },
    { type: 'provision', node: 3, marker: { nodeId: 2, markerId: 'm2' } },
    { type: 'start', hasMarker: true },
    { type: 'start', hasMarker: false },
    ...STORAGE_STATES.flatMap((to) => bools.flatMap((force) => bools.map((nodesetsSatisfiable) => ({ type: 'set-state', to, force, nodesetsSatisfiable })))),
  ],
  worker: WORKER_STATES.flatMap((to) => bools.flatMap((force) => bools.map((replicaSetsSatisfiable) => ({ type: 'set-state', to, force, replicaSetsSatisfiable })))),
};

type Defined = Readonly<{ id: string; source: string; event: string; target: string }>;

function stateNodes(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap((child) => stateNodes(child))];
}

/** Every transition the definition holds, each with a stable id (source, event, index among that event's branches). */
function definedTransitions(machine: AnyStateMachine): Map<unknown, Defined> {
  const out = new Map<unknown, Defined>();
  for (const node of stateNodes(machine.root)) {
    for (const [event, branches] of node.transitions) {
      branches.forEach((t, i) => {
        const target = t.target?.map((n) => n.key).join(',') ?? '(none)';
        out.set(t, { id: `${node.key} --${event}[${i}]--> ${target}`, source: node.key, event, target });
      });
    }
  }
  return out;
}

const byValue = (s: AnyMachineSnapshot) => JSON.stringify(s.value);

describe.each(MACHINE_NAMES)('statechart %s', (name) => {
  const { machine } = MACHINES[name];
  const events = EVENTS[name];

  it('exercises every defined transition (shortest path to the source, then the edge)', () => {
    const defined = definedTransitions(machine);
    const adjacency: Record<string, { transitions: unknown }> = { ...getAdjacencyMap(machine, { events, serializeState: byValue }) };
    const paths = new Map(getShortestPaths(machine, { events, serializeState: byValue }).map((p) => [byValue(p.state), p]));
    const runner = createTransitionRunner();
    const exercised = new Set<string>();

    for (const [sourceKey, { transitions }] of Object.entries(adjacency)) {
      const path = paths.get(sourceKey);
      expect(path, `no path to ${sourceKey}`).toBeDefined();
      const edges: Record<string, { event: MachineInput; state: AnyMachineSnapshot }> = transitions as Record<string, never>;
      for (const { event, state: target } of Object.values(edges)) {
        // Drive: replay the shortest path from the initial snapshot, then take the edge.
        let [snapshot] = initialTransition(machine);
        for (const step of path!.steps.slice(1)) [snapshot] = transition(machine, snapshot, step.event);
        expect(byValue(snapshot)).toBe(sourceKey);
        const taken = machine.getTransitionData(snapshot, event);
        const [next] = transition(machine, snapshot, event);
        if (taken.length === 0) {
          expect(next, `${sourceKey} + ${JSON.stringify(event)} is refused, so the snapshot is unchanged`).toBe(snapshot);
          expect(runTransition(name, String(snapshot.value), event as never)).toBeNull();
          continue;
        }
        expect(byValue(next)).toBe(byValue(target));
        expect(next).not.toBe(snapshot);
        const to = String(next.value);
        expect(runTransition(name, String(snapshot.value), event as never)).toBe(to);
        expect(runner.run(name, String(snapshot.value), event as never)).toBe(to);
        for (const t of taken) {
          const d = defined.get(t);
          expect(d, `a taken transition is not in the definition: ${JSON.stringify(event)}`).toBeDefined();
          expect(d!.target === '(none)' ? d!.source : d!.target).toBe(to);
          exercised.add(d!.id);
        }
      }
    }

    const missing = [...defined.values()].map((d) => d.id).filter((id) => !exercised.has(id));
    console.log(`${name}: ${exercised.size} distinct transitions exercised of ${defined.size} defined`);
    expect(missing, `transitions never exercised: ${missing.join('; ')}`).toEqual([]);
    expect(exercised.size).toBeGreaterThanOrEqual(defined.size);
  });

  it('reaches every state from the initial one', () => {
    const reached = new Set(getShortestPaths(machine, { events, serializeState: byValue }).map((p) => String(p.state.value)));
    expect([...reached].sort()).toEqual([...stateNames(name)].sort());
  });

  it('exports every guard and action by name (the visualiser reads toJSON)', () => {
    const json = JSON.stringify(machine.toJSON());
    expect(json).not.toMatch(/"(guard|actions?)":null/);
    for (const t of definedTransitions(machine).keys()) {
      const def = t as { guard?: unknown; actions: readonly unknown[] };
      if (def.guard !== undefined) expect(typeof def.guard === 'string' || typeof (def.guard as { type?: unknown }).type === 'string').toBe(true);
      for (const a of def.actions) expect(typeof a === 'string' || typeof (a as { type?: unknown }).type === 'string').toBe(true);
    }
    for (const node of stateNodes(machine.root).slice(1)) expect(node.description, `${name}.${node.key} is undocumented`).toBeTruthy();
  });

  it('refuses malformed input and unknown states instead of throwing', () => {
    expect(runTransition(name, 'NoSuchState', { type: 'x' })).toBeNull();
    for (const state of stateNames(name)) expect(runTransition(name, state, { type: events[0]!.type })).toBeNull();
  });
});

describe('machine rules that are easy to break', () => {
  it('a reconfiguration that neither includes nor previously included a node moves it in no state', () => {
    for (const state of stateNames('metadata-membership')) {
      expect(runTransition('metadata-membership', state, { type: 'reconfigure', inNewMembers: false, wasPreviousMember: false })).toBeNull();
    }
    expect(runTransition('metadata-membership', 'AutoJoin', { type: 'reconfigure', inNewMembers: false, wasPreviousMember: true })).toBeNull();
  });

  it('storage: Provisioning is never re-entered and Disabled is terminal, even forced', () => {
    for (const from of STORAGE_STATES) {
      expect(runTransition('log-server', from, { type: 'set-state', to: 'Provisioning', force: true, nodesetsSatisfiable: true })).toBeNull();
      expect(runTransition('log-server', 'Disabled', { type: 'set-state', to: from, force: true, nodesetsSatisfiable: true })).toBeNull();
    }
  });

  it('storage: exactly the documented moves are safe without force', () => {
    const safe = STORAGE_STATES.flatMap((from) =>
      STORAGE_STATES.filter((to) => runTransition('log-server', from, { type: 'set-state', to, force: false, nodesetsSatisfiable: true }) !== null).map(
        (to) => `${from}->${to}`,
      ),
    );
    expect(safe.sort()).toEqual(['Provisioning->Disabled', 'ReadOnly->ReadWrite', 'ReadWrite->ReadOnly']);
  });

  it('worker: exactly the documented moves are safe without force', () => {
    const safe = WORKER_STATES.flatMap((from) =>
      WORKER_STATES.filter((to) => runTransition('worker', from, { type: 'set-state', to, force: false, replicaSetsSatisfiable: true }) !== null).map(
        (to) => `${from}->${to}`,
      ),
    );
    expect(safe.sort()).toEqual(
      ['Active->Draining', 'Disabled->Active', 'Draining->Active', 'Provisioning->Active', 'Provisioning->Disabled', 'Provisioning->Draining'].sort(),
    );
  });

  it('restarts move the generation forward by exactly one', () => {
    expect(runTransition('node-lifecycle', 'Registered', { type: 'restart', previousGeneration: 4, generation: 5 })).toBe('Registered');
    expect(runTransition('node-lifecycle', 'Registered', { type: 'restart', previousGeneration: 4, generation: 4 })).toBeNull();
    expect(runTransition('node-lifecycle', 'Registered', { type: 'restart', previousGeneration: 4, generation: 3 })).toBeNull();
    expect(runTransition('node-lifecycle', 'Removed', { type: 'restart', previousGeneration: 4, generation: 5 })).toBeNull();
  });

  it('every machine has a version', () => {
    expect(machineVersions()).toEqual({ 'cluster-provisioning': 1, 'node-lifecycle': 1, 'metadata-membership': 1, 'log-server': 1, worker: 1 });
  });
});
