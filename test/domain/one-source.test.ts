/**
 * The rules and shapes written once: the node fields every shape derives from, the cluster state's schema (what a
 * snapshot stores) matching what the fold builds, the generation step shared by the decider, the machine and the
 * fold, which machine state a node is in, and the one replication formatter.
 */
import { describe, expect, it } from 'vitest';
import {
  ClusterStateSchema,
  type ClusterState,
  type CommandType,
  type DomainEvent,
  NodeFieldsSchema,
  emptyClusterState,
  formatReplication,
  isClusterchartError,
  nextGeneration,
  nodeFieldsOf,
  parseCommand,
} from '../../src/domain/index.js';
import { decide, foldEvents, machineStatesOf, provisioningStateOf } from '../../src/decider/index.js';

const AT = '2026-01-01T00:00:00.000Z';

/** Decides `commands` in order from an empty state, folding each decision; returns the state and every event. */
function run(commands: readonly [CommandType, unknown][]): { state: ClusterState; events: DomainEvent[] } {
  let state = emptyClusterState();
  const events: DomainEvent[] = [];
  commands.forEach(([type, data], i) => {
    const decision = decide(state, parseCommand({ type, data, commandId: `c${i}` }));
    if (!decision.ok) throw decision.error;
    events.push(...decision.events);
    state = foldEvents(state, decision.events);
  });
  return { state, events };
}

const cluster = (): ReturnType<typeof run> =>
  run([
    ['ProvisionCluster', { clusterName: 'prod' }],
    ['RegisterNode', { name: 'n1', roles: ['metadata-server', 'log-server', 'worker'] }],
    ['RegisterNode', { name: 'n2', roles: ['log-server'] }],
    ['RegisterNode', { name: 'n3', roles: ['http-ingress'] }],
    ['ProvisionLogServer', { node: 1, marker: { nodeId: 1, markerId: 'm1', createdAt: AT } }],
    ['SetWorkerState', { node: 1, state: 'Active' }],
    ['RemoveNodes', { nodes: [3] }],
    ['RegisterNode', { name: 'n2', roles: ['log-server'], location: 'eu.a' }],
  ]);

describe('one source of truth', () => {
  it('the cluster state the fold builds is what the snapshot schema accepts, node fields in schema order', () => {
    const { state } = cluster();
    expect(ClusterStateSchema.parse(JSON.parse(JSON.stringify(state)))).toEqual(state);
    const n1 = state.nodes[1]!;
    if (n1.removed) throw new Error('N1 is live');
    expect(Object.keys(nodeFieldsOf(n1))).toEqual(Object.keys(NodeFieldsSchema.shape));
  });

  it('a restart moves the generation one step; a recorded jump is a history the decider could not have written', () => {
    const { events } = cluster();
    const restart = events.find((e): e is DomainEvent<'NodeRestarted'> => e.type === 'NodeRestarted')!;
    expect(restart.data.generation).toBe(nextGeneration(restart.data.previousGeneration));
    const jump: DomainEvent = {
      type: 'NodeRestarted',
      data: { ...restart.data, generation: 3, input: { ...restart.data.input, generation: 3 } },
    };
    const edited = events.map((e) => (e === restart ? jump : e));
    try {
      foldEvents(emptyClusterState(), edited);
      expect.unreachable('a generation jump must not fold');
    } catch (error) {
      expect(isClusterchartError(error) && error.code).toBe('HistoryInvalid');
    }
  });

  it('machineStatesOf names the state of every machine a node takes part in', () => {
    const { state } = cluster();
    expect(provisioningStateOf(emptyClusterState())).toBe('Unprovisioned');
    expect(provisioningStateOf(state)).toBe('Provisioned');
    expect(machineStatesOf(state.nodes[1]!)).toEqual({
      'node-lifecycle': 'Registered',
      'metadata-membership': 'Member',
      'log-server': 'ReadWrite',
      worker: 'Active',
    });
    expect(machineStatesOf(state.nodes[2]!)).toEqual({ 'node-lifecycle': 'Registered', 'log-server': 'Provisioning' });
    expect(machineStatesOf(state.nodes[3]!)).toEqual({ 'node-lifecycle': 'Removed' });
  });

  it('formatReplication prints the largest scope first, as the parser reads it', () => {
    expect(formatReplication({ node: 2 })).toBe('2');
    expect(formatReplication({ node: 1 }, { braces: true })).toBe('{node: 1}');
    expect(formatReplication({ node: 3, zone: 2 })).toBe('{zone: 2, node: 3}');
    expect(formatReplication({ node: 3, zone: 2, region: 1 })).toBe('{region: 1, zone: 2, node: 3}');
  });
});
