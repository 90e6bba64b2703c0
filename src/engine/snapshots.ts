/**
 * Snapshots of the cluster aggregate, stored as `ClusterSnapshot` events in the stream `snapshot-CLUSTER`.
 *
 * A snapshot is an optimisation, never a source of truth: loading takes the newest one only if it passes every
 * check below, and otherwise falls back to the events (the caller logs why).
 * - `schemaVersion` is this file's format and `machineVersions` equal the running machines' versions (a changed
 *   machine may give recorded states another meaning: rebuild from the events instead);
 * - a checksum over the stored state text and command index (bit rot, truncation, hand edits);
 * - the state parses and matches `ClusterStateSchema`, and its revision is the snapshot's revision;
 * - the snapshot's revisions are tied to THIS history: the caller checks that the event at each revision still
 *   carries the hash the snapshot recorded (a stream that was rewritten or truncated invalidates it).
 *
 * The state is stored as one JSON string inside the event, so the checksum covers the exact bytes that are parsed.
 * The command index (every command id in history, 12 bytes each) travels with it: a retry of a command older than
 * the snapshot still finds itself without replaying the stream.
 */
import { createHash, randomUUID } from 'node:crypto';
import * as zlib from 'node:zlib';
import { z } from 'zod';
import { type ClusterState, ClusterStateSchema } from '../domain/cluster-state.js';
import type { EventData, RecordedEvent } from '../store/event-store.js';
import { CommandIndex } from './command-index.js';

export const SNAPSHOT_EVENT_TYPE = 'ClusterSnapshot';
/** Bump when the snapshot format below changes; older snapshots are then ignored (full replay). */
export const SNAPSHOT_SCHEMA_VERSION = 1;

export const snapshotStreamId = (cluster: string): string => `snapshot-${cluster}`;

/** Where a lane stood when the snapshot was taken: its last revision and that event's chain hash. */
export type SnapshotPoint = Readonly<{ revision: number; hash: string }>;

const PointSchema = z.strictObject({ revision: z.number().int().min(-1), hash: z.string() });

const SnapshotDataSchema = z.object({
  schemaVersion: z.number().int(),
  cluster: z.string(),
  revision: z.number().int().min(-1),
  hash: z.string(),
  observations: PointSchema,
  machineVersions: z.record(z.string(), z.number()),
  commands: z.number().int().min(0),
  state: z.string(),
  commandIndex: z.string(),
  checksum: z.string(),
});

export type SnapshotContent = Readonly<{
  cluster: SnapshotPoint;
  observations: SnapshotPoint;
  state: ClusterState;
  index: CommandIndex;
}>;

/**
 * The snapshot's integrity check, against bit rot, truncation and hand edits (not against a writer who can rewrite
 * the store: such a writer can forge any checksum). CRC-32 over the state text and the decoded index bytes: ~3x
 * faster than sha256 on the ~15 MB a 1,000,000-command snapshot holds, which matters for the load budget. Node
 * builds without `zlib.crc32` (before 20.15) use sha256; each checksum names its algorithm.
 */
const crc32 = (zlib as Partial<Pick<typeof zlib, 'crc32'>>).crc32;

function checksumOf(state: string, index: Uint8Array): string {
  if (typeof crc32 === 'function') return `crc32:${crc32(index, crc32(state)).toString(16)}`;
  return `sha256:${createHash('sha256').update(state).update('\n').update(index).digest('hex')}`;
}

const CHECKSUM_PREFIX = typeof crc32 === 'function' ? 'crc32:' : 'sha256:';

/**
 * The snapshot event for `content`. `at` is the engine clock's time (metadata only; nothing reads it back).
 *
 * @example
 * await store.appendToStream(snapshotStreamId('prod'), [encodeSnapshot('prod', content, versions, clock().toISOString())]);
 */
