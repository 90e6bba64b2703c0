/**
 * The reference EventStore: everything in one process's memory, lost on exit. Unit tests and the engine's
 * tests use it; the conformance suite holds the other adapters to its behaviour.
 *
 * Stored events are deep-frozen copies made by a JSON round trip at append time, so readers see exactly what the
 * durable adapters would return and can never mutate history. Positions are dense (1, 2, 3...).
 */
import {
  checkExpectedRevision,
  classifyExistingIds,
  deepFreeze,
  encodeExpected,
  pagedIterable,
  prepareAppend,
  settle,
  storeClosedError,
  validateReadAllOptions,
  validateReadStreamOptions,
  validateStreamId,
  type StoredEventRef,
} from './common.js';
import type { AppendResult, EventData, EventStore, ExpectedRevision, JsonObject, JsonValue, ReadAllOptions, ReadStreamOptions, RecordedEvent, SubscribeOptions, Subscription, SubscriptionHandler } from './event-store.js';
import { LocalSubscriptions } from './subscription.js';

/** Events per page of `readAll` (a page is a copy, taken between two appends). */
const PAGE_SIZE = 4096;

type Stored = { readonly event: RecordedEvent; readonly expected: number };

/**
 * Creates an empty in-memory store.
 *
 * @example
 * const store = createMemoryStore();
 * await store.appendToStream('cluster-a', [{ id: randomUUID(), type: 'ClusterProvisioned', data: {}, metadata: {} }], { expectedRevision: 'no-stream' });
 */
export function createMemoryStore(): EventStore {
  return new MemoryEventStore();
}

class MemoryEventStore implements EventStore {
  readonly url = 'memory:';
  /** Index i holds position i + 1. */
  readonly #all: RecordedEvent[] = [];
  readonly #streams = new Map<string, RecordedEvent[]>();
  readonly #ids = new Map<string, Stored>();
  readonly #subscriptions = new LocalSubscriptions((after, limit) => {
    this.#assertOpen();
    return this.#all.slice(after, after + limit);
  });
  #closed = false;

  appendToStream(streamId: string, events: readonly EventData[], options?: Readonly<{ expectedRevision?: ExpectedRevision }>): Promise<AppendResult> {
    return settle(() => this.#append(streamId, events, options?.expectedRevision ?? 'any'));
  }

  #append(rawStreamId: string, rawEvents: readonly EventData[], rawExpected: ExpectedRevision): AppendResult {
    this.#assertOpen();
    const { streamId, expected, events } = prepareAppend(rawStreamId, rawEvents, rawExpected);
    const stream = this.#streams.get(streamId);
    const actual = stream === undefined ? -1 : stream.length - 1;

    const found: (StoredEventRef | undefined)[] = [];
    let anyFound = false;
    for (const e of events) {
      const s = this.#ids.get(e.id);
      anyFound ||= s !== undefined;
      found.push(s === undefined ? undefined : { streamId: s.event.streamId, revision: s.event.revision, position: s.event.position, expected: s.expected });
    }
    // Same precedence as the sqlite store: a retry (its first id stored) is classified even though the revision
    // moved on; otherwise the revision check comes first and only an append that passes it meets stored ids.
    if (found[0] !== undefined) return classifyExistingIds(streamId, expected, events, found);
    checkExpectedRevision(streamId, expected, actual);
    if (anyFound) return classifyExistingIds(streamId, expected, events, found);
    if (events.length === 0) return { nextRevision: actual, position: stream?.at(-1)?.position ?? 0 };

    const target = stream ?? [];
    const code = encodeExpected(expected);
    for (const e of events) {
      const recorded: RecordedEvent = Object.freeze({
        id: e.id,
        type: e.type,
        data: deepFreeze(JSON.parse(e.data) as JsonValue),
        metadata: deepFreeze(JSON.parse(e.metadata) as JsonObject),
        streamId,
        revision: target.length,
        position: this.#all.length + 1,
      });
      target.push(recorded);
      this.#all.push(recorded);
      this.#ids.set(e.id, { event: recorded, expected: code });
    }
    if (stream === undefined) this.#streams.set(streamId, target);
    this.#subscriptions.notify();
    const last = target[target.length - 1] as RecordedEvent;
    return { nextRevision: last.revision, position: last.position };
  }

  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent> {
    return pagedIterable(() => {
      this.#assertOpen();
      validateStreamId(streamId);
      const { fromRevision, backwards, maxCount } = validateReadStreamOptions(options);
      const stream = this.#streams.get(streamId) ?? [];
      let done = false;
      // One page: a stream's events never change once written, and the copy keeps later appends out of this read.
      return () => {
        this.#assertOpen();
        if (done) return undefined;
        done = true;
        if (!backwards) {
          const from = fromRevision ?? 0;
          return stream.slice(from, Math.min(stream.length, from + maxCount));
        }
        const from = Math.min(fromRevision ?? stream.length - 1, stream.length - 1);
        return stream.slice(Math.max(0, from + 1 - maxCount), from + 1).reverse();
      };
    });
  }

  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent> {
    return pagedIterable(() => {
      this.#assertOpen();
      const { fromPosition, maxCount } = validateReadAllOptions(options);
      let next = Math.max(fromPosition, 1) - 1;
      let remaining = maxCount;
      return () => {
        this.#assertOpen();
        const page = this.#all.slice(next, next + Math.min(remaining, PAGE_SIZE));
        next += page.length;
        remaining -= page.length;
        return page;
      };
    });
  }

  subscribeToAll(options: SubscribeOptions, handler: SubscriptionHandler): Subscription {
    this.#assertOpen();
    return this.#subscriptions.subscribe(options, handler);
  }

  streamRevision(streamId: string): Promise<number> {
    return settle(() => {
      this.#assertOpen();
      validateStreamId(streamId);
      return (this.#streams.get(streamId)?.length ?? 0) - 1;
    });
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#subscriptions.closeAll(storeClosedError(this.url));
    }
    return Promise.resolve();
  }

  #assertOpen(): void {
    if (this.#closed) throw storeClosedError(this.url);
  }
}
