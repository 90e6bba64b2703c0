/**
 * The cluster aggregate: everything the decider needs to judge a command against one consistent state
 * (the role Restate's compare-and-set NodesConfiguration plays). JSON-serialisable (snapshots store it as is):
 * maps are records keyed by the decimal node id.
 */
import { z } from 'zod';
import { ClusterConfigSchema } from './events.js';
import { type LiveNodeSchema, NodeEntrySchema, type TombstoneSchema } from './node-fields.js';
import { type DeepReadonly, LiveNodeIdSchema, ProviderKindSchema } from './schemas.js';

/**
 * The cluster aggregate as snapshots store it. Strict: a field this build does not know rejects the snapshot.
 * Maps are records keyed by the decimal node id (or log id).
 */
export const ClusterStateSchema = z.strictObject({
  /** Stream revision of the last event applied; -1 for an empty stream. Plays the role of Restate's version. */
  revision: z.number().int().min(-1),
  clusterName: z.string().nullable(),
  /** null until `ClusterProvisioned`. */
  config: ClusterConfigSchema.nullable(),
  nodes: z.record(z.string(), NodeEntrySchema),
  /** Highest id ever used, tombstones included (ids are never reused). 0 when none. */
  maxNodeId: z.number().int().min(0),
  metadata: z.strictObject({
    version: z.number().int().min(0),
    members: z.record(z.string(), z.strictObject({ createdAt: z.string().nullable() })),
  }),
  logs: z.record(
    z.string(),
    z.array(
      z.strictObject({
        segment: z.number().int().min(0),
        nodeset: z.array(LiveNodeIdSchema),
        sealed: z.boolean(),
        /** The loglet kind; absent means `replicated`. Unsealed local/in-memory segments block removals (LocalLoglet). */
        provider: ProviderKindSchema.optional(),
      }),
    ),
  ),
});

export type ClusterState = DeepReadonly<z.output<typeof ClusterStateSchema>>;
export type LiveNode = DeepReadonly<z.output<typeof LiveNodeSchema>>;
export type Tombstone = DeepReadonly<z.output<typeof TombstoneSchema>>;
export type NodeEntry = LiveNode | Tombstone;
export type MetadataClusterConfiguration = ClusterState['metadata'];
export type MetadataMember = MetadataClusterConfiguration['members'][string];
export type LogSegment = ClusterState['logs'][string][number];

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
