/**
 * The library's read side in one object: what the CLI's read commands and the viewer use, and what a user embeds to
 * inspect a cluster without an engine. A reader never writes. Everything it returns is plain JSON data.
 */
import type { Logger } from 'pino';
import type { AuditEntry, AuditFilter } from '../../../projections/audit-trail.js';
import type { ClusterHealth } from '../../../projections/health.js';
import type { ObservedClusterStateJson } from '../../../projections/observed-cluster-state.js';
import type { ClusterState } from '../../domain/cluster-state.js';
import { ClusterchartError } from '../../domain/errors.js';
import { clusterStreamId, observationsStreamId } from '../../domain/events.js';
import type { EventStore, ReadAllOptions, RecordedEvent, SubscribeOptions, Subscription, SubscriptionHandler } from '../../store/event-store.js';
import { openStore } from '../../store/open-store.js';
import type { AsOf } from '../projection-runner.js';
import { audit, type AuditOptions } from './audit.js';
import { ClusterHistory, clusterStateAt, type HistoryPoint, timeline, type TimelineEntry } from './history.js';
import { ReadModels } from './read-models.js';
import { verifyHistory, type VerifyOptions, type VerifyReport } from './verify.js';

export type ClusterReaderOptions = Readonly<{
  /** An open store (the caller keeps ownership and closes it) or a store URL the reader opens and closes. */
  store: EventStore | string;
  /** The cluster to read. Default: the only cluster in the store (an error when there is none or several). */
  cluster?: string;
  logger?: Logger;
  /** "Now" for liveness when a read names no instant. Default: the system clock. */
  clock?: () => Date;
  /** Liveness window: a node not heard from for longer is dead. Default 10 000 ms. */
  deadAfterMs?: number;
}>;

/** Last revisions of a cluster's streams (-1: the stream does not exist). */
export type StreamRevisions = Readonly<{ cluster: number; observations: number }>;