export function encodeSnapshot(
  clusterName: string,
  content: SnapshotContent,
  machineVersions: Readonly<Record<string, number>>,
  at: string,
): EventData {
  const state = JSON.stringify(content.state);
  const indexBytes = content.index.encodeBytes();
  const commandIndex = indexBytes.toString('base64');
  return {
    id: randomUUID(),
    type: SNAPSHOT_EVENT_TYPE,
    data: {
      schemaVersion: SNAPSHOT_SCHEMA_VERSION,
      cluster: clusterName,
      revision: content.cluster.revision,
      hash: content.cluster.hash,
      observations: content.observations,
      machineVersions: { ...machineVersions },
      commands: content.index.size,
      state,
      commandIndex,
      checksum: checksumOf(state, indexBytes),
    },
    metadata: { at },
  };
}

export type DecodedSnapshot = Readonly<{ ok: true; content: SnapshotContent }> | Readonly<{ ok: false; reason: string }>;

/**
 * Checks and decodes a stored snapshot (everything but the tie to the history, which needs the store: see the
 * module comment). Never throws for bad content; returns the reason instead.
 */
export function decodeSnapshot(
  recorded: RecordedEvent,
  clusterName: string,
  machineVersions: Readonly<Record<string, number>>,
): DecodedSnapshot {
  const fail = (reason: string): DecodedSnapshot => ({
    ok: false,
    reason: `snapshot at revision ${recorded.revision} of ${recorded.streamId}: ${reason}`,
  });
  if (recorded.type !== SNAPSHOT_EVENT_TYPE) return fail(`unexpected event type ${recorded.type}`);
  const parsed = SnapshotDataSchema.safeParse(recorded.data);
  if (!parsed.success) return fail(`malformed (${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? ''})`);
  const data = parsed.data;
  if (data.schemaVersion !== SNAPSHOT_SCHEMA_VERSION) {
    return fail(`format version ${data.schemaVersion}, this build reads ${SNAPSHOT_SCHEMA_VERSION}`);
  }
  if (data.cluster !== clusterName) return fail(`taken for cluster "${data.cluster}"`);
  const wanted = Object.keys(machineVersions).sort();
  const stored = Object.keys(data.machineVersions).sort();
  if (wanted.join() !== stored.join() || wanted.some((name) => data.machineVersions[name] !== machineVersions[name])) {
    return fail(
      `taken with machine versions ${JSON.stringify(data.machineVersions)}, running ${JSON.stringify(machineVersions)}`,
    );
  }
  if (!data.checksum.startsWith(CHECKSUM_PREFIX)) return fail(`checksum ${data.checksum.split(':')[0] ?? ''} cannot be checked by this build`);
  const indexBytes = Buffer.from(data.commandIndex, 'base64');
  if (checksumOf(data.state, indexBytes) !== data.checksum) return fail('checksum mismatch (the snapshot was altered or damaged)');
  let json: unknown;
  try {
    json = JSON.parse(data.state);
  } catch {
    return fail('state is not valid JSON');
  }
  const state = ClusterStateSchema.safeParse(json);
  if (!state.success) {
    const issue = state.error.issues[0];
    return fail(`state does not match this build's schema (${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''})`);
  }
  if (state.data.revision !== data.revision) return fail(`state revision ${state.data.revision} differs from the snapshot's ${data.revision}`);
  for (const [key, node] of Object.entries(state.data.nodes)) {
    if (key !== String(node.id)) return fail(`node stored under key ${key} has id ${node.id}`);
  }
  let index: CommandIndex;
  try {
    index = CommandIndex.fromBytes(indexBytes);
  } catch (error) {
    return fail(`command index: ${(error as Error).message}`);
  }
  if (index.size !== data.commands) return fail(`command index holds ${index.size} commands, the snapshot says ${data.commands}`);
  return {
    ok: true,
    content: {
      cluster: { revision: data.revision, hash: data.hash },
      observations: data.observations,
      state: state.data,
      index,
    },
  };
}
