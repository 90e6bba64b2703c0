/**
 * The one contract every event store adapter implements (docs/ARCHITECTURE.md, EventStoreDB semantics).
 *
 * Guarantees every adapter gives (proved by the conformance suite in test/store/):
 * - an append is atomic: all of its events are stored at consecutive revisions, or none is;
 * - revisions of a stream are dense, starting at 0; global positions are strictly increasing (not dense);
 * - `expectedRevision` is checked in the same transaction as the insert; a mismatch throws `WrongExpectedVersion`
 *   (a ClusterchartError with context `{ stream, expected, actual }`; `actual` is -1 for a missing stream);
 * - event ids are unique in the store. Re-appending the same ids at the same revisions with the same
 *   `expectedRevision` they were first written with is acknowledged as already committed and writes nothing
 *   (the retry of a lost response); the same ids anywhere else throw `DuplicateEventId`.
 */

/** JSON values only: stores serialise with JSON and refuse anything else (`NotSerializable`). */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };
export type JsonObject = { readonly [key: string]: JsonValue };

/** `'no-stream'`: the stream must not exist; `'exists'`: it must; `'any'`: no check; a number: its last revision. */
export type ExpectedRevision = 'no-stream' | 'any' | 'exists' | number;

export type EventData = Readonly<{
  /** Unique id (UUID-shaped); derive it from the command id so retries deduplicate. */
  id: string;
  type: string;
  data: JsonValue;
  metadata: JsonObject;
}>;

export type RecordedEvent = EventData &
  Readonly<{
    streamId: string;
    /** 0-based, dense per stream. */
    revision: number;
    /** Global order across streams, >= 1, strictly increasing. */
    position: number;
  }>;

export type AppendResult = Readonly<{
  /** Revision of the last event of the stream after the append (EventStoreDB's `nextExpectedRevision`). */
  nextRevision: number;
  /** Position of the last event appended (or of the already-committed one for an idempotent retry). */
  position: number;
}>;

export type ReadStreamOptions = Readonly<{
  /** Inclusive; default: 0 forwards, the last revision backwards. */
  fromRevision?: number;
  direction?: 'forwards' | 'backwards';
  maxCount?: number;
}>;

export type ReadAllOptions = Readonly<{
  /** Inclusive; default: the first event. */
  fromPosition?: number;
  /**
   * Exclusive: the position of the last event already read (a checkpoint); the read starts after it. Use this
   * rather than `fromPosition: checkpoint + 1`: on EventStoreDB only positions of events are valid read positions.
   * At most one of `fromPosition` and `afterPosition`.
   */
  afterPosition?: number;
  maxCount?: number;
}>;

export type SubscribeOptions = Readonly<{
  /** Exclusive: the position of the last event already processed (a checkpoint). Default: from the start. */
  fromPosition?: number;
}>;

/** Handler of a subscription. Events arrive one at a time in position order; the next waits for the promise. */
export type SubscriptionHandler = (event: RecordedEvent) => void | Promise<void>;

export interface Subscription {
  /** Stops delivery; resolves once no handler call is running. Idempotent. */
  stop(): Promise<void>;
  /** Resolves when the subscription ends (after `stop`), rejects if it failed (the handler threw, the store closed). */
  readonly done: Promise<void>;
}

/**
 * What one append may hold on a store whose server bounds its requests (etcd: operations per transaction and bytes
 * per request). An append over either limit is refused with `AppendTooLarge` (context: `limit`, `max`, `actual`)
 * and writes nothing; writers that batch (the engine's group commit) split their batches to fit.
 */
export type StoreLimits = Readonly<{
  /** Most events in one `appendToStream` call. */
  maxEventsPerAppend: number;
  /** Most bytes in one `appendToStream` call, counted as `appendSize` counts them. */
  maxBytesPerAppend: number;
}>;

/**
 * The size of an append as `StoreLimits.maxBytesPerAppend` counts it: for every event, the UTF-8 bytes of its id,
 * its type, `JSON.stringify(data)` and `JSON.stringify(metadata)`.
 */
export function appendSize(events: readonly EventData[]): number {
  let bytes = 0;
  for (const e of events) {
    bytes += Buffer.byteLength(e.id) + Buffer.byteLength(e.type) + Buffer.byteLength(JSON.stringify(e.data) ?? '') + Buffer.byteLength(JSON.stringify(e.metadata) ?? '');
  }
  return bytes;
}

export interface EventStore {
  /** The URL the store was opened from, with any credentials removed (safe to log). */
  readonly url: string;
  /** The store's limits per append; absent: unbounded (memory, sqlite). */
  readonly limits?: StoreLimits;
  appendToStream(streamId: string, events: readonly EventData[], options?: Readonly<{ expectedRevision?: ExpectedRevision }>): Promise<AppendResult>;
  /** Events of one stream; a missing stream yields nothing. */
  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent>;
  /** Every event in global order. */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  /** Catch-up from `fromPosition`, then live; no gap, no duplicate. */
  subscribeToAll(options: SubscribeOptions, handler: SubscriptionHandler): Subscription;
  /** Last revision of a stream, or -1 when it does not exist. */
  streamRevision(streamId: string): Promise<number>;
  close(): Promise<void>;
}