export interface ClusterReader {
  /** The store's URL, credentials removed. */
  readonly url: string;
  /** Names of the clusters in the store, sorted. Reads the whole store once (the store contract lists no streams). */
  clusters(): Promise<string[]>;
  /** The cluster this reader reads: the one it was opened for, else the only one in the store. */
  cluster(): Promise<string>;
  /** Last revisions of the cluster's streams (-1 when a stream does not exist: an unknown cluster has both at -1). */
  streamRevisions(cluster?: string): Promise<StreamRevisions>;
  /**
   * ObservedClusterState: now (`at`, default the clock), or as it was at a position or time (`asOf`, judged at that
   * time or at the recorded time of the event at that position).
   *
   * @example
   * const { aliveNodes, partitions } = await reader.observed({ asOf: 118 });
   */
  observed(options?: Readonly<{ at?: Date; asOf?: AsOf }>): Promise<ObservedClusterStateJson>;
  /** Metadata quorum and log replication, judged at `at` (default the clock). */
  health(options?: Readonly<{ at?: Date }>): Promise<ClusterHealth>;
  /** The audit trail, optionally filtered by node (`N3`) and position range. */
  audit(filter?: AuditFilter, options?: AuditOptions): Promise<AuditEntry[]>;
  /** Checks the hash chains and replays every recorded transition (see `verifyHistory`). */
  verify(options?: VerifyOptions): Promise<VerifyReport>;
  /** The cluster aggregate at a point of history (default: the head). */
  stateAt(point?: HistoryPoint): Promise<ClusterState>;
  /** Timeline entries of the cluster stream for revisions `from`..`to` (inclusive). */
  timeline(range: Readonly<{ from: number; to: number }>): Promise<TimelineEntry[]>;
  /** An empty history of a cluster stream for a live reader to feed with `subscribe` (see `ClusterHistory`). */
  history(cluster: string, options?: Readonly<{ recent?: number }>): ClusterHistory;
  /** Every event of the store in position order, after `fromPosition` (exclusive), then live ones. */
  subscribe(handler: SubscriptionHandler, options?: SubscribeOptions): Subscription;
  /** The store's events in position order (read-only). */
  events(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  /** Stops the folds and subscriptions; closes the store when the reader opened it. Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens a reader on a store (a URL is opened here and closed by `close`).
 *
 * @example
 * const reader = await openClusterReader({ store: 'sqlite:./clusterchart.db', cluster: 'prod' });
 * try {
 *   console.log((await reader.health()).healthy, (await reader.verify()).ok);
 * } finally {
 *   await reader.close();
 * }
 */
export async function openClusterReader(options: ClusterReaderOptions): Promise<ClusterReader> {
  const owned = typeof options.store === 'string';
  const store = typeof options.store === 'string' ? await openStore(options.store) : options.store;
  return new Reader(store, owned, options);
}

class Reader implements ClusterReader {
  readonly #store: EventStore;
  readonly #owned: boolean;
  readonly #options: ClusterReaderOptions;
  readonly #subscriptions = new Set<Subscription>();
  #models: ReadModels | undefined;
  #cluster: string | undefined;
  #closed = false;

  constructor(store: EventStore, owned: boolean, options: ClusterReaderOptions) {
    this.#store = store;
    this.#owned = owned;
    this.#options = options;
    this.#cluster = options.cluster;
  }

  get url(): string {
    return this.#store.url;
  }

  #now(): Date {
    return this.#options.clock?.() ?? new Date();
  }

  async clusters(): Promise<string[]> {
    const prefix = clusterStreamId('');
    const names = new Set<string>();
    for await (const event of this.#store.readAll()) {
      if (event.revision === 0 && event.streamId.startsWith(prefix)) names.add(event.streamId.slice(prefix.length));
    }
    return [...names].sort();
  }

  async cluster(): Promise<string> {
    if (this.#cluster !== undefined) return this.#cluster;
    const clusters = await this.clusters();
    if (clusters.length === 1) return (this.#cluster = clusters[0]!);
    if (clusters.length === 0) {
      throw new ClusterchartError('ClusterNotFound', `The store ${this.url} holds no cluster.`, { url: this.url });
    }
    throw new ClusterchartError('AmbiguousCluster', `The store ${this.url} holds ${clusters.length} clusters (${clusters.join(', ')}): name one.`, {
      url: this.url,
      clusters,
    });
  }

  async streamRevisions(cluster?: string): Promise<StreamRevisions> {
    const name = cluster ?? (await this.cluster());
    return {
      cluster: await this.#store.streamRevision(clusterStreamId(name)),
      observations: await this.#store.streamRevision(observationsStreamId(name)),
    };
  }

  async #readModels(): Promise<ReadModels> {
    const cluster = await this.cluster();
    return (this.#models ??= new ReadModels({ store: this.#store, cluster, logger: this.#options.logger, deadAfterMs: this.#options.deadAfterMs }));
  }

  async observed(options: Readonly<{ at?: Date; asOf?: AsOf }> = {}): Promise<ObservedClusterStateJson> {
    const models = await this.#readModels();
    return options.asOf === undefined ? models.observed(options.at ?? this.#now()) : models.observedAsOf(options.asOf);
  }

  async health(options: Readonly<{ at?: Date }> = {}): Promise<ClusterHealth> {
    return (await this.#readModels()).health(options.at ?? this.#now());
  }

  async audit(filter: AuditFilter = {}, options: AuditOptions = {}): Promise<AuditEntry[]> {
    return audit(this.#store, await this.cluster(), filter, options);
  }

  async verify(options: VerifyOptions = {}): Promise<VerifyReport> {
    return verifyHistory(this.#store, await this.cluster(), options);
  }

  async stateAt(point?: HistoryPoint): Promise<ClusterState> {
    return clusterStateAt(this.#store, await this.cluster(), point);
  }

  async timeline(range: Readonly<{ from: number; to: number }>): Promise<TimelineEntry[]> {
    return timeline(this.#store, await this.cluster(), range);
  }

  history(cluster: string, options: Readonly<{ recent?: number }> = {}): ClusterHistory {
    return new ClusterHistory(this.#store, cluster, options);
  }

  subscribe(handler: SubscriptionHandler, options: SubscribeOptions = {}): Subscription {
    const subscription = this.#store.subscribeToAll(options, handler);
    this.#subscriptions.add(subscription);
    void subscription.done.finally(() => this.#subscriptions.delete(subscription)).catch(() => undefined);
    return subscription;
  }

  events(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    return this.#store.readAll(options);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      for (const subscription of [...this.#subscriptions]) await subscription.stop();
      await this.#models?.close();
    } finally {
      if (this.#owned) await this.#store.close();
    }
  }
}
