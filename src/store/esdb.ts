/**
 * EventStore on EventStoreDB / KurrentDB (@eventstore/db-client 6.2), for deployments that outgrow one machine.
 *
 * Mapping (pure functions below, unit-tested without a server):
 * - expected revisions: 'no-stream' -> NO_STREAM, 'exists' -> STREAM_EXISTS, 'any' -> ANY, n -> BigInt(n);
 * - positions: an event's `$all` commit position, as a number (refused beyond 2^53, which no real log reaches).
 *   Read positions are sent as `{ commit: p, prepare: p }`, which is exact for events written through the gRPC
 *   API (each has its own record). Only positions of events are valid read positions on this server: read after
 *   a checkpoint with `afterPosition`, never with `fromPosition: checkpoint + 1`;
 * - event ids go to the server unchanged (the engine derives them from command ids), so the server's own
 *   idempotency recognises a retried append; data and metadata are JSON events;
 * - every driver error goes through `translateEsdbError`: wrong expected version -> `WrongExpectedVersion`,
 *   an unreachable or failing server -> `StoreUnavailable` naming the URL without credentials.
 *
 * Differences from the memory and sqlite stores (EventStoreDB's own semantics, documented in the README):
 * - event ids are deduplicated per stream at the positions a retry names; the server keeps no global id index, so
 *   reusing ids in another stream is not detected (`DuplicateEventId` is raised only for ids repeated in one append);
 * - `readAll` and `subscribeToAll` skip system events (`$`-prefixed types and streams) and non-JSON events;
 * - `readStream` positions come from the server; servers that do not report positions on stream reads give 0.
 */
import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  excludeSystemEvents,
  jsonEvent,
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type AppendResult as EsdbAppendResult,
  type AppendToStreamOptions,
  type EventData as EsdbEventData,
  type JSONType,
  type Position,
  type ReadAllOptions as EsdbReadAllOptions,
  type ReadPosition,
  type ReadStreamOptions as EsdbReadStreamOptions,
  type ResolvedEvent,
  type SubscribeToAllOptions,
} from '@eventstore/db-client';
import { ClusterchartError, isClusterchartError } from '../domain/errors.js';
import {
  checkExpectedRevision,
  esdbConnectionString,
  prepareAppend,
  redactUrl,
  storeClosedError,
  validateCheckpoint,
  validateReadAllOptions,
  validateReadStreamOptions,
  validateStreamId,
  wrongExpectedVersion,
} from './common.js';
import type { AppendResult, EventData, EventStore, ExpectedRevision, JsonObject, JsonValue, ReadAllOptions, ReadStreamOptions, RecordedEvent, SubscribeOptions, Subscription, SubscriptionHandler } from './event-store.js';

/** The part of the 6.2 client this adapter uses; the real client satisfies it, tests pass a fake. */
export interface EsdbClient {
  appendToStream(streamName: string, events: EsdbEventData[], options?: AppendToStreamOptions): Promise<EsdbAppendResult>;
  readStream(streamName: string, options?: EsdbReadStreamOptions): AsyncIterable<ResolvedEvent>;
  readAll(options?: EsdbReadAllOptions): AsyncIterable<AllStreamResolvedEvent>;
  subscribeToAll(options?: SubscribeToAllOptions): AsyncIterable<AllStreamResolvedEvent> & { unsubscribe(): Promise<void> };
  dispose(): Promise<void>;
}

export type EsdbStoreOptions = Readonly<{
  /** A client to use instead of one built from the URL (tests). The store disposes it on close. */
  client?: EsdbClient;
  /** Read one event on open so an unreachable server fails `openEsdbStore` instead of the first call. Default true. */
  probe?: boolean;
}>;

/**
 * Connects to EventStoreDB / KurrentDB. The URL is a client connection string (`esdb://`, `esdb+discover://`;
 * `kurrentdb://` and `kurrentdb+discover://` are accepted as aliases).
 *
 * @example
 * const store = await openEsdbStore('esdb://admin:changeit@localhost:2113?tls=false');
 */
