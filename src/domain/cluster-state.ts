/**
 * The cluster aggregate: everything the decider needs to judge a command against one consistent state
 * (the role Restate's compare-and-set NodesConfiguration plays). JSON-serialisable (snapshots store it as is):
 * maps are records keyed by the decimal node id.
 */
import type { PlainNodeId } from './ids.js';
import type { ClusterConfig } from './events.js';
import type { LogStoreMarker } from './schemas.js';
import type { MetadataServerState, ProviderKind, Role, StorageState, WorkerState } from './states.js';

export type LiveNode = Readonly<{
  removed: false;
  id: PlainNodeId;
  name: string;
  generation: number;
  address: string;
  roles: readonly Role[];
  location: string | null;
  metadataServerState: MetadataServerState;
  storageState: StorageState;
  workerState: WorkerState;
  /** The LogStoreMarker recorded by the `Provisioning -> ReadWrite` transition (marker association, §5). */
  marker: LogStoreMarker | null;
}>;

/** A removed node. Its id stays reserved forever. `id` may be 0 only for a legacy N0 that was remapped. */
export type Tombstone = Readonly<{ removed: true; id: number; name: string }>;

export type NodeEntry = LiveNode | Tombstone;

export type MetadataMember = Readonly<{ createdAt: string | null }>;

export type MetadataClusterConfiguration = Readonly<{
  version: number;
  members: Readonly<Record<string, MetadataMember>>;
}>;

export type LogSegment = Readonly<{
  segment: number;
  nodeset: readonly PlainNodeId[];
  sealed: boolean;
  /** The loglet kind; absent means `replicated`. Unsealed local/in-memory segments block removals (LocalLoglet). */
  provider?: ProviderKind;
}>;

export type ClusterState = Readonly<{
  /** Stream revision of the last event applied; -1 for an empty stream. Plays the role of Restate's version. */
  revision: number;
  clusterName: string | null;
  /** null until `ClusterProvisioned`. */
  config: ClusterConfig | null;
  nodes: Readonly<Record<string, NodeEntry>>;
  /** Highest id ever used, tombstones included (ids are never reused). 0 when none. */
  maxNodeId: number;
  metadata: MetadataClusterConfiguration;
  logs: Readonly<Record<string, readonly LogSegment[]>>;
}>;

export const emptyClusterState = (): ClusterState => ({
  revision: -1,
  clusterName: null,
  config: null,
  nodes: {},
  maxNodeId: 0,
  metadata: { version: 0, members: {} },
  logs: {},
});

export function liveNodes(state: ClusterState): LiveNode[] {
  return Object.values(state.nodes).filter((n): n is LiveNode => !n.removed);
}
