/**
 * EventStore on an etcd v3 cluster (npm `etcd3`, loaded on first use): a multi-host store on the Raft-replicated
 * key-value store Kubernetes' control plane runs on. Key layout and positions: layout.ts.
 *
 * Mapping of the contract:
 * - an append is ONE transaction: compare the stream head (missing for 'no-stream', its value for a number, its mod
 *   revision as read for 'any' / 'exists') and the version of every event id's index key (0: not stored), then put
 *   every event, every id-index key and the new head. Its failure branch reads the head and the id keys, so a
 *   refused append is classified from the same snapshot: the retry of a committed append (acknowledged with the
 *   original result, nothing written), `DuplicateEventId`, or `WrongExpectedVersion`. 'any' / 'exists' retry the
 *   transaction when only the head moved;
 * - revisions are dense (the head is compared, so event keys are written exactly at head + 1...);
 * - positions: `createRevision * 1024 + index` (layout.ts); `readAll` pages by create revision. etcd evaluates
 *   that filter (and the sort) over every event key of the prefix for each page, so a catch-up read costs the
 *   store's size per page on the server; live subscriptions follow a watch and do not scan;
 * - limits: `2n + 1` puts must fit `--max-txn-ops` (default 128: 63 events) and the request `--max-request-bytes`
 *   (default 1.5 MiB); larger appends are refused with `AppendTooLarge` before anything is sent;
 * - every client error goes through `translateEtcdError` (errors.ts); every unary call has a deadline, and the
 *   client retries a failed call on another member, which is safe for appends because of the retry rule above.
 */
import { ClusterchartError } from '../../domain/errors.js';
import {
  checkExpectedRevision,
  classifyExistingIds,
  deepFreeze,
  encodeExpected,
  prepareAppend,
  storeClosedError,
  validateReadAllOptions,
  validateReadStreamOptions,
  validateStreamId,
  type SerializedEvent,
  type StoredEventRef,
} from '../common.js';
import type {
  AppendResult,
  EventData,
  EventStore,
  ExpectedRevision,
  JsonObject,
  JsonValue,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StoreLimits,
  SubscribeOptions,
  Subscription,
  SubscriptionHandler,
} from '../event-store.js';
import type { Etcd3, ICompare, IKeyValue, IRangeRequest, IRangeResponse, IRequestOp } from 'etcd3';
import { translateEtcdError } from './errors.js';
import { Keys, byteLength, encodeEvent, encodeIdRef, etcdLimits, parseEtcdUrl, revisionOf, toPosition, type EncodedEvent, type EtcdLocation, type IdRef } from './layout.js';
import { EtcdSubscription } from './subscription.js';

/** Events per read page (each page is one range request). */
const PAGE_SIZE = 256;
/** How often an 'any' / 'exists' append retries when other writers keep moving the head. */
const MAX_HEAD_RACES = 50;
/** `close()` waits at most this long for watches to end. */
const CLOSE_TIMEOUT_MS = 2000;

export type EtcdStoreOptions = Readonly<{
  /** Check on open that the cluster answers (one read), so a wrong URL fails `openEtcdStore`. Default true. */
  probe?: boolean;
}>;

/**
 * A page of `readAll`: its events, the etcd revision it was read at, whether more events follow, and the position
 * the next page starts after (the last event's, or the end of the transactions the page skipped).
 */
export type AllPage = Readonly<{ events: readonly RecordedEvent[]; revision: number; more: boolean; after: number }>;

/**
 * Connects to an etcd cluster: `etcd://[user:password@]host:2379[,host:2379...]/prefix`. Every key lives under the
 * prefix, so several clusterchart stores can share one etcd cluster.
 *
 * @example
 * const store = await openEtcdStore('etcd://10.0.0.1:2379,10.0.0.2:2379,10.0.0.3:2379/clusterchart');
 */
