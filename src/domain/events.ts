/**
 * Domain events: past tense, plain readonly data. Every event that moves a statechart records the transition
 * (`machine`, `node`, `from`, `to`, the machine `input` event, `forced`), so that
 * - `evolve` rebuilds state by reading `to` without running any machine (fast path), and
 * - `verify` re-runs `input` through the machine from `from` and checks it yields `to` (audit path).
 * Cross-node facts a guard needs (for example "nodesets stay satisfiable") are put into `input` by the decider, so
 * a recorded transition can be re-checked on its own. The command id lives in the envelope's metadata.
 *
 * Two streams per cluster: `cluster-NAME` (the aggregate; its revision is the NodesConfiguration version) and
 * `observations-NAME` (heartbeats and unreachability, high volume).
 */
import { z } from 'zod';
import { ClusterchartError } from './errors.js';
import { NodeFieldsSchema, RestartFieldsSchema } from './node-fields.js';
import {
  ClusterNameSchema,
  type DeepReadonly,
  IsoTime,
  LogStoreMarkerSchema,
  MetadataServerKindSchema,
  PartitionMapSchema,
  ProviderKindSchema,
  StoredNodeIdSchema,
} from './schemas.js';

export const MACHINE_NAMES = ['cluster-provisioning', 'node-lifecycle', 'metadata-membership', 'log-server', 'worker'] as const;
export type MachineName = (typeof MACHINE_NAMES)[number];

/** Raw stored node ids are plain numbers: history may hold legacy N0, which `evolve` must reject with a position. */
const StoredId = StoredNodeIdSchema;
/** An id of the legacy document (a tombstone, or the N0 a remap leaves behind): any whole number, 0 included. */
const LegacyId = z.number().int().nonnegative();
const ReplicationStored = z.object({ node: z.number(), zone: z.number().optional(), region: z.number().optional() });

/** One statechart transition, as recorded in an event. `node` is null for cluster-wide machines. */
const TransitionSchema = z.object({
  machine: z.enum(MACHINE_NAMES),
  node: StoredId.nullable(),
  from: z.string(),
  to: z.string(),
  input: z.looseObject({ type: z.string() }),
  forced: z.boolean().optional(),
});
export type Transition = DeepReadonly<z.output<typeof TransitionSchema>>;
/** The XState event fed to the machine, with every fact its guards read, as a transition records it. */
export type MachineInput = Transition['input'];
const transition = TransitionSchema.shape;

export const ClusterConfigSchema = z.object({
  logProvider: ProviderKindSchema,
  replication: ReplicationStored,
  targetNodesetSize: z.number().int(),
  numPartitions: z.number().int(),
  metadataServer: MetadataServerKindSchema,
});
export type ClusterConfig = DeepReadonly<z.output<typeof ClusterConfigSchema>>;

const node = NodeFieldsSchema.shape;

const eventDataSchemas = {
  // cluster stream -------------------------------------------------------------------------------------------------
  ClusterProvisioned: z.object({ ...transition, clusterName: ClusterNameSchema, config: ClusterConfigSchema }),
  DefaultLogProviderChanged: z.object({ ...transition, config: ClusterConfigSchema }),
  NodeRegistered: z.object({ ...transition, nodeId: StoredId, ...node }),
  NodeRestarted: z.object({ ...transition, nodeId: StoredId, ...RestartFieldsSchema.shape, previousGeneration: z.number().int() }),
  NodeRemoved: z.object({ ...transition, nodeId: StoredId, name: node.name }),
  /** The legacy N0 is re-registered under a valid id keeping its generation; N0 becomes a tombstone. */
  NodeIdRemapped: z.object({ ...transition, fromId: LegacyId, nodeId: StoredId, ...node }),
  MetadataServerStateChanged: z.object({ ...transition, nodeId: StoredId }),
  /** The metadata cluster configuration after a join, a removal or the seeding of the first member. */
  MetadataConfigurationChanged: z.object({
    version: z.number().int(),
    members: z.array(z.object({ node: StoredId, createdAt: z.string().nullable() })),
    change: z.object({ kind: z.enum(['seed', 'join', 'remove', 'tombstone']), node: StoredId }),
  }),
  StorageStateChanged: z.object({ ...transition, nodeId: StoredId, marker: LogStoreMarkerSchema.nullable() }),
  WorkerStateChanged: z.object({ ...transition, nodeId: StoredId }),
  LogSegmentCreated: z.object({
    logId: z.number().int(),
    segment: z.number().int(),
    nodeset: z.array(StoredId),
    replication: ReplicationStored,
    warning: z.string().nullable(),
    /** The loglet kind; absent means `replicated` (local and in-memory segments have an empty nodeset). */
    provider: ProviderKindSchema.optional(),
  }),
  LogSegmentSealed: z.object({ logId: z.number().int(), segment: z.number().int() }),
  /** A legacy document imported as is, minus a live N0 (see `NodeIdRemapped`). */
  LegacyConfigurationImported: z.object({
    clusterName: ClusterNameSchema,
    legacyVersion: z.number().int(),
    nodes: z.array(
      z.union([
        z.object({ nodeId: LegacyId, tombstone: z.literal(true) }),
        z.object({ nodeId: StoredId, tombstone: z.literal(false), ...node }),
      ]),
    ),
  }),
  // observations stream -------------------------------------------------------------------------------------------
  NodeHeartbeatObserved: z.object({
    nodeId: StoredId,
    generation: z.number().int(),
    at: IsoTime,
    partitions: PartitionMapSchema,
    /** The node's generation when a heartbeat of an OLDER one was recorded: it was ignored (absent otherwise). */
    olderThanGeneration: z.number().int().min(1).optional(),
  }),
  NodeUnreachableObserved: z.object({ nodeId: StoredId, at: IsoTime }),
} as const;

