/**
 * The projection runner: keeps a set of projections up to date with an event store and hands out their state.
 *
 * Lifecycle: load each projection's stored checkpoint (a stored state of another `version` is discarded), catch up
 * with `readAll` from the lowest checkpoint, then follow live appends with `subscribeToAll` from the exclusive
 * checkpoint it reached. No gap, no duplicate: every event is applied once to each projection whose checkpoint is
 * below it.
 *
 * Guarantees:
 * - state handed out by `get` / `asOf` is deeply frozen and never mutated afterwards (a new object per change);
 * - a projection's state and its checkpoint are saved together (one SQLite transaction for all projections);
 * - state changes are serialised: a live batch, a rebuild and the final save never interleave;
 * - events are decoded as `parseDomainEvent` decodes them (`projection-decode.ts`): an unknown type or bad data
 *   stops the runner with `UnknownEventType` / `HistoryInvalid` naming the position (pending `waitFor` calls reject
 *   with it); the last good state stays readable.
 * - a checkpoint always names an event the projection applied; one that names no event of this store (checkpoints
 *   of another store, a store recreated) is discarded and that projection rebuilt from zero.
 *
 * Folding modes: catch-up, rebuilds and `asOf` fold long histories on a private mutable copy frozen once (no immer
 * proxy per event); live batches go through one immer `produce` each (structural sharing).
 */
import { freeze } from 'immer';
import type { Logger } from 'pino';
import { ClusterchartError, isClusterchartError } from '../domain/errors.js';
import { clusterStreamId, observationsStreamId } from '../domain/events.js';
import type { EventStore, RecordedEvent, Subscription } from '../store/event-store.js';
import { type ProjectionCheckpoints, createMemoryCheckpoints } from '../store/projection-checkpoints.js';
import { decodeRecordedEvent } from './projection-decode.js';
import { type ProjectionFold, type Projection, applyProjectionEvents, createProjectionFold } from '../../projections/projection.js';

export type ProjectionRunnerOptions = Readonly<{
  store: EventStore;
  /** Names must be unique. */
  projections: readonly Projection<unknown>[];
  /** Default: in memory (rebuilt on every start). */
  checkpoints?: ProjectionCheckpoints;
  logger?: Logger;
  /**
   * Only events of this cluster's streams (`cluster-NAME`, `observations-NAME`). Default: every `cluster-*` and
   * `observations-*` stream. Other streams are skipped (their positions still advance the checkpoints).
   * Checkpoints are then stored as `NAME/projection`, so runners of several clusters can share one store.
   */
  cluster?: string;
  /** While following, save checkpoints after this many new events (and always on `stop`). Default 1000. */
  checkpointEvery?: number;
}>;

/** A point in history: a global position (inclusive) or a time compared with each event's `metadata.at`. */
export type AsOf = number | Date;

export interface ProjectionRunner {
  /** Global position of the last event every projection has applied (0 before any). */
  readonly position: number;
  /** The current state, deeply frozen. */
  get<S>(projection: Projection<S>): S;
  get(name: string): unknown;
  /**
   * Resolves once every event up to `position` is applied (read-your-writes after an append). Waits for positions
   * not written yet; rejects if the runner stops or fails first.
   */
  waitFor(position: number): Promise<void>;
  /**
   * Rebuilds a projection (one of this runner's or any other) as it was at a position (inclusive) or at a time:
   * events in position order up to the first one whose `metadata.at` is later than the time (history as of a
   * prefix). Reads the history from the start; leaves the live state alone.
   */
  asOf<S>(projection: Projection<S>, at: AsOf): Promise<S>;
  /** Rebuilds projections (default: all) from zero up to the current position, then saves their checkpoints. */
  rebuild(projection?: Projection<unknown> | string): Promise<void>;
  /** Called after each applied batch with the new position. Returns the unsubscribe function. */
  onChange(listener: (position: number) => void): () => void;
  /** Stops following, saves the checkpoints. Idempotent. Does not close the store. */
  stop(): Promise<void>;
}

