/**
 * Catching a lane up with its stream: applying what other writers (or a lost response of this engine's) appended
 * beyond the lane's revision, to the aggregate (cluster lane), the command index and the chain head.
 *
 * Stored events are checked as they are read: revisions dense, the type known to this build and in the right
 * stream, the data valid for its schema. A history that fails these checks cannot be applied, and the engine then
 * refuses every later command with that error (`catchUpOrFail`).
 */
import {
  DOMAIN_EVENT_TYPES,
  type DomainEvent,
  type DomainEventType,
  OBSERVATION_EVENT_TYPES,
  parseDomainEvent,
} from '../domain/events.js';
import { ClusterchartError, isClusterchartError } from '../domain/errors.js';
import type { RecordedEvent } from '../store/event-store.js';
import { type AfterDurable, appendedOf, type EngineContext } from './context.js';
import type { LaneState } from './lanes.js';
import { WorkingState } from './working-state.js';

const KNOWN_EVENT_TYPES: ReadonlySet<string> = new Set(DOMAIN_EVENT_TYPES);
/** Events applied per working copy flush while catching up. */
const CHUNK = 4096;
/** Errors that say the stored history cannot be applied by this build (they make the engine refuse commands). */
const FATAL_CODES: readonly string[] = ['UnknownEventType', 'HistoryInvalid', 'LegacyNodeZero', 'StoreCorrupt'];

/** The event at `revision` of `stream`, or null. */
export async function eventAt(ctx: EngineContext, stream: string, revision: number): Promise<RecordedEvent | null> {
  if (revision < 0) return null;
  for await (const event of ctx.store.readStream(stream, { fromRevision: revision, maxCount: 1 })) return event;
  return null;
}

/**
 * Applies everything the lane's stream holds beyond `revision`: the cluster state (cluster lane), the command
 * index, the chain head. Returns how many events were applied and, when `collect`, the events themselves.
 */
export async function catchUp(ctx: EngineContext, lane: LaneState, collect: boolean): Promise<{ count: number; events: RecordedEvent[] }> {
  const read: RecordedEvent[] = [];
  let count = 0;
  let chunk: RecordedEvent[] = [];
  let work: WorkingState | null = null;
  const flush = () => {
    if (chunk.length === 0) return;
    if (lane.name === 'cluster') {
      work ??= new WorkingState(ctx.state);
      for (const raw of chunk) applyRecorded(ctx, work, raw);
    }
    for (const raw of chunk) indexRecorded(ctx, lane, raw);
    count += chunk.length;
    if (collect) for (const raw of chunk) read.push(raw);
    chunk = [];
  };
  // The state is replaced only at the end; if reading or applying fails midway, the lane's position goes back
  // with it, so the next catch-up starts over from the same point (index entries added meanwhile stay valid).
  const start = { revision: lane.revision, lastHash: lane.lastHash, lastCommandId: lane.lastCommandId };
  try {
    for await (const raw of ctx.store.readStream(lane.stream, { fromRevision: lane.revision + 1 })) {
      const expected = lane.revision + 1 + chunk.length;
      if (raw.revision !== expected) {
        throw new ClusterchartError(
          'StoreCorrupt',
          `Stream ${lane.stream} returned revision ${raw.revision} where ${expected} was expected; revisions must be dense.`,
          { stream: lane.stream, expected, actual: raw.revision },
        );
      }
      chunk.push(raw);
      if (chunk.length >= CHUNK) flush();
    }
    flush();
  } catch (error) {
    Object.assign(lane, start);
    throw error;
  }
  if (work !== null) ctx.state = (work as WorkingState).finish();
  return { count, events: read };
}

/**
 * Catches up and announces other writers' events (`afterDurable`). A history this engine cannot apply makes the
 * engine fail every later command with that error. Returns the events read.
 */
export async function catchUpOrFail(ctx: EngineContext, lane: LaneState, afterDurable: AfterDurable): Promise<RecordedEvent[]> {
  if (ctx.fatal !== null) throw ctx.fatal;
  try {
    const { events } = await catchUp(ctx, lane, true);
    if (events.length > 0) afterDurable(lane, events.length, () => events.map(appendedOf), events[events.length - 1]!.position, 'other-writer');
    return events;
  } catch (error) {
    if (isClusterchartError(error) && FATAL_CODES.includes(error.code)) {
      ctx.fatal = error;
      ctx.log.error({ err: error, stream: lane.stream }, 'stored history cannot be applied; the engine refuses further commands');
    }
    throw error;
  }
}

/**
 * True when another writer moved the lane's stream (or, for observations, the cluster stream they are judged
 * against) since this engine last read it.
 */
export async function isStale(ctx: EngineContext, lane: LaneState): Promise<boolean> {
  if ((await ctx.store.streamRevision(lane.stream)) !== lane.revision) return true;
  const cluster = ctx.lanes.cluster;
  return lane.name === 'observations' && (await ctx.store.streamRevision(cluster.stream)) !== cluster.revision;
}

/** Applies one stored cluster event. Only the type is checked up front; bad data is reported by the zod schema. */
function applyRecorded(ctx: EngineContext, work: WorkingState, raw: RecordedEvent): void {
  const event = checkRecorded(ctx.lanes.cluster, raw);
  try {
    work.apply(event, raw.position);
  } catch (error) {
    if (isClusterchartError(error)) throw error;
    parseDomainEvent(raw); // throws HistoryInvalid naming the position when the data is malformed
    throw error;
  }
}

/** Moves the lane's head to `raw` and indexes a command's first event. */
function indexRecorded(ctx: EngineContext, lane: LaneState, raw: RecordedEvent): void {
  if (lane.name === 'observations') checkRecorded(lane, raw);
  const metadata = raw.metadata as Partial<Record<string, unknown>>;
  const commandId = typeof metadata.commandId === 'string' ? metadata.commandId : null;
  if (commandId !== null && commandId !== lane.lastCommandId) ctx.index.add(commandId, lane.name, raw.revision);
  lane.lastCommandId = commandId;
  lane.lastHash = typeof metadata.hash === 'string' ? metadata.hash : '';
  lane.revision = raw.revision;
  if (raw.position > ctx.lastPosition) ctx.lastPosition = raw.position;
}

function checkRecorded(lane: LaneState, raw: RecordedEvent): DomainEvent {
  if (!KNOWN_EVENT_TYPES.has(raw.type)) {
    throw new ClusterchartError(
      'UnknownEventType',
      `Unknown event type "${raw.type}" at position ${raw.position} of ${raw.streamId}: this history was written by a newer or different program; upgrade clusterchart.`,
      { type: raw.type, position: raw.position },
    );
  }
  if (OBSERVATION_EVENT_TYPES.has(raw.type as DomainEventType) !== (lane.name === 'observations')) {
    throw new ClusterchartError(
      'HistoryInvalid',
      `Event ${raw.type} at position ${raw.position} does not belong in stream ${raw.streamId}.`,
      { type: raw.type, position: raw.position },
    );
  }
  return raw as unknown as DomainEvent;
}
