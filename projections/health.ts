/**
 * Cluster health, derived from two projections: is the metadata quorum available, and can the log
 * replication property be satisfied by the log servers in `ReadWrite`? Pure: the caller passes the nodes
 * configuration and an ObservedClusterState view judged at its own `now`.
 */
import { type ClusterState, type ReplicationProperty, isClusterchartError, plainNodeId, printPlainNodeId } from '../src/domain/index.js';
import { nodesetCandidates, selectNodeset } from '../src/decider/index.js';
import type { ObservedClusterStateView } from './observed-cluster-state.js';

/** The JSON shape of `clusterchart health --json`, plus `reasons` and `warnings`. */
export type ClusterHealth = Readonly<{
  healthy: boolean;
  /** Why the cluster is not healthy, one sentence each an operator can act on; empty when healthy. */
  reasons: readonly string[];
  /** Healthy but fragile (for example a nodeset with no fault tolerance). */
  warnings: readonly string[];
  metadata: Readonly<{ members: number; alive: number; quorum: number; ok: boolean }>;
  logs: Readonly<{
    provider: string | null;
    replication: ReplicationProperty | null;
    readWriteServers: number;
    nodeset: readonly string[];
    ok: boolean;
  }>;
}>;

/** Writes need `floor(m / 2) + 1` alive members. */
export const metadataQuorum = (members: number): number => Math.floor(members / 2) + 1;

/**
 * @example
 * const health = clusterHealth(runner.get(nodesConfigurationProjection).cluster,
 *   observedClusterState(runner.get(observedClusterStateProjection), { now: clock.now() }));
 * if (!health.healthy) console.error(health.reasons.join('\n'));
 */
export function clusterHealth(cluster: ClusterState, observed: ObservedClusterStateView): ClusterHealth {
  const reasons: string[] = [];
  const warnings: string[] = [];

  const memberIds = Object.keys(cluster.metadata.members).map((key) => plainNodeId(Number(key)));
  const members = memberIds.length;
  const alive = memberIds.filter((id) => observed.aliveNodes.has(id)).length;
  const quorum = metadataQuorum(members);
  const metadataOk = members > 0 && alive >= quorum;
  if (members === 0) {
    reasons.push('The metadata cluster has no members: provision the cluster and register a metadata-server node.');
  } else if (!metadataOk) {
    const down = memberIds.filter((id) => !observed.aliveNodes.has(id)).map(printPlainNodeId);
    reasons.push(
      `Metadata quorum lost: ${alive} of ${members} members alive, ${quorum} needed (not alive: ${down.join(', ')}). Restart those nodes or remove them from the metadata cluster.`,
    );
  }

  const config = cluster.config;
  const readWriteServers = nodesetCandidates(cluster).length;
  let nodeset: readonly string[] = [];
  let logsOk = false;
  if (config === null) {
    reasons.push('The cluster is not provisioned: run `clusterchart provision`.');
  } else if (config.logProvider !== 'replicated') {
    // Local and in-memory logs have no replication to satisfy.
    logsOk = true;
    warnings.push(`Logs use the ${config.logProvider} provider: no replication; switch the default provider to replicated.`);
  } else {
    try {
      const selection = selectNodeset(cluster, config.replication, config.targetNodesetSize);
      nodeset = selection.nodeset.map(printPlainNodeId);
      logsOk = true;
      if (selection.warning !== null) warnings.push(selection.warning);
    } catch (error) {
      if (!isClusterchartError(error, 'InsufficientNodes')) throw error;
      reasons.push(error.message);
    }
  }
  return {
    healthy: metadataOk && logsOk,
    reasons,
    warnings,
    metadata: { members, alive, quorum, ok: metadataOk },
    logs: {
      provider: config?.logProvider ?? null,
      replication: config?.replication ?? null,
      readWriteServers,
      nodeset,
      ok: logsOk,
    },
  };
}

