/**
 * A live node's fields, written once. The events that record a node (registration, restart, legacy import and remap),
 * the cluster state's `LiveNode`, the snapshot of that state and the nodes-configuration document all derive their
 * node fields from `NodeFieldsSchema`, so a new field is added here and nowhere else.
 */
import { z } from 'zod';
import {
  type DeepReadonly,
  LiveNodeIdSchema,
  MetadataServerStateSchema,
  RoleSchema,
  StorageStateSchema,
  WorkerStateSchema,
} from './schemas.js';

/**
 * Every field of a live node but its id (events call it `nodeId`, the state `id`) and its LogStoreMarker (recorded
 * by provisioning, never by a registration). Key order is the order the state and the documents print.
 */
export const NodeFieldsSchema = z.object({
  generation: z.number().int(),
  name: z.string(),
  address: z.string(),
  roles: z.array(RoleSchema),
  location: z.string().nullable(),
  metadataServerState: MetadataServerStateSchema,
  storageState: StorageStateSchema,
  workerState: WorkerStateSchema,
});
export type NodeFields = DeepReadonly<z.output<typeof NodeFieldsSchema>>;

/** The node fields a restart replaces (every role state is kept). */
export const RestartFieldsSchema = NodeFieldsSchema.pick({ generation: true, roles: true, address: true, location: true });

/**
 * The node fields of `source`, in `NodeFieldsSchema`'s order and nothing else (a state entry's `id`, `removed` and
 * `marker`, or an event's transition, are left behind).
 *
 * @example
 * const fields = nodeFieldsOf(liveNode); // { generation, name, address, roles, location, ...states }
 */
export function nodeFieldsOf(source: NodeFields): NodeFields {
  return {
    generation: source.generation,
    name: source.name,
    address: source.address,
    roles: source.roles,
    location: source.location,
    metadataServerState: source.metadataServerState,
    storageState: source.storageState,
    workerState: source.workerState,
  };
}

/** The LogStoreMarker as the state and its snapshot hold it (checked when it was recorded). */
const StoredMarkerSchema = z.strictObject({ nodeId: LiveNodeIdSchema, markerId: z.string(), createdAt: z.string() });

/**
 * A live node of the cluster state, as snapshots store it. Strict: a field this build does not know is refused.
 * Stricter than the events (generation >= 1): a state only ever holds what the fold accepted.
 */
export const LiveNodeSchema = z.strictObject({
  removed: z.literal(false),
  id: LiveNodeIdSchema,
  ...NodeFieldsSchema.shape,
  generation: z.number().int().min(1),
  /** The LogStoreMarker recorded by the `Provisioning -> ReadWrite` transition (marker association). */
  marker: StoredMarkerSchema.nullable(),
});

/** A removed node. Its id stays reserved forever. `id` may be 0 only for a legacy N0 that was remapped. */
export const TombstoneSchema = z.strictObject({ removed: z.literal(true), id: z.number().int().min(0), name: z.string() });

/** A node entry of the cluster state: a live node or a tombstone. */
export const NodeEntrySchema = z.discriminatedUnion('removed', [LiveNodeSchema, TombstoneSchema]);
