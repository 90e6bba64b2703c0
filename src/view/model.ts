/**
 * What the viewer page shows, derived from the cluster aggregate: the node list, and for each statechart which
 * subjects (nodes, or the cluster itself) sit in which state. Plain JSON, sent to the page and rendered as text.
 */
import { type ClusterState, type MachineName, type Role, machineStatesOf, provisioningStateOf } from '../index.js';

export type NodeView = Readonly<{
  id: string;
  name: string;
  removed: boolean;
  generation: number | null;
  roles: readonly Role[];
  address: string | null;
  /** State per machine, only for the machines the node takes part in (its roles); removed nodes: node-lifecycle only. */
  states: Readonly<Partial<Record<MachineName, string>>>;
}>;

/** Who sits in one state of one machine: node ids (`N3`) or `cluster`. */
export type Occupancy = Readonly<Record<string, readonly string[]>>;

export type ViewState = Readonly<{
  cluster: string | null;
  /** Global position of the last event folded in; 0 before any. */
  position: number;
  /** Cluster stream revision of that event; -1 before any. */
  revision: number;
  provisioned: boolean;
  nodes: readonly NodeView[];
  /** machine name -> state value -> subjects. */
  occupancy: Readonly<Record<string, Occupancy>>;
}>;

/**
 * Projects the aggregate onto what the page draws.
 *
 * @example
 * const view = viewOf(state, 42); // view.occupancy['log-server'].ReadWrite -> ['N1', 'N2']
 */
export function viewOf(state: ClusterState, position: number): ViewState {
  const occupancy: Record<string, Record<string, string[]>> = {};
  const occupy = (machine: MachineName, value: string, subject: string): void => {
    const states = (occupancy[machine] ??= {});
    (states[value] ??= []).push(subject);
  };
  occupy('cluster-provisioning', provisioningStateOf(state), 'cluster');

  const nodes: NodeView[] = [];
  const entries = Object.values(state.nodes).sort((a, b) => a.id - b.id);
  for (const node of entries) {
    const id = `N${node.id}`;
    const states = machineStatesOf(node);
    for (const [machine, value] of Object.entries(states)) occupy(machine as MachineName, value, id);
    nodes.push(
      node.removed
        ? { id, name: node.name, removed: true, generation: null, roles: [], address: null, states }
        : { id, name: node.name, removed: false, generation: node.generation, roles: node.roles, address: node.address, states },
    );
  }
  return { cluster: state.clusterName, position, revision: state.revision, provisioned: state.config !== null, nodes, occupancy };
}
