/**
 * The viewer's view of one cluster stream: the state at the head, kept by applying each new event with the domain's
 * `applyClusterEvent`, and the state after any prefix of the stream (time travel) by folding that prefix again.
 */
import { applyClusterEvent, copyClusterState, type MutableClusterState } from '../decider/evolve.js';
import { emptyClusterState } from '../domain/cluster-state.js';
import { ClusterchartError } from '../domain/errors.js';
import { parseDomainEvent, transitionOf, type DomainEvent } from '../domain/events.js';
import type { EventStore, RecordedEvent } from '../store/event-store.js';
import { viewOf, type ViewState } from './model.js';

/** One line of the timeline, as the page shows it (text only). */
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

const decode = (recorded: RecordedEvent): DomainEvent => parseDomainEvent({ type: recorded.type, data: recorded.data, position: recorded.position });

/** Most timeline entries one request may ask for. */
export const MAX_TIMELINE_WINDOW = 500;

/**
 * One cluster stream as the viewer follows it. Memory stays small on long histories: the head state, the position
 * of every event (revision = index) and the last few entries; earlier states and timeline windows are read back
 * from the store on demand.
 */
export class ClusterHistory {
  readonly streamId: string;
  readonly #store: EventStore;
  /** `#positions[revision]`: strictly increasing, because revisions are dense and positions ordered. */
  readonly #positions: number[] = [];
  readonly #recent: TimelineEntry[] = [];
  readonly #recentSize: number;
  /** Private and mutated in place: the head moves by one event at a time, and only `viewOf` reads it. */
  readonly #head: MutableClusterState = copyClusterState(emptyClusterState());
  /** Earlier views by event count; a slider dragged back and forth asks for the same few again. */
  readonly #cache = new Map<number, ViewState>();

  constructor(streamId: string, store: EventStore, options: Readonly<{ recent?: number }> = {}) {
    this.streamId = streamId;
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

  /**
   * The view after the first `count` events (0: the empty cluster; `count` at the head: the live state).
   *
   * @example
   * const earlier = await history.viewAfter(history.countAtPosition(120));
   */
  async viewAfter(count: number): Promise<ViewState> {
    const wanted = Math.max(0, Math.min(count, this.#positions.length));
    if (wanted === this.#positions.length) return viewOf(this.#head, this.headPosition);
    const cached = this.#cache.get(wanted);
    if (cached !== undefined) return cached;
    const state = copyClusterState(emptyClusterState());
    if (wanted > 0) {
      for await (const recorded of this.#store.readStream(this.streamId, { fromRevision: 0, maxCount: wanted })) {
        applyClusterEvent(state, decode(recorded), recorded.position);
      }
    }
    const view = viewOf(state, this.#positions[wanted - 1] ?? 0);
    this.#cache.set(wanted, view);
    if (this.#cache.size > 32) this.#cache.delete(this.#cache.keys().next().value!);
    return view;
  }

  /** Timeline entries for revisions `from`..`to` (inclusive, clipped to what was applied, at most MAX_TIMELINE_WINDOW). */
  async entries(from: number, to: number): Promise<TimelineEntry[]> {
    const first = Math.max(0, from);
    const last = Math.min(to, this.#positions.length - 1, first + MAX_TIMELINE_WINDOW - 1);
    if (last < first) return [];
    const recentFirst = this.#recent[0]?.revision ?? Infinity;
    if (first >= recentFirst) return this.#recent.slice(first - recentFirst, last - recentFirst + 1);
    const out: TimelineEntry[] = [];
    for await (const recorded of this.#store.readStream(this.streamId, { fromRevision: first, maxCount: last - first + 1 })) {
      out.push(entryOf(recorded, decode(recorded)));
    }
    return out;
  }
}
