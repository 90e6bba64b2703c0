/**
 * zod schemas for the values that cross a boundary (library API, CLI, stored events). Node ids are accepted as
 * `3`, `'3'` or `'N3'`; `0` is refused with `ReservedNodeId` (the transform throws the domain error itself, so the
 * caller sees the operator-facing message rather than a generic validation failure).
 */
import { z } from 'zod';
import { type PlainNodeId, generationalNodeId, parseGenerationalNodeId, parsePlainNodeId, plainNodeId } from './ids.js';
import { parseReplicationProperty, replicationProperty } from './replication.js';
import {
  METADATA_SERVER_KINDS,
  METADATA_SERVER_STATES,
  PROVIDER_KINDS,
  ROLES,
  RUN_MODES,
  STORAGE_STATES,
  WORKER_STATES,
  parseRole,
  parseStorageState,
  parseWorkerState,
} from './states.js';

export const PlainNodeIdInput = z
  .union([z.number(), z.string()])
  .transform((v) => (typeof v === 'number' ? plainNodeId(v) : parsePlainNodeId(v)));

export const GenerationalNodeIdInput = z
  .union([z.string(), z.object({ id: z.number(), generation: z.number() })])
  .transform((v) => (typeof v === 'string' ? parseGenerationalNodeId(v) : generationalNodeId(v.id, v.generation)));

/**
 * A node id as stored history and snapshots hold it: a plain number, typed as the branded id. History may hold a
 * legacy N0, which the fold rejects with its position (`LegacyNodeZero`), so the stored form admits 0.
 */
export const StoredNodeIdSchema = z.number().int().nonnegative() as unknown as z.ZodType<PlainNodeId, number>;
/** A stored id of a live node or a nodeset member: never 0. */
export const LiveNodeIdSchema = z.number().int().min(1) as unknown as z.ZodType<PlainNodeId, number>;

/** The readonly view of a schema's output: what the domain hands out is never written to. */
export type DeepReadonly<T> = unknown extends T
  ? T
  : T extends string | number | boolean | bigint | symbol | null | undefined
  ? T
  : T extends readonly (infer E)[]
    ? readonly DeepReadonly<E>[]
    : { readonly [K in keyof T]: DeepReadonly<T[K]> };

/** Stored form: always numbers, validated. */
export const PlainNodeIdSchema = z.number().transform((v) => plainNodeId(v));
export const GenerationalNodeIdSchema = z
  .object({ id: z.number(), generation: z.number() })
  .transform((v) => generationalNodeId(v.id, v.generation));

export const ReplicationInput = z
  .union([
    z.number(),
    z.string(),
    z.object({ node: z.number().optional(), zone: z.number().optional(), region: z.number().optional() }).strict(),
  ])
  .transform((v) => (typeof v === 'string' ? parseReplicationProperty(v) : replicationProperty(v)));

export const RoleSchema = z.enum(ROLES);
export const RoleInput = z.string().transform((v) => parseRole(v));
export const StorageStateSchema = z.enum(STORAGE_STATES);
export const StorageStateInput = z.string().transform((v) => parseStorageState(v));
export const WorkerStateSchema = z.enum(WORKER_STATES);
export const WorkerStateInput = z.string().transform((v) => parseWorkerState(v));
export const MetadataServerStateSchema = z.enum(METADATA_SERVER_STATES);
export const ProviderKindSchema = z.enum(PROVIDER_KINDS);
export const MetadataServerKindSchema = z.enum(METADATA_SERVER_KINDS);
export const RunModeSchema = z.enum(RUN_MODES);

/** The form every time a caller gives must take, shown in every refusal of one. */
export const ISO_TIME_FORM = 'an ISO-8601 date-time with a zone, such as 2026-01-31T12:00:00Z or 2026-01-31T13:00:00.250+01:00';

const isoDateTime = z.iso.datetime({ offset: true });

/**
 * True for a real ISO-8601 date-time with a zone: `YYYY-MM-DDTHH:MM:SS[.fraction]` then `Z` or `+HH:MM`/`-HH:MM`,
 * on a date the calendar has (no February 30, February 29 only in leap years). Nothing else is read as a time:
 * no date alone, no time without a zone, no RFC 1123 dates, no bare numbers.
 */
export function isIsoDateTime(text: string): boolean {
  return isoDateTime.safeParse(text).success && !Number.isNaN(Date.parse(text));
}

/**
 * A time given by a caller (command data): strictly an ISO-8601 date-time with a zone (see `isIsoDateTime`),
 * normalised to the one stored form, UTC with milliseconds (`Date.prototype.toISOString`).
 */
export const IsoTimeInput = z
  .string()
  .refine(isIsoDateTime, { message: `expected ${ISO_TIME_FORM}` })
  .transform((s) => new Date(s).toISOString());

/**
 * A time as stored history holds it: what `IsoTimeInput` wrote (or, in histories older than the strict rule, any
 * string `Date.parse` reads). Read as stored, never rewritten: events are hashed as stored.
 */
export const IsoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'expected an ISO-8601 time' });

/** `region.zone` (either part optional but not empty). */
export const LocationSchema = z.string().regex(/^[A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)?$/, 'expected REGION.ZONE');

/** Written by a log server to its own disk on first start; the stored form (see `LogStoreMarkerInput`). */
export const LogStoreMarkerSchema = z
  .object({ nodeId: PlainNodeIdInput, markerId: z.string().min(1), createdAt: IsoTime })
  .readonly();
/** A marker given by a caller: its `createdAt` is a strict ISO-8601 time, normalised (`IsoTimeInput`). */
export const LogStoreMarkerInput = z
  .object({ nodeId: PlainNodeIdInput, markerId: z.string().min(1), createdAt: IsoTimeInput })
  .readonly();
export type LogStoreMarker = Readonly<{ nodeId: PlainNodeId; markerId: string; createdAt: string }>;

/** Partition ids are non-negative integers; heartbeats report `{ [partitionId]: 'leader' | 'follower' }`. */
export const PartitionMapSchema = z.record(z.string().regex(/^\d+$/, 'partition ids are whole numbers'), RunModeSchema);

export const ClusterNameSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'cluster names use letters, digits, ".", "_" and "-"');

export const NodeNameSchema = z.string().min(1).max(256);