export async function openEsdbStore(url: string, options: EsdbStoreOptions = {}): Promise<EventStore> {
  const safeUrl = redactUrl(url);
  const connectionString = esdbConnectionString(url);
  if (connectionString === undefined) {
    throw new ClusterchartError('InvalidInput', `"${safeUrl}" is not an EventStoreDB / KurrentDB URL: write esdb://host:2113?tls=false (or kurrentdb://, esdb+discover://).`, { url: safeUrl });
  }
  let client: EsdbClient;
  try {
    client = options.client ?? EventStoreDBClient.connectionString(connectionString);
  } catch (error) {
    throw new ClusterchartError('InvalidInput', `Cannot parse the EventStoreDB connection string ${safeUrl}: ${redactUrl(String((error as Error).message))}`, { url: safeUrl }, { cause: error });
  }
  const store = new EsdbStore(client, safeUrl);
  if (options.probe ?? true) {
    try {
      for await (const _ of client.readAll({ maxCount: 1, direction: BACKWARDS, fromPosition: END })) break;
    } catch (error) {
      await client.dispose().catch(() => undefined);
      throw translateEsdbError(error, { url: safeUrl, operation: 'connect' });
    }
  }
  return store;
}

class EsdbStore implements EventStore {
  readonly #client: EsdbClient;
  readonly #subscriptions = new Set<EsdbSubscription>();
  #closed = false;

  constructor(
    client: EsdbClient,
    readonly url: string,
  ) {
    this.#client = client;
  }

  async appendToStream(rawStreamId: string, rawEvents: readonly EventData[], options?: Readonly<{ expectedRevision?: ExpectedRevision }>): Promise<AppendResult> {
    this.#assertOpen();
    const { streamId, expected } = prepareAppend(rawStreamId, rawEvents, options?.expectedRevision ?? 'any');
    if (rawEvents.length === 0) {
      // The server has no "check only" append; nothing is written, so a read is as good as the server's check.
      const last = await this.#lastEvent(streamId);
      checkExpectedRevision(streamId, expected, last?.revision ?? -1);
      return { nextRevision: last?.revision ?? -1, position: last?.position ?? 0 };
    }
    const events = rawEvents.map((e) => jsonEvent({ id: e.id, type: e.type, data: e.data as JSONType, metadata: e.metadata }));
    let result: EsdbAppendResult;
    try {
      result = await this.#client.appendToStream(streamId, events, { expectedRevision: toEsdbExpectedRevision(expected) });
    } catch (error) {
      throw translateEsdbError(error, { url: this.url, operation: 'append', stream: streamId, expected });
    }
    const appended = fromEsdbAppendResult(result, streamId, this.url);
    if (appended.position !== 0) return appended;
    // Servers may answer an idempotent retry without a position; the stored event still has one.
    const last = await this.#eventAt(streamId, appended.nextRevision);
    return { nextRevision: appended.nextRevision, position: last?.position ?? 0 };
  }

  async #eventAt(streamId: string, revision: number): Promise<RecordedEvent | undefined> {
    for await (const event of this.readStream(streamId, { fromRevision: revision, maxCount: 1 })) return event;
    return undefined;
  }

  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent> {
    return this.#iterate(async function* (store: EsdbStore) {
      validateStreamId(streamId);
      const { fromRevision, backwards, maxCount } = validateReadStreamOptions(options);
      if (maxCount === 0) return;
      const read = store.#client.readStream(streamId, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision: fromRevision === undefined ? (backwards ? END : START) : BigInt(fromRevision),
        ...(Number.isFinite(maxCount) ? { maxCount } : {}),
      });
      try {
        for await (const resolved of read) {
          store.#assertOpen();
          const event = toRecordedEvent(resolved, 'stream');
          if (event !== undefined) yield event;
        }
      } catch (error) {
        if (isStreamNotFound(error)) return;
        throw error;
      }
    }, { operation: 'read', stream: streamId });
  }

  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent> {
    return this.#iterate(async function* (store: EsdbStore) {
      const { fromPosition, exclusive, maxCount } = validateReadAllOptions(options);
      if (maxCount === 0) return;
      let count = 0;
      // An exclusive read starts at the checkpoint event itself (a valid server position) and skips it below.
      const start = toEsdbReadPosition(exclusive ? fromPosition - 1 : fromPosition);
      // System and foreign events are skipped client-side, so the server-side maxCount cannot be used.
      for await (const resolved of store.#client.readAll({ direction: FORWARDS, fromPosition: start })) {
        store.#assertOpen();
        const event = toRecordedEvent(resolved, 'all');
        if (event === undefined || event.position < fromPosition) continue;
        yield event;
        if (++count >= maxCount) return;
      }
    }, { operation: 'read' });
  }

  subscribeToAll(options: SubscribeOptions, handler: SubscriptionHandler): Subscription {
    this.#assertOpen();
    const checkpoint = validateCheckpoint(options.fromPosition);
    if (typeof handler !== 'function') throw new ClusterchartError('InvalidInput', 'subscribeToAll needs a handler function.', {});
    const source = this.#client.subscribeToAll({
      // The server's subscription start is exclusive, like our checkpoint.
      fromPosition: checkpoint === 0 ? START : toEsdbPosition(checkpoint),
      filter: excludeSystemEvents(),
    });
    const subscription = new EsdbSubscription(source, checkpoint, handler, this.url, () => this.#subscriptions.delete(subscription));
    this.#subscriptions.add(subscription);
    return subscription;
  }

  async streamRevision(streamId: string): Promise<number> {
    this.#assertOpen();
    validateStreamId(streamId);
    return (await this.#lastEvent(streamId))?.revision ?? -1;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const error = storeClosedError(this.url);
    await Promise.all([...this.#subscriptions].map((s) => s.fail(error)));
    await this.#client.dispose().catch(() => undefined);
  }

  async #lastEvent(streamId: string): Promise<RecordedEvent | undefined> {
    for await (const event of this.readStream(streamId, { direction: 'backwards', maxCount: 1 })) return event;
    return undefined;
  }

  /** Runs a read generator with the closed check first and every driver error translated. */
  #iterate(read: (store: EsdbStore) => AsyncGenerator<RecordedEvent>, context: Omit<EsdbErrorContext, 'url'>): AsyncIterable<RecordedEvent> {
    const url = this.url;
    return {
      [Symbol.asyncIterator]: () => {
        this.#assertOpen();
        const inner = read(this);
        return {
          next: () => inner.next().catch((error: unknown) => Promise.reject(translateEsdbError(error, { url, ...context }))),
          return: () => inner.return(undefined),
        };
      },
    };
  }

  #assertOpen(): void {
    if (this.#closed) throw storeClosedError(this.url);
  }
}

