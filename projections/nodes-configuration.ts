/**
 * NodesConfiguration: the Restate-shaped versioned document, every node or tombstone with its
 * generation and role states. The fold reuses the domain's own event application (`applyClusterEvent`), so the
 * projection and the decider's aggregate can never disagree; its `version` is the number of cluster events applied
 * (the cluster stream's revision + 1), Restate's compare-and-set version.
 */
import { type ClusterState, type NodeFields, OBSERVATION_EVENT_TYPES, emptyClusterState, nodeFieldsOf, printPlainNodeId } from '../src/domain/index.js';
import { applyClusterEvent } from '../src/decider/evolve.js';
import { defineProjection } from './projection.js';

export type NodesConfigurationState = Readonly<{
  position: number;
  /** The cluster aggregate as the decider sees it (nodes, tombstones, metadata members, logs, config). */
  cluster: ClusterState;
}>;

export const nodesConfigurationProjection = defineProjection<NodesConfigurationState>({
  name: 'nodes-configuration',
  version: 1,
  initialState: { position: 0, cluster: emptyClusterState() },
  evolve(draft, event) {
    if (event.position <= draft.position) return;
    draft.position = event.position;
    if (OBSERVATION_EVENT_TYPES.has(event.type)) return;
    applyClusterEvent(draft.cluster, event, event.position);
  },
});

/** One entry of `clusterchart nodes list --json`; a tombstone shows only its id. */
export type NodeConfigurationEntry = (Readonly<{ id: string }> & NodeFields & Readonly<{ removed: false }>) | Readonly<{ id: string; removed: true }>;

export type NodesConfigurationDocument = Readonly<{
  /** Number of cluster events applied; moves by one per change, like Restate's `NodesConfiguration.version`. */
  version: number;
  clusterName: string | null;
  /** Ordered by id, tombstones included (ids stay reserved forever). */
  nodes: readonly NodeConfigurationEntry[];
}>;

/**
 * The versioned document in its printed shape.
 *
 * @example
 * nodesConfiguration(runner.get(nodesConfigurationProjection)).nodes; // [{ id: 'N1', generation: 2, ... }]
 */
export function nodesConfiguration(state: NodesConfigurationState): NodesConfigurationDocument {
  const nodes = Object.values(state.cluster.nodes)
    .slice()
    .sort((a, b) => a.id - b.id)
    .map((n): NodeConfigurationEntry =>
      n.removed ? { id: printPlainNodeId(n.id), removed: true } : { id: printPlainNodeId(n.id), ...nodeFieldsOf(n), removed: false },
    );
  return { version: state.cluster.revision + 1, clusterName: state.cluster.clusterName, nodes };
}
