/**
 * Commands: imperative, plain readonly data `{ type, data, commandId }`. `parseCommand` validates anything that
 * comes from outside (library callers, the CLI) and normalises ids, states and replication properties.
 */
import { z } from 'zod';
import { ClusterchartError } from './errors.js';
import {
  ClusterNameSchema,
  type DeepReadonly,
  GenerationalNodeIdInput,
  IsoTimeInput,
  LocationSchema,
  LogStoreMarkerInput,
  MetadataServerKindSchema,
  MetadataServerStateSchema,
  NodeNameSchema,
  PartitionMapSchema,
  PlainNodeIdInput,
  ProviderKindSchema,
  ReplicationInput,
  RoleInput,
  StorageStateInput,
  WorkerStateInput,
} from './schemas.js';
import type { MetadataServerState } from './states.js';

/** A legacy (Restate 1.0-1.1) NodesConfiguration document, as `migrate legacy` reads it. */
export const LegacyDocumentSchema = z.object({
  clusterName: ClusterNameSchema,
  version: z.number().int().nonnegative(),
  nodes: z.array(
    z.union([
      z.object({ id: z.number().int().nonnegative(), tombstone: z.literal(true) }),
      z.object({
        id: z.number().int().nonnegative(),
        generation: z.number().int().positive(),
        name: NodeNameSchema,
        roles: z.array(RoleInput),
        address: z.string().optional(),
        location: LocationSchema.optional(),
        storageState: StorageStateInput.optional(),
        metadataServerState: MetadataServerStateSchema.optional(),
        workerState: WorkerStateInput.optional(),
      }),
    ]),
  ),
});
export type LegacyDocument = DeepReadonly<z.output<typeof LegacyDocumentSchema>>;

const commandSchemas = {
  ProvisionCluster: z.object({
    clusterName: ClusterNameSchema,
    logProvider: ProviderKindSchema.default('replicated'),
    replication: ReplicationInput.default({ node: 1 }),
    targetNodesetSize: z.number().int().min(0).max(255).default(0),
    numPartitions: z.number().int().min(1).max(65535).default(24),
    metadataServer: MetadataServerKindSchema.default('replicated'),
  }),
  SetDefaultLogProvider: z.object({
    provider: ProviderKindSchema,
    replication: ReplicationInput.optional(),
    targetNodesetSize: z.number().int().min(0).max(255).optional(),
  }),
  RegisterNode: z.object({
    name: NodeNameSchema,
    roles: z.array(RoleInput).min(1),
    address: z.string().default(''),
    location: LocationSchema.optional(),
    forceNodeId: PlainNodeIdInput.optional(),
    autoJoin: z.boolean().default(true),
  }),
  RemoveNodes: z.object({ nodes: z.array(PlainNodeIdInput).min(1) }),
  JoinMetadataCluster: z.object({ node: PlainNodeIdInput, createdAt: IsoTimeInput.optional() }),
  RemoveMetadataMember: z.object({ node: PlainNodeIdInput }),
  ProvisionLogServer: z.object({ node: PlainNodeIdInput, marker: LogStoreMarkerInput }),
  StartLogServer: z.object({ node: PlainNodeIdInput, marker: LogStoreMarkerInput.nullable().default(null) }),
  SetStorageState: z.object({ node: PlainNodeIdInput, state: StorageStateInput, force: z.boolean().default(false) }),
  SetWorkerState: z.object({ node: PlainNodeIdInput, state: WorkerStateInput, force: z.boolean().default(false) }),
  CreateLogSegment: z.object({ logId: z.number().int().nonnegative() }),
  SealLogSegment: z.object({ logId: z.number().int().nonnegative() }),
  ImportLegacyConfiguration: z.object({ document: LegacyDocumentSchema, forceNodeId: PlainNodeIdInput.optional() }),
  RecordHeartbeat: z.object({ node: GenerationalNodeIdInput, at: IsoTimeInput, partitions: PartitionMapSchema.default({}) }),
  RecordUnreachable: z.object({ node: PlainNodeIdInput, at: IsoTimeInput }),
} as const;

export type CommandType = keyof typeof commandSchemas;

/** What callers may pass as each command's data, before validation and defaults (ids as `3`, `'3'` or `'N3'`...). */
export type CommandInputData = { [K in CommandType]: z.input<(typeof commandSchemas)[K]> };
export const COMMAND_TYPES = Object.keys(commandSchemas) as CommandType[];

/** Command payloads after validation (ids branded, defaults filled in), derived from their schemas. */
export type CommandData = { [K in CommandType]: DeepReadonly<z.output<(typeof commandSchemas)[K]>> };

export type Command<T extends CommandType = CommandType> = {
  [K in T]: Readonly<{ type: K; data: CommandData[K]; commandId: string }>;
}[T];

/** Which stream a command writes to: the cluster aggregate or the high-volume observations stream. */
export const OBSERVATION_COMMANDS: ReadonlySet<CommandType> = new Set(['RecordHeartbeat', 'RecordUnreachable']);

/** Unvalidated input accepted by `parseCommand` (ids as numbers or strings, states in either case). */
export type CommandInput = Readonly<{ type: string; data: unknown; commandId: string }>;

/** `MetadataServerState` is re-exported for callers that build commands by hand. */
export type { MetadataServerState };

/**
 * Validates and normalises a command. Throws `InvalidInput` (with the path of the first problem) for shape errors;
 * id and replication errors keep their own codes (`ReservedNodeId`, `InvalidNodeId`, `InvalidReplication`).
 */
export function parseCommand(input: CommandInput): Command {
  const schema = (commandSchemas as Record<string, z.ZodType | undefined>)[input.type];
  if (schema === undefined) {
    throw new ClusterchartError('InvalidInput', `Unknown command type "${input.type}". Known: ${COMMAND_TYPES.join(', ')}.`, {
      type: input.type,
    });
  }
  if (typeof input.commandId !== 'string' || input.commandId.length === 0 || input.commandId.length > 200) {
    throw new ClusterchartError('InvalidInput', 'A command id must be a non-empty string of at most 200 characters.', {
      type: input.type,
    });
  }
  const result = schema.safeParse(input.data);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue?.path.join('.') ?? '';
    throw new ClusterchartError(
      'InvalidInput',
      `${input.type}: ${path === '' ? '' : `${path}: `}${issue?.message ?? 'invalid input'}.`,
      { type: input.type, path },
    );
  }
  return { type: input.type, data: result.data, commandId: input.commandId } as Command;
}