/** Delivers a server subscription to the handler one event at a time; `done` settles when it ends. */
class EsdbSubscription implements Subscription {
  readonly done: Promise<void>;
  #stopped = false;
  #failure: Error | undefined;

  constructor(
    private readonly source: AsyncIterable<AllStreamResolvedEvent> & { unsubscribe(): Promise<void> },
    private readonly checkpoint: number,
    private readonly handler: SubscriptionHandler,
    private readonly url: string,
    private readonly onEnd: () => void,
  ) {
    this.done = Promise.resolve().then(() => this.#run());
    this.done.catch(() => undefined);
  }

  async #run(): Promise<void> {
    try {
      for await (const resolved of this.source) {
        if (this.#stopped) break;
        const event = toRecordedEvent(resolved, 'all');
        // The server starts after the checkpoint; the guard keeps a resumed subscription exact even so.
        if (event === undefined || event.position <= this.checkpoint) continue;
        try {
          await this.handler(event);
        } catch (error) {
          this.#failure ??= error instanceof Error ? error : new Error(String(error));
          break;
        }
        if (this.#stopped) break;
      }
    } catch (error) {
      if (!this.#stopped) this.#failure ??= translateEsdbError(error, { url: this.url, operation: 'subscribe' });
    } finally {
      this.#stopped = true;
      await this.source.unsubscribe().catch(() => undefined);
      this.onEnd();
    }
    if (this.#failure !== undefined) throw this.#failure;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.source.unsubscribe().catch(() => undefined);
    await this.done.catch(() => undefined);
  }

  async fail(error: Error): Promise<void> {
    if (!this.#stopped) this.#failure ??= error;
    await this.stop();
  }
}

// ---- mapping (pure) ----

export function toEsdbExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'no-stream':
      return NO_STREAM;
    case 'exists':
      return STREAM_EXISTS;
    case 'any':
      return ANY;
    default:
      return BigInt(expected);
  }
}

/** A server position as our number. Throws `StoreUnavailable` beyond 2^53 (a log of over 9 PB). */
export function fromEsdbPosition(position: Position | undefined): number {
  if (position === undefined) return 0;
  const commit = position.commit;
  if (commit < 0n || commit > BigInt(Number.MAX_SAFE_INTEGER)) {
    // 2^64 - 1 is how servers say "no position" on stream reads.
    if (commit === 0xffffffffffffffffn) return 0;
    throw new ClusterchartError('StoreUnavailable', `EventStoreDB returned commit position ${commit}, beyond the 2^53 clusterchart can represent.`, { position: commit.toString() });
  }
  return Number(commit);
}

export function toEsdbPosition(position: number): Position {
  return { commit: BigInt(position), prepare: BigInt(position) };
}

/** Where a forward read from our inclusive `fromPosition` starts on the server. */
export function toEsdbReadPosition(fromPosition: number): ReadPosition {
  return fromPosition <= 1 ? START : toEsdbPosition(fromPosition);
}

export function fromEsdbAppendResult(result: EsdbAppendResult, streamId: string, url: string): AppendResult {
  if (!result.success) {
    throw new ClusterchartError('StoreUnavailable', `EventStoreDB at ${url} reported a failed append to stream "${streamId}" without an error.`, { url, stream: streamId });
  }
  return { nextRevision: Number(result.nextExpectedRevision), position: fromEsdbPosition(result.position) };
}

/**
 * A server event as a RecordedEvent, or undefined for what clusterchart does not read: links without their
 * event, system events (`$` streams or types) and, in `$all`, non-JSON events of other applications. A non-JSON
 * event in a stream clusterchart reads is `HistoryInvalid`.
 */
export function toRecordedEvent(resolved: ResolvedEvent | AllStreamResolvedEvent, source: 'stream' | 'all'): RecordedEvent | undefined {
  const e = resolved.event;
  if (e === undefined) return undefined;
  if (e.streamId.startsWith('$') || e.type.startsWith('$')) return undefined;
  if (!e.isJson) {
    if (source === 'all') return undefined;
    throw new ClusterchartError('HistoryInvalid', `Event ${e.id} (${e.type}) in stream "${e.streamId}" is not JSON; clusterchart streams hold JSON events only.`, { stream: e.streamId, eventId: e.id });
  }
  const metadata = e.metadata;
  return {
    id: e.id,
    type: e.type,
    data: e.data as JsonValue,
    metadata: metadata !== null && typeof metadata === 'object' && !(metadata instanceof Uint8Array) && !Array.isArray(metadata) ? (metadata as JsonObject) : {},
    streamId: e.streamId,
    revision: Number(e.revision),
    position: fromEsdbPosition(e.position),
  };
}

export type EsdbErrorContext = Readonly<{
  url: string;
  operation: 'connect' | 'append' | 'read' | 'subscribe';
  stream?: string;
  expected?: ExpectedRevision;
}>;

/** gRPC status codes that mean "the server cannot be reached or did not answer in time". */
const UNREACHABLE_GRPC_CODES = new Set([1, 4, 10, 14]);

/** The one translation of driver errors into clusterchart errors (docs/ARCHITECTURE.md, "Conventions"). */
export function translateEsdbError(error: unknown, context: EsdbErrorContext): Error {
  if (isClusterchartError(error)) return error;
  const where = context.stream === undefined ? '' : ` on stream "${context.stream}"`;
  const message = redactUrl(error instanceof Error ? error.message : String(error));
  const type = (error as { type?: unknown } | null)?.type;
  const grpcCode = (error as { code?: unknown } | null)?.code;
  if (type === 'wrong-expected-version') {
    const e = error as { streamName?: string; actualVersion?: bigint | string };
    return wrongExpectedVersion(context.stream ?? e.streamName ?? '', context.expected ?? 'any', typeof e.actualVersion === 'bigint' ? Number(e.actualVersion) : -1);
  }
  if (type === 'maximum-append-size-exceeded') {
    return new ClusterchartError('InvalidInput', `EventStoreDB at ${context.url} refused an append${where}: it exceeds the server's maximum append size (${message}). Append fewer or smaller events.`, { url: context.url, ...(context.stream === undefined ? {} : { stream: context.stream }) }, { cause: error });
  }
  if (type === 'access-denied') {
    return new ClusterchartError('StoreUnavailable', `EventStoreDB at ${context.url} denied the ${context.operation}${where}: check the user and password in the connection string and the user's permissions (reading $all needs admin or ops).`, { url: context.url }, { cause: error });
  }
  const unreachable = type === 'unavailable' || type === 'deadline-exceeded' || type === 'timeout' || type === 'cancelled' || type === 'not-leader' || (typeof grpcCode === 'number' && UNREACHABLE_GRPC_CODES.has(grpcCode));
  const hint = unreachable ? 'the server is unreachable or did not answer in time; check that it runs, the host and port, and the tls setting' : 'the server refused the request';
  return new ClusterchartError('StoreUnavailable', `EventStoreDB at ${context.url}: ${context.operation}${where} failed: ${hint} (${message}).`, { url: context.url, operation: context.operation }, { cause: error });
}

function isStreamNotFound(error: unknown): boolean {
  return (error as { type?: unknown } | null)?.type === 'stream-not-found';
}
