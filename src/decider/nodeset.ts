/**
 * Nodeset selection for a replication property.
 *
 * Candidates are live log servers in `ReadWrite` (never `Provisioning`); size = max(target, 2r - 1, r + 1) capped by
 * the candidates; fewer than r candidates -> `InsufficientNodes`; exactly r -> allowed with a "no fault tolerance"
 * warning (when r > 1). Deterministic: candidates sorted by id and rotated by the log id (a stand-in for Restate's
 * consistent hashing), so different logs spread over different servers and the same input always gives the same set.
 * Zone and region factors require that many distinct zones/regions among the chosen servers.
 */
import type { ClusterState, LiveNode } from '../domain/cluster-state.js';
import { ClusterchartError } from '../domain/errors.js';
import type { PlainNodeId } from '../domain/ids.js';
import { type ReplicationProperty, formatReplication } from '../domain/replication.js';
import { isNodesetCandidate } from './node-index.js';

export type NodesetSelection = Readonly<{ nodeset: readonly PlainNodeId[]; warning: string | null }>;

/** Live log servers whose storage state admits them to new nodesets, sorted by id. */
export function nodesetCandidates(state: ClusterState): LiveNode[] {
  return Object.values(state.nodes)
    .filter(isNodesetCandidate)
    .sort((a, b) => a.id - b.id);
}

export function nodesetSize(replication: ReplicationProperty, targetNodesetSize: number): number {
  const r = replication.node;
  return Math.max(targetNodesetSize, 2 * r - 1, r + 1);
}

const zoneOf = (n: LiveNode) => n.location ?? '';
const regionOf = (n: LiveNode) => (n.location ?? '').split('.')[0] ?? '';

/** Throws `InsufficientNodes` when the property cannot be satisfied by the current ReadWrite log servers. */
export function selectNodeset(
  state: ClusterState,
  replication: ReplicationProperty,
  targetNodesetSize: number,
  logId = 0,
): NodesetSelection {
  const candidates = nodesetCandidates(state);
  const r = replication.node;
  const property = formatReplication(replication);
  if (candidates.length < r) {
    throw new ClusterchartError(
      'InsufficientNodes',
      `Not enough candidate nodes to form a nodeset that fulfils replication ${property}: ${candidates.length} log server(s) in ReadWrite, ${r} needed. Provision more log servers or lower the replication.`,
      { replication: property, candidates: candidates.length, needed: r },
    );
  }
  const start = candidates.length === 0 ? 0 : logId % candidates.length;
  const rotated = [...candidates.slice(start), ...candidates.slice(0, start)];
  const size = Math.min(nodesetSize(replication, targetNodesetSize), candidates.length);
  const chosen = rotated.slice(0, size);
  for (const [scope, factor, key] of [
    ['zone', replication.zone, zoneOf],
    ['region', replication.region, regionOf],
  ] as const) {
    if (factor === undefined) continue;
    if (chosen.some((n) => n.location === null)) {
      throw new ClusterchartError(
        'InsufficientNodes',
        `Replication ${property} needs every log server to have a location (REGION.ZONE); register the nodes with --location.`,
        { replication: property },
      );
    }
    const distinct = new Set(candidates.map(key)).size;
    if (distinct < factor) {
      throw new ClusterchartError(
        'InsufficientNodes',
        `Replication ${property} needs ReadWrite log servers in ${factor} distinct ${scope}s; only ${distinct} are available.`,
        { replication: property, scope, needed: factor, available: distinct },
      );
    }
  }
  const nodeset = chosen.map((n) => n.id).sort((a, b) => a - b);
  const warning =
    r > 1 && nodeset.length === r
      ? `Nodeset ${nodeset.map((id) => `N${id}`).join(', ')} has exactly ${r} servers for replication ${property}: no fault tolerance.`
      : null;
  return { nodeset, warning };
}