export { decodeRecordedEvent };

type Slot = {
  readonly projection: Projection<unknown>;
  state: unknown;
  position: number;
};

const DEFAULT_CHECKPOINT_EVERY = 1000;

function streamFilter(cluster: string | undefined): (streamId: string) => boolean {
  if (cluster !== undefined) {
    const ours = new Set([clusterStreamId(cluster), observationsStreamId(cluster)]);
    return (streamId) => ours.has(streamId);
  }
  return (streamId) => streamId.startsWith('cluster-') || streamId.startsWith('observations-');
}

/**
 * Creates a runner and catches up; resolves once every stored event is applied and live following has begun.
 *
 * @example
 * const runner = await createProjectionRunner({
 *   store, cluster: 'prod', checkpoints: openProjectionCheckpoints('sqlite:./clusterchart.db'),
 *   projections: [observedClusterStateProjection, nodesConfigurationProjection, auditTrailProjection],
 * });
 * const { position } = await store.appendToStream(...);
 * await runner.waitFor(position);
 * const view = observedClusterState(runner.get(observedClusterStateProjection), { now: clock.now() });
 * await runner.stop();
 */
export async function createProjectionRunner(options: ProjectionRunnerOptions): Promise<ProjectionRunner> {
  const runner = new Runner(options);
  await runner.start();
  return runner;
}

class Runner implements ProjectionRunner {
  readonly #store: EventStore;
  readonly #checkpoints: ProjectionCheckpoints;
  readonly #ownsCheckpoints: boolean;
  readonly #log: Logger | undefined;
  readonly #accepts: (streamId: string) => boolean;
  readonly #checkpointEvery: number;
  /** Checkpoints of runners scoped to different clusters of one store must not collide. */
  readonly #keyPrefix: string;
  readonly #slots = new Map<string, Slot>();
  #position = 0;
  #unsaved = 0;
  #queue: RecordedEvent[] = [];
  #flushScheduled = false;
  /** Serialises every change of state (live batches, rebuilds, saves). */
  #chain: Promise<void> = Promise.resolve();
  #subscription: Subscription | undefined;
  #failure: Error | undefined;
  #stopped = false;
  #waiters: { position: number; resolve: () => void; reject: (error: Error) => void }[] = [];
  readonly #listeners = new Set<(position: number) => void>();

  constructor(options: ProjectionRunnerOptions) {
    this.#store = options.store;
    this.#ownsCheckpoints = options.checkpoints === undefined;
    this.#checkpoints = options.checkpoints ?? createMemoryCheckpoints();
    // A logger the caller already scoped to a subsystem is used as is (no duplicate `subsystem` binding).
    this.#log = options.logger?.bindings().subsystem === undefined ? options.logger?.child({ subsystem: 'projections' }) : options.logger;
    this.#keyPrefix = options.cluster === undefined ? '' : `${options.cluster}/`;
    this.#accepts = streamFilter(options.cluster);
    this.#checkpointEvery = Math.max(1, options.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY);
    for (const projection of options.projections) {
      if (this.#slots.has(projection.name)) {
        throw new ClusterchartError('InvalidInput', `Two projections are named "${projection.name}": projection names must be unique.`, {
          projection: projection.name,
        });
      }
      this.#slots.set(projection.name, { projection, state: projection.initialState, position: 0 });
    }
  }

  get position(): number {
    return this.#position;
  }

