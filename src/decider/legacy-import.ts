/**
 * Legacy import: a Restate 1.0-1.1 NodesConfiguration document becomes the first history of a new, empty cluster.
 *
 * The cluster is provisioned with the default configuration; the document's nodes and tombstones are recorded as
 * they are, minus a live N0 (id 0 is reserved): a single-node legacy cluster's N0 is remapped to a valid id keeping
 * its generation, and its local metadata server becomes the first member. A multi-node cluster with a live N0 cannot
 * be migrated automatically (MultiNodeCluster). Nothing is imported unless everything is.
 */
import type { ClusterState, MetadataMember } from '../domain/cluster-state.js';
import type { CommandData, LegacyDocument } from '../domain/commands.js';
import type { DomainEvent } from '../domain/events.js';
import { type PlainNodeId, plainNodeId } from '../domain/ids.js';
import type { NodeFields } from '../domain/node-fields.js';
import type { MetadataServerState } from '../domain/states.js';
import { DEFAULT_CLUSTER_CONFIG } from './cluster.js';
import { N, type Outcome, accept, expectMove, refuse } from './outcome.js';

type LegacyLive = Extract<LegacyDocument['nodes'][number], { name: string }>;
type ImportedNode = Readonly<{ nodeId: PlainNodeId }> & NodeFields & { metadataServerState: MetadataServerState };

/** A legacy node's fields as the history records them: absent states take their initial value. */
function importedNode(n: LegacyLive, id: number): ImportedNode {
  const metadataServer = n.roles.includes('metadata-server');
  return {
    nodeId: id as PlainNodeId,
    generation: n.generation,
    name: n.name,
    roles: [...new Set(n.roles)],
    address: n.address ?? '',
    location: n.location ?? null,
    metadataServerState: metadataServer ? (n.metadataServerState ?? 'Standby') : 'Standby',
    storageState: n.storageState ?? 'Provisioning',
    workerState: n.workerState ?? 'Provisioning',
  };
}

/** `ImportLegacyConfiguration`: only into a cluster stream without history. */
export function importLegacy(state: ClusterState, data: CommandData['ImportLegacyConfiguration']): Outcome {
  const { document } = data;
  if (state.revision >= 0 || state.config !== null || Object.keys(state.nodes).length > 0) {
    return refuse(
      'AlreadyProvisioned',
      `The cluster stream already has history (${state.clusterName ?? 'unnamed'}): a legacy document is imported only into ` +
        'a new, empty cluster. Import it under another cluster name.',
      { clusterName: state.clusterName ?? '' },
    );
  }
  const seen = new Set<number>();
  const names = new Set<string>();
  for (const n of document.nodes) {
    if (seen.has(n.id)) return refuse('InvalidInput', `The legacy document lists node id N${n.id} twice.`, { node: `N${n.id}` });
    seen.add(n.id);
    if ('name' in n) {
      if (names.has(n.name)) return refuse('InvalidInput', `The legacy document has two live nodes named "${n.name}".`, { name: n.name });
      names.add(n.name);
    }
  }
  const live = document.nodes.filter((n): n is LegacyLive => 'name' in n);
  const zero = live.find((n) => n.id === 0);
  const forced = data.forceNodeId === undefined ? undefined : plainNodeId(data.forceNodeId);
  if (zero !== undefined && live.length > 1) {
    return refuse(
      'MultiNodeCluster',
      `cannot auto migrate a multi node cluster which uses the local metadata server: the legacy document has a live N0 and ` +
        `${live.length - 1} other live node(s). Nothing was imported.`,
      { liveNodes: live.length },
    );
  }
  if (zero === undefined && forced !== undefined) {
    return refuse('InvalidInput', 'forceNodeId applies only to a legacy document with a live N0; this one has none.', {
      forceNodeId: N(forced),
    });
  }

  const provision = expectMove('cluster-provisioning', null, 'Unprovisioned', { type: 'provision', provider: DEFAULT_CLUSTER_CONFIG.logProvider });
  if (!provision.ok) return provision;
  const events: DomainEvent[] = [
    { type: 'ClusterProvisioned', data: { ...provision.transition, clusterName: document.clusterName, config: DEFAULT_CLUSTER_CONFIG } },
    {
      type: 'LegacyConfigurationImported',
      data: {
        clusterName: document.clusterName,
        legacyVersion: document.version,
        nodes: document.nodes
          .filter((n) => !('name' in n && n.id === 0))
          .map((n) => ('name' in n ? { ...importedNode(n, n.id), tombstone: false as const } : { nodeId: n.id, tombstone: true as const })),
      },
    },
  ];
  const members: Record<string, MetadataMember> = {};
  for (const n of live) {
    if (n.id !== 0 && importedNode(n, n.id).metadataServerState === 'Member') members[n.id] = { createdAt: null };
  }
  if (zero !== undefined) {
    let target: number;
    if (forced !== undefined) {
      if (seen.has(forced)) {
        return refuse(
          'NodeIdRetired',
          `Cannot remap N0 to ${N(forced)}: the legacy document already used that id (ids are never reused). Choose a free id.`,
          { node: N(forced) },
        );
      }
      target = forced;
    } else {
      target = 1;
      while (seen.has(target)) target += 1;
    }
    const input = { type: 'remap', fromId: 0, nodeId: target, generation: zero.generation } as const;
    const moved = expectMove('node-lifecycle', target as PlainNodeId, 'Unregistered', input);
    if (!moved.ok) return moved;
    const node = importedNode(zero, target);
    // The local metadata server of a single-node legacy cluster becomes the first member (Restate PR #2705).
    if (node.roles.includes('metadata-server')) {
      node.metadataServerState = 'Member';
      members[target] = { createdAt: null };
    }
    events.push({ type: 'NodeIdRemapped', data: { ...moved.transition, fromId: 0, ...node } });
  }
  const memberIds = Object.keys(members).map(Number);
  if (memberIds.length > 0) {
    events.push({
      type: 'MetadataConfigurationChanged',
      data: {
        version: 1,
        members: memberIds.sort((a, b) => a - b).map((id) => ({ node: id as PlainNodeId, createdAt: null })),
        change: { kind: 'seed', node: Math.min(...memberIds) as PlainNodeId },
      },
    });
  }
  return accept(events);
}
