/**
 * Which state each statechart holds for the cluster and for a node, read from the cluster state (the fold records
 * every machine's state in a field; no machine runs). The viewer, the inspection adapter and the fold's own checks
 * ask here.
 */
import type { ClusterState, LiveNode, NodeEntry } from '../domain/cluster-state.js';
import type { MachineName } from '../domain/events.js';
import type { Role } from '../domain/states.js';

/** The per-node role machines, in display order: the role that puts a node in each, and the field holding its state. */
export const ROLE_MACHINES = {
  'metadata-membership': { role: 'metadata-server', field: 'metadataServerState' },
  'log-server': { role: 'log-server', field: 'storageState' },
  worker: { role: 'worker', field: 'workerState' },
} as const satisfies Readonly<Partial<Record<MachineName, Readonly<{ role: Role; field: keyof LiveNode }>>>>;
export type RoleMachine = keyof typeof ROLE_MACHINES;
const ROLE_MACHINE_NAMES = Object.keys(ROLE_MACHINES) as RoleMachine[];

/**
 * The cluster-provisioning machine's state.
 *
 * @example
 * provisioningStateOf(emptyClusterState()); // 'Unprovisioned'
 */
export const provisioningStateOf = (state: ClusterState): 'Unprovisioned' | 'Provisioned' =>
  state.config === null ? 'Unprovisioned' : 'Provisioned';

/**
 * The state of every machine `node` takes part in: node-lifecycle always (`Removed` for a tombstone, which takes
 * part in nothing else), and each role machine whose role the node has, in `ROLE_MACHINES` order.
 *
 * @example
 * machineStatesOf(node); // { 'node-lifecycle': 'Registered', 'log-server': 'ReadWrite', worker: 'Active' }
 */
export function machineStatesOf(node: NodeEntry): Readonly<Partial<Record<MachineName, string>>> {
  if (node.removed) return { 'node-lifecycle': 'Removed' };
  const states: Partial<Record<MachineName, string>> = { 'node-lifecycle': 'Registered' };
  for (const machine of ROLE_MACHINE_NAMES) {
    const { role, field } = ROLE_MACHINES[machine];
    if (node.roles.includes(role)) states[machine] = node[field];
  }
  return states;
}