  async start(): Promise<void> {
    const known = new Map<number, boolean>();
    for (const slot of this.#slots.values()) {
      await this.#restore(slot);
      if (slot.position === 0) continue;
      let exists = known.get(slot.position);
      if (exists === undefined) known.set(slot.position, (exists = await this.#hasEventAt(slot.position)));
      if (!exists) {
        this.#log?.warn({ projection: slot.projection.name, position: slot.position }, 'checkpoint names no event of this store: rebuilding from zero');
        slot.state = slot.projection.initialState;
        slot.position = 0;
      }
    }
    const from = Math.min(...[...this.#slots.values()].map((s) => s.position), Infinity);
    this.#position = Number.isFinite(from) ? from : 0;
    const caughtUp = await this.#catchUp([...this.#slots.values()], Infinity);
    if (caughtUp > 0) await this.#save();
    this.#log?.info({ position: this.#position, events: caughtUp }, 'projections caught up');
    this.#subscription = this.#store.subscribeToAll({ fromPosition: this.#position }, (event) => this.#enqueue(event));
    this.#subscription.done.then(
      () => undefined,
      (error: unknown) => this.#fail(error),
    );
  }

  async #hasEventAt(position: number): Promise<boolean> {
    for await (const event of this.#store.readAll({ fromPosition: position, maxCount: 1 })) return event.position === position;
    return false;
  }

  async #restore(slot: Slot): Promise<void> {
    const { name, version } = slot.projection;
    let stored;
    try {
      stored = await this.#checkpoints.load(this.#keyPrefix + name);
    } catch (error) {
      if (!isClusterchartError(error, 'StoreCorrupt')) throw error;
      this.#log?.warn({ projection: name, err: error }, 'stored projection state unreadable: rebuilding from zero');
      return;
    }
    if (stored === undefined) return;
    if (stored.version !== version) {
      this.#log?.info({ projection: name, storedVersion: stored.version, version }, 'projection version changed: rebuilding from zero');
      return;
    }
    slot.state = freeze(stored.state, true);
    slot.position = stored.position;
  }

  /**
   * Folds events after the lowest checkpoint of `slots` up to `until` (inclusive) into them, each from its own
   * checkpoint. Returns the number of events read. Swaps the states in only when the whole read succeeded.
   */
  async #catchUp(slots: Slot[], until: number): Promise<number> {
    if (slots.length === 0) return 0;
    const from = Math.min(...slots.map((s) => s.position));
    if (from >= until) return 0;
    const folds: [Slot, ProjectionFold<unknown>][] = slots.map((s) => [s, createProjectionFold(s.projection, s.state)]);
    let last = from;
    let read = 0;
    for await (const raw of this.#store.readAll(from === 0 ? {} : { afterPosition: from })) {
      if (raw.position > until) break;
      last = raw.position;
      read++;
      if (!this.#accepts(raw.streamId)) continue;
      const event = decodeRecordedEvent(raw);
      for (const [slot, fold] of folds) if (event.position > slot.position) fold.apply(event);
    }
    for (const [slot, fold] of folds) {
      slot.state = fold.result();
      slot.position = Math.max(slot.position, last);
    }
    this.#position = Math.max(this.#position, last);
    return read;
  }

  #enqueue(event: RecordedEvent): void {
    this.#queue.push(event);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // Let the subscription hand over the rest of its page first: one produce per batch, not per event.
    setImmediate(() => {
      this.#flushScheduled = false;
      // A failure is recorded by #fail (waiters reject with it); nothing else awaits this batch.
      this.#serialise(() => this.#flush()).catch(() => undefined);
    });
  }

  #serialise(work: () => Promise<void> | void): Promise<void> {
    const next = this.#chain.then(async () => {
      if (this.#failure !== undefined) throw this.#failure;
      await work();
    });
    this.#chain = next.catch((error: unknown) => this.#fail(error));
    return next;
  }

  async #flush(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    const events = batch.filter((raw) => raw.position > this.#position && this.#accepts(raw.streamId)).map(decodeRecordedEvent);
    const last = batch[batch.length - 1]?.position ?? this.#position;
    for (const slot of this.#slots.values()) {
      const fresh = events.filter((e) => e.position > slot.position);
      if (fresh.length > 0) slot.state = applyProjectionEvents(slot.projection, slot.state, fresh);
      slot.position = Math.max(slot.position, last);
    }
    this.#position = Math.max(this.#position, last);
    this.#unsaved += batch.length;
    if (this.#unsaved >= this.#checkpointEvery) await this.#save();
    this.#settle();
  }

  async #save(): Promise<void> {
    await this.#checkpoints.save(
      [...this.#slots.values()].map((s) => ({
        name: this.#keyPrefix + s.projection.name,
        version: s.projection.version,
        position: s.position,
        state: s.state,
      })),
    );
    this.#unsaved = 0;
  }

  #settle(): void {
    const position = this.#position;
    const ready = this.#waiters.filter((w) => w.position <= position);
    if (ready.length > 0) {
      this.#waiters = this.#waiters.filter((w) => w.position > position);
      for (const w of ready) w.resolve();
    }
    for (const listener of this.#listeners) {
      try {
        listener(position);
      } catch (error) {
        this.#log?.error({ err: error }, 'projection change listener threw');
      }
    }
  }

  #fail(error: unknown): void {
    if (this.#failure !== undefined) return;
    const failure = error instanceof Error ? error : new Error(String(error));
    if (this.#stopped) return;
    this.#failure = failure;
    this.#log?.error({ err: failure, position: this.#position }, 'projection runner stopped by an error');
    void this.#subscription?.stop();
    this.#rejectWaiters(failure);
  }

  #rejectWaiters(error: Error): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(error);
  }

  #slot(projection: Projection<unknown> | string): Slot {
    const name = typeof projection === 'string' ? projection : projection.name;
    const slot = this.#slots.get(name);
    if (slot === undefined) {
      throw new ClusterchartError('InvalidInput', `No projection named "${name}" runs here; known: ${[...this.#slots.keys()].join(', ')}.`, {
        projection: name,
      });
    }
    return slot;
  }

  get<S>(projection: Projection<S>): S;
  get(name: string): unknown;
  get(projection: Projection<unknown> | string): unknown {
    return this.#slot(projection).state;
  }

  waitFor(position: number): Promise<void> {
    if (position <= this.#position) return Promise.resolve();
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#stopped) return Promise.reject(stoppedError());
    return new Promise((resolve, reject) => this.#waiters.push({ position, resolve, reject }));
  }

  async asOf<S>(projection: Projection<S>, at: AsOf): Promise<S> {
    const { name } = projection;
    const limit = typeof at === 'number' ? at : at.getTime();
    if (Number.isNaN(limit)) {
      throw new ClusterchartError('InvalidInput', `asOf needs a position or a valid time for projection ${name}.`, { projection: name });
    }
    const fold = createProjectionFold(projection, projection.initialState);
    for await (const raw of this.#store.readAll()) {
      if (typeof at === 'number' && raw.position > limit) break;
      if (!this.#accepts(raw.streamId)) continue;
      const event = decodeRecordedEvent(raw);
      if (typeof at !== 'number' && Date.parse(event.metadata.at) > limit) break;
      fold.apply(event);
    }
    return fold.result();
  }

  rebuild(projection?: Projection<unknown> | string): Promise<void> {
    const slots = projection === undefined ? [...this.#slots.values()] : [this.#slot(projection)];
    return this.#serialise(async () => {
      const target = this.#position;
      const fresh: Slot[] = slots.map((s) => ({ projection: s.projection, state: s.projection.initialState, position: 0 }));
      await this.#catchUp(fresh, target);
      for (const [i, slot] of slots.entries()) {
        const rebuilt = fresh[i] as Slot;
        slot.state = rebuilt.state;
        slot.position = target;
      }
      await this.#save();
      this.#log?.info({ projections: slots.map((s) => s.projection.name), position: target }, 'projections rebuilt');
      this.#settle();
    });
  }

  onChange(listener: (position: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#subscription?.stop();
    // What the subscription already delivered is applied and saved, after any batch still in the chain.
    await this.#serialise(async () => {
      await this.#flush();
      await this.#save();
    }).catch(() => undefined);
    this.#rejectWaiters(this.#failure ?? stoppedError());
    if (this.#ownsCheckpoints) await this.#checkpoints.close();
  }
}

const stoppedError = () => new ClusterchartError('EngineClosed', 'The projection runner was stopped; create a new one to read projections again.', {});
