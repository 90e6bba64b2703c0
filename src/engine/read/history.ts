/**
 * Time travel over a cluster's history, for readers: the one fold of the cluster stream into the aggregate (the
 * decider's `applyClusterEvent`), the state after any prefix of it (by revision, global position or time), and the
 * timeline of its events. Projections travel in time through the projection runner (`runner.asOf`) instead.
 *
 * A point of history is inclusive: position 12 is the state once the event at position 12 is folded in; a time is
 * the state once every event recorded at or before it (`metadata.at`) is folded in.
 */
import { applyClusterEvent, copyClusterState, type MutableClusterState } from '../../decider/evolve.js';
import { type ClusterState, emptyClusterState } from '../../domain/cluster-state.js';
import { ClusterchartError } from '../../domain/errors.js';
import { clusterStreamId, parseDomainEvent, transitionOf, type DomainEvent } from '../../domain/events.js';
import type { EventStore, RecordedEvent } from '../../store/event-store.js';

/** A point in history: a global position (inclusive), a time, or a revision of the cluster stream. */
export type HistoryPoint = number | Date | Readonly<{ revision: number }>;

/** One line of a cluster's timeline (plain JSON). */
export type TimelineEntry = Readonly<{
  position: number;
  revision: number;
  type: string;
  at: string | null;
  commandId: string | null;
  summary: string;
}>;

const nodeLabel = (id: number | null): string => (id === null ? 'cluster' : `N${id}`);

/** A one-line description of an event: the transition it records, or its main facts. */
export function summarize(event: DomainEvent): string {
  const transition = transitionOf(event);
  const data = event.data as unknown as Readonly<Record<string, unknown>>;
  const extra: string[] = [];
  if (typeof data.name === 'string' && (event.type === 'NodeRegistered' || event.type === 'NodeRemoved')) extra.push(`name ${JSON.stringify(data.name)}`);
  if (typeof data.generation === 'number' && event.type !== 'NodeHeartbeatObserved') extra.push(`generation ${data.generation}`);
  const suffix = extra.length > 0 ? ` (${extra.join(', ')})` : '';
  if (transition !== null) {
    const forced = transition.forced === true ? ' forced' : '';
    return `${transition.machine} ${nodeLabel(transition.node)}: ${transition.from} -> ${transition.to}${forced}${suffix}`;
  }
  switch (event.type) {
    case 'MetadataConfigurationChanged':
      return `metadata configuration v${event.data.version}: ${event.data.change.kind} N${event.data.change.node}; members ${event.data.members.map((m) => `N${m.node}`).join(', ') || 'none'}`;
    case 'LogSegmentCreated':
      return `log ${event.data.logId} segment ${event.data.segment}: nodeset ${event.data.nodeset.map((n) => `N${n}`).join(', ')}`;
    case 'LogSegmentSealed':
      return `log ${event.data.logId} segment ${event.data.segment} sealed`;
    case 'LegacyConfigurationImported':
      return `legacy configuration v${event.data.legacyVersion} imported (${event.data.nodes.length} entries)`;
    default:
      return `${event.type}${suffix}`;
  }
}

const decode = (recorded: RecordedEvent): DomainEvent => parseDomainEvent({ type: recorded.type, data: recorded.data, position: recorded.position });

function entryOf(recorded: RecordedEvent, event: DomainEvent): TimelineEntry {
  const metadata = recorded.metadata;
  return {
    position: recorded.position,
    revision: recorded.revision,
    type: recorded.type,
    at: typeof metadata.at === 'string' ? metadata.at : null,
    commandId: typeof metadata.commandId === 'string' ? metadata.commandId : null,
    summary: summarize(event),
  };
}

/** True while `recorded` is at or before `point`. */
function within(recorded: RecordedEvent, point: HistoryPoint): boolean {
  if (typeof point === 'number') return recorded.position <= point;
  if (point instanceof Date) {
    const at = recorded.metadata.at;
    return typeof at === 'string' && Date.parse(at) <= point.getTime();
  }
  return recorded.revision <= point.revision;
}

function checkPoint(point: HistoryPoint): void {
  const value = typeof point === 'number' ? point : point instanceof Date ? point.getTime() : point.revision;
  if (!Number.isFinite(value)) throw new ClusterchartError('InvalidInput', 'A point of history is a position, a valid time or a revision.', {});
}

/**
 * Folds a cluster stream's events into a state, stopping before the first event past `point` (all of them without
 * one). Throws (typed) on an undecodable or impossible event. Returns the state and the position of the last event
 * folded in (0 before any).
 */
async function foldStream(events: AsyncIterable<RecordedEvent>, point?: HistoryPoint): Promise<{ state: ClusterState; position: number }> {
  const state: MutableClusterState = copyClusterState(emptyClusterState());
  let position = 0;
  for await (const recorded of events) {
    if (point !== undefined && !within(recorded, point)) break;
    applyClusterEvent(state, decode(recorded), recorded.position);
    position = recorded.position;
  }
  return { state, position };
}

/**
 * The cluster aggregate as it was at a point of history (the head when `point` is left out): the same state the
 * engine had after the last event folded in. Plain JSON data.
 *
 * @example
 * const before = await clusterStateAt(store, 'prod', 118);          // after the event at position 118
 * const then = await clusterStateAt(store, 'prod', new Date('2026-01-01T12:00:00Z'));
 * const first = await clusterStateAt(store, 'prod', { revision: 0 }); // after the provisioning
 */
export async function clusterStateAt(store: EventStore, cluster: string, point?: HistoryPoint): Promise<ClusterState> {
  if (point !== undefined) checkPoint(point);
  const options = point !== undefined && typeof point === 'object' && !(point instanceof Date) ? { maxCount: Math.max(0, point.revision + 1) } : {};
  if (options.maxCount === 0) return emptyClusterState();
  return (await foldStream(store.readStream(clusterStreamId(cluster), options), point)).state;
}