export async function openEtcdStore(url: string, options: EtcdStoreOptions = {}): Promise<EventStore> {
  const location = parseEtcdUrl(url);
  const client = await createClient(location);
  const store = new EtcdStore(client, location);
  if (options.probe ?? true) {
    try {
      await store.streamRevision('$probe');
    } catch (error) {
      await store.close();
      throw error;
    }
  }
  return store;
}

async function createClient(location: EtcdLocation): Promise<Etcd3> {
  let Client: typeof Etcd3;
  try {
    const module = (await import('etcd3')) as { Etcd3?: typeof Etcd3; default?: { Etcd3?: typeof Etcd3 } };
    const found = module.Etcd3 ?? module.default?.Etcd3;
    if (found === undefined) throw new Error('the etcd3 module has no Etcd3 export');
    Client = found;
  } catch (error) {
    throw new ClusterchartError(
      'StoreUnavailable',
      `The etcd store needs the optional npm package etcd3, which could not be loaded (${(error as Error).message}). Install it next to clusterchart: npm install etcd3@~1.1.2`,
      { url: location.safeUrl, dependency: 'etcd3' },
      { cause: error },
    );
  }
  const timeout = location.callTimeoutMs;
  return new Client({
    hosts: [...location.hosts],
    ...(location.auth === undefined ? {} : { auth: { username: location.auth.username, password: location.auth.password } }),
    // A fresh deadline per attempt for unary calls; watches are long-lived streams and get none.
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + timeout }),
    grpcOptions: {
      // Events up to the request limit, pages of many: no response cap below what a page can hold.
      'grpc.max_receive_message_length': -1,
      // Detects a member that stopped answering (SIGSTOP, partition) under a watch stream: a ping every 5 s
      // (the most etcd accepts by default) unanswered within the call timeout breaks the connection.
      'grpc.keepalive_time_ms': 5_000,
      'grpc.keepalive_timeout_ms': timeout,
    },
  });
}

class EtcdStore implements EventStore {
  readonly url: string;
  readonly limits: StoreLimits;
  readonly #client: Etcd3;
  readonly #keys: Keys;
  readonly #subscriptions = new Set<EtcdSubscription>();
  #closed = false;

  constructor(client: Etcd3, location: EtcdLocation) {
    this.#client = client;
    this.url = location.safeUrl;
    this.limits = Object.freeze(etcdLimits(location));
    this.#keys = new Keys(location.prefix);
  }

  async appendToStream(rawStreamId: string, rawEvents: readonly EventData[], options?: Readonly<{ expectedRevision?: ExpectedRevision }>): Promise<AppendResult> {
    this.#assertOpen();
    const { streamId, expected, events } = prepareAppend(rawStreamId, rawEvents, options?.expectedRevision ?? 'any');
    this.#checkLimits(streamId, events);
    try {
      if (events.length === 0) return await this.#emptyAppend(streamId, expected);
      return await this.#append(streamId, expected, events);
    } catch (error) {
      throw translateEtcdError(error, { url: this.url, operation: 'append', stream: streamId });
    }
  }

