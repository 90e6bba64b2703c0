/**
 * The CLI's JSON shapes and their readable twins. Ids are printed `N3` / `N3:2`, states in PascalCase, replication
 * as the domain prints it (`2`, or `{zone: 2, node: 3}`: the form `--replication` accepts).
 */
import {
  type ClusterConfig,
  type ClusterState,
  type LiveNode,
  type NodeConfigurationEntry,
  nodesConfiguration,
  printGenerationalNodeId,
  printPlainNodeId,
  formatReplication,
} from '../index.js';
import { table } from './output.js';

/** `nodes list --json`: every node ever registered, tombstones as `{id, removed: true}`, in id order. */
export const nodesJson = (state: ClusterState): readonly NodeConfigurationEntry[] => nodesConfiguration({ position: 0, cluster: state }).nodes;

const has = (node: LiveNode, role: string) => node.roles.includes(role as LiveNode['roles'][number]);

export function nodesText(state: ClusterState): string {
  const rows = Object.values(state.nodes)
    .sort((a, b) => a.id - b.id)
    .map((node) =>
      node.removed
        ? [printPlainNodeId(node.id), node.name, '(removed)', '', '', '']
        : [
            printGenerationalNodeId(node),
            node.name,
            node.roles.join(','),
            has(node, 'metadata-server') ? node.metadataServerState : '-',
            has(node, 'log-server') ? node.storageState : '-',
            has(node, 'worker') ? node.workerState : '-',
          ],
    );
  if (rows.length === 0) return `Cluster ${state.clusterName ?? '?'} has no nodes yet (version ${state.revision + 1}).`;
  return `Cluster ${state.clusterName ?? '?'}, version ${state.revision + 1}:\n${table(['NODE', 'NAME', 'ROLES', 'METADATA', 'STORAGE', 'WORKER'], rows)}`;
}

export function configText(config: ClusterConfig): string {
  return (
    `log provider ${config.logProvider}, replication ${formatReplication(config.replication)}, ` +
    `target nodeset size ${config.targetNodesetSize === 0 ? 'auto' : config.targetNodesetSize}, ` +
    `${config.numPartitions} partitions, metadata server ${config.metadataServer}`
  );
}

/** Appended to a line when nothing was written. */
export const already = (alreadyApplied: boolean): string => (alreadyApplied ? ' (already applied: nothing written)' : '');

/** What a set-state command (storage or worker state) reports. */
type StateChange = Readonly<{ node: string; from: string; to: string; forced: boolean; alreadyApplied: boolean }>;

/** The JSON of a set-state command and its text; `machine` names the state in the text (`worker `, or '' for storage). */
export function stateChangeOutput(result: StateChange, machine: string): { json: StateChange; text: () => string } {
  const json = { node: result.node, from: result.from, to: result.to, forced: result.forced, alreadyApplied: result.alreadyApplied };
  const text = () =>
    json.from === json.to
      ? `${json.node} already is ${json.to}: nothing to change.`
      : `${json.node}: ${machine}${json.from} -> ${json.to}${json.forced ? ' (forced)' : ''}.${already(json.alreadyApplied)}`;
  return { json, text };
}