/**
 * The timeline entries of a cluster stream from revision `from` to `to` (inclusive).
 *
 * @example
 * const last = await timeline(store, 'prod', { from: 0, to: 49 });
 */
export async function timeline(store: EventStore, cluster: string, range: Readonly<{ from: number; to: number }>): Promise<TimelineEntry[]> {
  const first = Math.max(0, range.from);
  if (range.to < first) return [];
  const out: TimelineEntry[] = [];
  for await (const recorded of store.readStream(clusterStreamId(cluster), { fromRevision: first, maxCount: range.to - first + 1 })) {
    out.push(entryOf(recorded, decode(recorded)));
  }
  return out;
}

/** The recorded time of the event at a global position (the instant that position stands for); epoch before any. */
export async function timeAtPosition(store: EventStore, position: number): Promise<Date> {
  if (position < 1) return new Date(0);
  for await (const event of store.readAll({ fromPosition: position, maxCount: 1 })) {
    const at = event.metadata.at;
    if (typeof at === 'string') return new Date(at);
  }
  return new Date(0);
}

/** Most timeline entries one `entries` call returns. */
export const MAX_TIMELINE_WINDOW = 500;

/**
 * One cluster stream as a live reader follows it (the viewer): the head state, kept by applying each new event, and
 * the state after any prefix of the stream (time travel). Memory stays small on long histories: the head state, the
 * position of every event (revision = index) and the last few entries; earlier states and timeline windows are read
 * back from the store on demand.
 *
 * @example
 * const history = reader.history();
 * reader.subscribe((event) => { if (event.streamId === history.streamId) history.add(event); });
 * const earlier = await history.stateAfter(history.countAtPosition(120));
 */
export class ClusterHistory {
  readonly cluster: string;
  readonly streamId: string;
  readonly #store: EventStore;
  /** `#positions[revision]`: strictly increasing, because revisions are dense and positions ordered. */
  readonly #positions: number[] = [];
  readonly #recent: TimelineEntry[] = [];
  readonly #recentSize: number;
  /** Private and mutated in place: the head moves by one event at a time. */
  readonly #head: MutableClusterState = copyClusterState(emptyClusterState());
  /** Earlier states by event count; a slider dragged back and forth asks for the same few again. */
  readonly #cache = new Map<number, ClusterState>();

  constructor(store: EventStore, cluster: string, options: Readonly<{ recent?: number }> = {}) {
    this.cluster = cluster;
    this.streamId = clusterStreamId(cluster);
    this.#store = store;
    this.#recentSize = options.recent ?? 50;
  }

  /** Events applied so far (the next revision). */
  get count(): number {
    return this.#positions.length;
  }

  get headPosition(): number {
    return this.#positions.at(-1) ?? 0;
  }

  /** The last entries, oldest first. */
  get recent(): readonly TimelineEntry[] {
    return this.#recent;
  }

  /**
   * Decodes and applies the next recorded event of this stream. Throws (typed) on an unknown or invalid event, or on
   * a revision out of order; the head may then be half-applied, so the caller stops feeding this history.
   */
  add(recorded: RecordedEvent): Readonly<{ entry: TimelineEntry; event: DomainEvent }> {
    if (recorded.revision !== this.#positions.length) {
      throw new ClusterchartError(
        'HistoryInvalid',
        `Event at position ${recorded.position} has revision ${recorded.revision} of ${this.streamId}, expected ${this.#positions.length}.`,
        { position: recorded.position, stream: this.streamId },
      );
    }
    const event = decode(recorded);
    applyClusterEvent(this.#head, event, recorded.position);
    const entry = entryOf(recorded, event);
    this.#positions.push(recorded.position);
    this.#recent.push(entry);
    if (this.#recent.length > this.#recentSize) this.#recent.shift();
    return { entry, event };
  }

  /** How many events have a position <= `position`. */
  countAtPosition(position: number): number {
    let low = 0;
    let high = this.#positions.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#positions[middle]! <= position) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Global position of the last of the first `count` events (0 for none). */
  positionAfter(count: number): number {
    return count <= 0 ? 0 : (this.#positions[Math.min(count, this.#positions.length) - 1] ?? 0);
  }

  /** The state after the first `count` events (0: the empty cluster; `count` at the head: a copy of the live state). */
  async stateAfter(count: number): Promise<ClusterState> {
    const wanted = Math.max(0, Math.min(count, this.#positions.length));
    if (wanted === this.#positions.length) return copyClusterState(this.#head);
    const cached = this.#cache.get(wanted);
    if (cached !== undefined) return cached;
    const state = wanted === 0 ? emptyClusterState() : await clusterStateAt(this.#store, this.cluster, { revision: wanted - 1 });
    this.#cache.set(wanted, state);
    if (this.#cache.size > 32) this.#cache.delete(this.#cache.keys().next().value!);
    return state;
  }

  /** Timeline entries for revisions `from`..`to` (inclusive, clipped to what was applied, at most MAX_TIMELINE_WINDOW). */
  async entries(from: number, to: number): Promise<TimelineEntry[]> {
    const first = Math.max(0, from);
    const last = Math.min(to, this.#positions.length - 1, first + MAX_TIMELINE_WINDOW - 1);
    if (last < first) return [];
    const recentFirst = this.#recent[0]?.revision ?? Infinity;
    if (first >= recentFirst) return this.#recent.slice(first - recentFirst, last - recentFirst + 1);
    return timeline(this.#store, this.cluster, { from: first, to: last });
  }
}
