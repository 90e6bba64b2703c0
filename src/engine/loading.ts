/**
 * Loading a cluster: the newest snapshot that passes every check (else none: full replay), then the tail of both
 * streams beyond it.
 */
import type { Logger } from 'pino';
import type { RecordedEvent } from '../store/event-store.js';
import { catchUp, eventAt } from './catch-up.js';
import { CommandIndex } from './command-index.js';
import type { EngineContext } from './context.js';
import { decodeSnapshot, type SnapshotContent, snapshotStreamId } from './snapshots.js';
import { sealState } from './working-state.js';

/** Snapshots examined, newest first, before giving up on them (each can be megabytes). */
const MAX_SNAPSHOTS_EXAMINED = 3;

export type Loaded = Readonly<{
  /** Cluster revision of the snapshot the load started from, or null (full replay). */
  snapshotRevision: number | null;
  /** Events applied beyond the snapshot (both lanes). */
  tail: number;
}>;

/** Fills `ctx` (aggregate, index, both lanes) from the store. Nothing is announced: the caller does. */
export async function loadCluster(ctx: EngineContext, snapLog: Logger, machineVersions: Readonly<Record<string, number>>): Promise<Loaded> {
  const { cluster, observations } = ctx.lanes;
  const snapshot = await chooseSnapshot(ctx, snapLog, machineVersions);
  if (snapshot !== null) {
    ctx.state = snapshot.state;
    ctx.index = snapshot.index;
    cluster.revision = snapshot.cluster.revision;
    cluster.lastHash = snapshot.cluster.hash;
    observations.revision = snapshot.observations.revision;
    observations.lastHash = snapshot.observations.hash;
  } else {
    // A full replay indexes every command: size the table once (at most one command per event) instead of growing it.
    const events = (await ctx.store.streamRevision(cluster.stream)) + (await ctx.store.streamRevision(observations.stream)) + 2;
    ctx.index = new CommandIndex(events);
  }
  const tail = (await catchUp(ctx, cluster, false)).count + (await catchUp(ctx, observations, false)).count;
  ctx.state = sealState(ctx.state);
  return { snapshotRevision: snapshot?.cluster.revision ?? null, tail };
}

/**
 * The newest snapshot that passes every check, or null (full replay). Each rejected one is logged with why. The
 * chosen one also sets the lanes' last command ids and the last position (from the events it is tied to).
 */
async function chooseSnapshot(ctx: EngineContext, snapLog: Logger, machineVersions: Readonly<Record<string, number>>): Promise<SnapshotContent | null> {
  const { cluster, observations } = ctx.lanes;
  const stream = snapshotStreamId(ctx.cluster);
  let examined = 0;
  // One snapshot per read: the newest, then older ones only while they fail the checks.
  for (let revision = await ctx.store.streamRevision(stream); revision >= 0 && examined < MAX_SNAPSHOTS_EXAMINED; revision--) {
    const recorded = await eventAt(ctx, stream, revision);
    if (recorded === null) break;
    examined++;
    const decoded = decodeSnapshot(recorded, ctx.cluster, machineVersions);
    if (!decoded.ok) {
      snapLog.warn({ stream, revision: recorded.revision, reason: decoded.reason }, 'snapshot ignored; replaying events instead');
      continue;
    }
    const content = decoded.content;
    const clusterTie = await eventAt(ctx, cluster.stream, content.cluster.revision);
    const observationsTie = await eventAt(ctx, observations.stream, content.observations.revision);
    const problem = tieProblem(cluster.stream, content.cluster, clusterTie) ?? tieProblem(observations.stream, content.observations, observationsTie);
    if (problem !== null) {
      snapLog.warn({ stream, revision: recorded.revision, reason: problem }, 'snapshot ignored; replaying events instead');
      continue;
    }
    ctx.lastPosition = Math.max(clusterTie?.position ?? 0, observationsTie?.position ?? 0);
    cluster.lastCommandId = commandIdOf(clusterTie);
    observations.lastCommandId = commandIdOf(observationsTie);
    snapLog.debug({ revision: content.cluster.revision, commands: content.index.size }, 'snapshot loaded');
    return content;
  }
  if (examined > 0) snapLog.warn({ stream, examined }, 'no usable snapshot; the aggregate is rebuilt from every event');
  return null;
}

/** Why a snapshot's point is not part of this history (null: it is). */
function tieProblem(stream: string, point: Readonly<{ revision: number; hash: string }>, event: RecordedEvent | null): string | null {
  if (point.revision < 0) return null;
  if (event === null) return `it covers ${stream} up to revision ${point.revision}, which the store does not hold (the stream was truncated or replaced)`;
  const hash = (event.metadata as { hash?: unknown }).hash;
  return hash === point.hash ? null : `the event at revision ${point.revision} of ${stream} is not the one the snapshot was taken after (hash differs)`;
}

/** The recorded `metadata.commandId` of an event, or null. */
function commandIdOf(event: RecordedEvent | null): string | null {
  const id = (event?.metadata as { commandId?: unknown } | undefined)?.commandId;
  return typeof id === 'string' ? id : null;
}
