/**
 * The viewer's copy of one cluster stream: the decoded events in order, the state at the head, and the state as of
 * any earlier position (time travel) by folding the prefix with the domain's fold.
 *
 * Invariant: `entries` and `events` are in stream order with strictly increasing positions (the store's
 * subscription delivers them so), which is what makes "the prefix up to position P" a binary search.
 */
import { applyClusterEvent, copyClusterState, foldEvents, type MutableClusterState } from '../domain/apply.js';
import { emptyClusterState } from '../domain/cluster-state.js';
import { parseDomainEvent, transitionOf, type DomainEvent } from '../domain/events.js';
import type { RecordedEvent } from '../store/event-store.js';
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

export class ClusterHistory {
  readonly streamId: string;
  readonly #entries: TimelineEntry[] = [];
  readonly #events: DomainEvent[] = [];
  /** Private and mutated in place: the head moves by one event at a time, and only `viewOf` reads it. */
  readonly #head: MutableClusterState = copyClusterState(emptyClusterState());

  constructor(streamId: string) {
    this.streamId = streamId;
  }

  get entries(): readonly TimelineEntry[] {
    return this.#entries;
  }

  get headPosition(): number {
    return this.#entries.at(-1)?.position ?? 0;
  }

  /**
   * Decodes and applies one recorded event of this stream. Throws (typed) on an unknown or invalid event; the head
   * may then be half-applied, so the caller stops feeding this history (the viewer reports the problem instead).
   */
  add(recorded: RecordedEvent): Readonly<{ entry: TimelineEntry; event: DomainEvent }> {
    const event = parseDomainEvent({ type: recorded.type, data: recorded.data, position: recorded.position });
    applyClusterEvent(this.#head, event, recorded.position);
    const metadata = recorded.metadata;
    const entry: TimelineEntry = {
      position: recorded.position,
      revision: recorded.revision,
      type: recorded.type,
      at: typeof metadata.at === 'string' ? metadata.at : null,
      commandId: typeof metadata.commandId === 'string' ? metadata.commandId : null,
      summary: summarize(event),
    };
    this.#events.push(event);
    this.#entries.push(entry);
    return { entry, event };
  }

  /** The view as of global position `position` (the last event at or before it), or at the head when omitted. */
  viewAt(position?: number): ViewState {
    if (position === undefined || position >= this.headPosition) return viewOf(this.#head, this.headPosition);
    const count = this.#countUpTo(position);
    const positions = this.#entries.slice(0, count).map((entry) => entry.position);
    const state = foldEvents(emptyClusterState(), this.#events.slice(0, count), positions);
    return viewOf(state, positions.at(-1) ?? 0);
  }

  /** How many entries have a position <= `position`. */
  #countUpTo(position: number): number {
    let low = 0;
    let high = this.#entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#entries[middle]!.position <= position) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