export type DomainEventType = keyof typeof eventDataSchemas;
export const DOMAIN_EVENT_TYPES = Object.keys(eventDataSchemas) as DomainEventType[];
export const OBSERVATION_EVENT_TYPES: ReadonlySet<DomainEventType> = new Set([
  'NodeHeartbeatObserved',
  'NodeUnreachableObserved',
]);

/** Event payloads, derived from their schemas. Node ids are branded; `parseDomainEvent` checks the stored data. */
export type DomainEventData = { [K in DomainEventType]: DeepReadonly<z.output<(typeof eventDataSchemas)[K]>> };

/** Envelope metadata. `at` comes from the injected clock; `hash` chains events of a stream. */
export type EventMetadata = Readonly<{
  commandId: string;
  commandType?: string;
  causationId?: string;
  correlationId?: string;
  actor?: string;
  at: string;
  machineVersion?: number;
  hash?: string;
}>;

export const EventMetadataSchema = z.looseObject({
  commandId: z.string(),
  commandType: z.string().optional(),
  causationId: z.string().optional(),
  correlationId: z.string().optional(),
  actor: z.string().optional(),
  at: z.string(),
  machineVersion: z.number().optional(),
  hash: z.string().optional(),
});

/** A domain event before it is stored. */
export type DomainEvent<T extends DomainEventType = DomainEventType> = {
  [K in T]: Readonly<{ type: K; data: DomainEventData[K] }>;
}[T];

/** A domain event as read back from a stream. */
export type StoredDomainEvent<T extends DomainEventType = DomainEventType> = DomainEvent<T> &
  Readonly<{ id: string; streamId: string; revision: number; position: number; metadata: EventMetadata }>;

export const clusterStreamId = (cluster: string): string => `cluster-${cluster}`;
export const observationsStreamId = (cluster: string): string => `observations-${cluster}`;

/**
 * Validates a stored event's type and data (the boundary between a store and the domain). Unknown types fail with
 * `UnknownEventType`; bad data with `HistoryInvalid` naming the position.
 */
export function parseDomainEvent(raw: Readonly<{ type: string; data: unknown; position?: number }>): DomainEvent {
  const schema = (eventDataSchemas as Record<string, z.ZodType | undefined>)[raw.type];
  const where = raw.position === undefined ? '' : ` at position ${raw.position}`;
  if (schema === undefined) {
    throw new ClusterchartError(
      'UnknownEventType',
      `Unknown event type "${raw.type}"${where}: this history was written by a newer or different program; upgrade clusterchart.`,
      { type: raw.type, position: raw.position ?? null },
    );
  }
  const result = schema.safeParse(raw.data);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ClusterchartError(
      'HistoryInvalid',
      `Event ${raw.type}${where} does not match its schema (${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}).`,
      { type: raw.type, position: raw.position ?? null },
    );
  }
  return { type: raw.type, data: result.data } as DomainEvent;
}

/** The transition an event records, if it moves a statechart. */
export function transitionOf(event: DomainEvent): Transition | null {
  const data = event.data as Partial<Transition>;
  return typeof data.machine === 'string' && typeof data.from === 'string' && typeof data.to === 'string'
    ? (data as Transition)
    : null;
}