  #checkLimits(streamId: string, events: readonly SerializedEvent[]): void {
    const { maxEventsPerAppend, maxBytesPerAppend } = this.limits;
    const refuse = (limit: string, max: number, actual: number, what: string): never => {
      throw new ClusterchartError(
        'AppendTooLarge',
        `Append to stream "${streamId}" refused: ${actual} ${what}, over the store's ${limit} of ${max} (${this.url}). Split it into several appends.`,
        { stream: streamId, limit, max, actual },
      );
    };
    if (events.length > maxEventsPerAppend) refuse('maxEventsPerAppend', maxEventsPerAppend, events.length, 'events');
    let bytes = 0;
    for (const e of events) bytes += byteLength(e.id) + byteLength(e.type) + byteLength(e.data) + byteLength(e.metadata);
    if (bytes > maxBytesPerAppend) refuse('maxBytesPerAppend', maxBytesPerAppend, bytes, 'bytes');
  }

  async #emptyAppend(streamId: string, expected: ExpectedRevision): Promise<AppendResult> {
    const head = await this.#readHead(streamId);
    checkExpectedRevision(streamId, expected, head.revision);
    if (head.revision === -1) return { nextRevision: -1, position: 0 };
    const last = await this.#range({ key: this.#keys.event(streamId, head.revision) });
    const kv = last.kvs[0];
    return { nextRevision: head.revision, position: kv === undefined ? 0 : this.#decode(kv).position };
  }

  async #append(streamId: string, expected: ExpectedRevision, events: readonly SerializedEvent[]): Promise<AppendResult> {
    const keys = this.#keys;
    const headKey = keys.head(streamId);
    const idKeys = events.map((e) => keys.id(e.id));
    const code = encodeExpected(expected);
    // What the head must be, and the revision the events follow. 'any' / 'exists' start from the head as read.
    let observed: { revision: number; modRevision: string } | undefined =
      expected === 'any' || expected === 'exists' ? await this.#readHead(streamId) : undefined;
    for (let race = 0; ; race++) {
      let base: number;
      let headCompare: ICompare;
      if (expected === 'no-stream') {
        base = -1;
        headCompare = { key: headKey, target: 'Version', result: 'Equal', version: 0 };
      } else if (typeof expected === 'number') {
        base = expected;
        headCompare = { key: headKey, target: 'Value', result: 'Equal', value: Buffer.from(String(expected)) };
      } else {
        const head = observed ?? { revision: -1, modRevision: '0' };
        if (expected === 'exists' && head.revision === -1) {
          // A compare that cannot hold: the failure branch reads the head and the ids, classified below (a retry
          // of a committed append, a stream created meanwhile, or WrongExpectedVersion).
          base = -1;
          headCompare = { key: headKey, target: 'Version', result: 'Less', version: 0 };
        } else {
          base = head.revision;
          headCompare =
            head.revision === -1 ? { key: headKey, target: 'Version', result: 'Equal', version: 0 } : { key: headKey, target: 'Mod', result: 'Equal', mod_revision: head.modRevision };
        }
      }
      const success: IRequestOp[] = [];
      events.forEach((e, i) => {
        const revision = base + 1 + i;
        success.push({ request_put: { key: keys.event(streamId, revision), value: Buffer.from(encodeEvent(i, code, e)) } });
        const ref: IdRef = { s: streamId, r: revision, i, x: code };
        success.push({ request_put: { key: idKeys[i]!, value: Buffer.from(encodeIdRef(ref)) } });
      });
      success.push({ request_put: { key: headKey, value: Buffer.from(String(base + events.length)) } });
      const failure: IRequestOp[] = [{ request_range: { key: headKey } }, ...idKeys.map((key) => ({ request_range: { key } }))];
      const compare: ICompare[] = [headCompare, ...idKeys.map((key): ICompare => ({ key, target: 'Version', result: 'Equal', version: 0 }))];

      const response = await this.#client.kv.txn({ compare, success, failure });
      const revision = Number(response.header.revision);
      if (response.succeeded) {
        return { nextRevision: base + events.length, position: toPosition(revision, events.length - 1, this.url) };
      }
      // Refused: classify from the failure branch's reads (one snapshot, the transaction's revision).
      const ranges = response.responses.map((r) => r.response_range);
      const headKv = ranges[0]?.kvs[0];
      const actual = headKv === undefined ? -1 : Number(headKv.value.toString());
      const found: (StoredEventRef | undefined)[] = ranges.slice(1).map((r) => {
        const kv = r?.kvs[0];
        if (kv === undefined) return undefined;
        const ref = JSON.parse(kv.value.toString()) as IdRef;
        return { streamId: ref.s, revision: ref.r, position: toPosition(Number(kv.create_revision), ref.i, this.url), expected: ref.x };
      });
      // Same precedence as the other stores: a retry (its first id stored) is classified even though the head
      // moved on; otherwise the revision check comes first and only an append that passes it meets stored ids.
      if (found[0] !== undefined) return classifyExistingIds(streamId, expected, events, found);
      checkExpectedRevision(streamId, expected, actual);
      if (found.some((f) => f !== undefined)) return classifyExistingIds(streamId, expected, events, found);
      // Only 'any' / 'exists' get here: the head moved between the read and the transaction. Try again from it.
      if (race >= MAX_HEAD_RACES) {
        throw new ClusterchartError(
          'StoreUnavailable',
          `Append to stream "${streamId}" on ${this.url} gave up after ${MAX_HEAD_RACES} attempts: other writers kept appending to it. Nothing was written; retry.`,
          { stream: streamId, url: this.url },
        );
      }
      observed = headKv === undefined ? { revision: -1, modRevision: '0' } : { revision: actual, modRevision: headKv.mod_revision };
    }
  }

  async #readHead(streamId: string): Promise<{ revision: number; modRevision: string }> {
    const response = await this.#range({ key: this.#keys.head(streamId) });
    const kv = response.kvs[0];
    return kv === undefined ? { revision: -1, modRevision: '0' } : { revision: Number(kv.value.toString()), modRevision: kv.mod_revision };
  }

  #range(request: IRangeRequest): Promise<IRangeResponse> {
    return this.#client.kv.range(request);
  }

  /** An event from its key-value pair. */
  #decode(kv: IKeyValue): RecordedEvent {
    const where = this.#keys.parseEventKey(kv.key);
    if (where === undefined) throw new ClusterchartError('StoreCorrupt', `Key ${kv.key.toString()} in ${this.url} is not an event key.`, { url: this.url });
    let value: EncodedEvent;
    try {
      value = JSON.parse(kv.value.toString('utf8')) as EncodedEvent;
    } catch (error) {
      throw new ClusterchartError('StoreCorrupt', `Event ${where.revision} of stream "${where.streamId}" in ${this.url} is not valid JSON.`, { url: this.url, stream: where.streamId }, { cause: error });
    }
    return Object.freeze({
      id: value.id,
      type: value.type,
      data: deepFreeze(value.data as JsonValue),
      metadata: deepFreeze(value.metadata as JsonObject),
      streamId: where.streamId,
      revision: where.revision,
      position: toPosition(Number(kv.create_revision), value.i, this.url),
    });
  }

  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent> {
    return this.#paged('read', async function* (this: EtcdStore) {
      validateStreamId(streamId);
      const { fromRevision, backwards, maxCount } = validateReadStreamOptions(options);
      const { end } = this.#keys.streamRange(streamId);
      let remaining = maxCount;
      if (!backwards) {
        let from = this.#keys.event(streamId, fromRevision ?? 0);
        while (remaining > 0) {
          const page = await this.#range({ key: from, range_end: end, limit: Math.min(PAGE_SIZE, remaining) });
          for (const kv of page.kvs) yield this.#decode(kv);
          remaining -= page.kvs.length;
          const last = page.kvs.at(-1);
          if (!page.more || last === undefined) return;
          from = Buffer.concat([last.key, Buffer.from([0])]);
        }
        return;
      }
      // Backwards: revisions are dense, so each page is the exact key window below the previous one, read in key
      // order (no server-side sort, which would scan the whole stream) and reversed.
      const head = await this.#readHead(streamId);
      let top = Math.min(fromRevision ?? head.revision, head.revision);
      while (remaining > 0 && top >= 0) {
        const count = Math.min(PAGE_SIZE, remaining, top + 1);
        const page = await this.#range({ key: this.#keys.event(streamId, top - count + 1), range_end: this.#keys.event(streamId, top + 1) });
        const decoded = page.kvs.map((kv) => this.#decode(kv));
        for (let i = decoded.length - 1; i >= 0; i--) yield decoded[i]!;
        remaining -= count;
        top -= count;
      }
    });
  }

  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent> {
    return this.#paged('read', async function* (this: EtcdStore) {
      const { fromPosition, maxCount } = validateReadAllOptions(options);
      let after = fromPosition - 1;
      let remaining = maxCount;
      while (remaining > 0) {
        const page = await this.readAllPage(after, Math.min(PAGE_SIZE, remaining));
        for (const e of page.events) {
          if (remaining <= 0) return;
          yield e;
          remaining--;
        }
        if (!page.more) return;
        after = page.after;
      }
    });
  }

  /**
   * Up to about `limit` events after `afterPosition`, in position order, with the revision of the read. A page
   * never ends inside a transaction's events: etcd sorts by create revision without a tie order, so a page cut
   * inside one transaction could hold an arbitrary subset of its events; the cut transaction is read whole instead.
   */
  async readAllPage(afterPosition: number, limit: number): Promise<AllPage> {
    this.#assertOpen();
    const fromRevision = revisionOf(afterPosition + 1);
    const base: IRangeRequest = { key: this.#keys.eventsStart, range_end: this.#keys.eventsEnd, min_create_revision: fromRevision, sort_target: 'Create', sort_order: 'Ascend' };
    const response = await this.#range({ ...base, limit });
    let kvs = response.kvs;
    const last = kvs.at(-1);
    if (response.more && last !== undefined) {
      const cut = last.create_revision;
      const whole = kvs.filter((kv) => kv.create_revision !== cut);
      kvs = whole.length > 0 ? whole : (await this.#range({ ...base, min_create_revision: cut, max_create_revision: cut })).kvs;
    }
    const events = kvs
      .map((kv) => this.#decode(kv))
      .filter((e) => e.position > afterPosition)
      .sort((a, b) => a.position - b.position);
    // Every transaction in `kvs` is complete, so the next page starts after the last one's revision.
    const lastKv = kvs.at(-1);
    const after = lastKv === undefined ? afterPosition : Math.max(afterPosition, toPosition(Number(lastKv.create_revision) + 1, 0, this.url) - 1);
    return { events, revision: Number(response.header.revision), more: response.more, after };
  }

  /** An async iterable whose errors are translated, that fails once the store is closed. */
  #paged(operation: 'read', body: (this: EtcdStore) => AsyncGenerator<RecordedEvent>): AsyncIterable<RecordedEvent> {
    const run = body.bind(this);
    const assertOpen = (): void => this.#assertOpen();
    const translate = (error: unknown): Error => translateEtcdError(error, { url: this.url, operation });
    return { [Symbol.asyncIterator]: () => guarded(run, assertOpen, translate) };
  }

  subscribeToAll(options: SubscribeOptions, handler: SubscriptionHandler): Subscription {
    this.#assertOpen();
    const subscription = new EtcdSubscription(
      {
        readPage: (after, limit) => this.readAllPage(after, limit),
        watch: (fromRevision) => this.#client.watch().prefix(this.#keys.eventsStart).only('put').startRevision(String(fromRevision)).watcher(),
        decode: (kv) => this.#decode(kv),
        translate: (error) => translateEtcdError(error, { url: this.url, operation: 'subscribe' }),
        pageSize: PAGE_SIZE,
      },
      options,
      handler,
      () => this.#subscriptions.delete(subscription),
    );
    this.#subscriptions.add(subscription);
    return subscription;
  }

  async streamRevision(streamId: string): Promise<number> {
    this.#assertOpen();
    validateStreamId(streamId);
    try {
      return (await this.#readHead(streamId)).revision;
    } catch (error) {
      throw translateEtcdError(error, { url: this.url, operation: 'read', stream: streamId });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const ending = [...this.#subscriptions].map((s) => s.fail(storeClosedError(this.url)));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(ending), new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)))]);
    clearTimeout(timer);
    this.#client.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw storeClosedError(this.url);
  }
}

async function* guarded(run: () => AsyncGenerator<RecordedEvent>, assertOpen: () => void, translate: (error: unknown) => Error): AsyncGenerator<RecordedEvent> {
  assertOpen();
  try {
    for await (const e of run()) {
      yield e;
      assertOpen();
    }
  } catch (error) {
    throw translate(error);
  }
}
