/**
 * When to snapshot (snapshots.ts owns the format). A snapshot (state + command index) is an optimisation only:
 * taken after at least `snapshotEvery` new events, spaced out as the aggregate grows (at least a quarter of nodes +
 * indexed commands) so that writing snapshots costs O(1) amortised per event; one write at a time, in background;
 * a failed write is logged and its events count towards the next one.
 *
 * A snapshot is one event, so it must fit in one append of the store (`EventStore.limits`). One that does not (or
 * that the store refused as too large: its size is remembered, and snapshots at least that large are not sent
 * again) is skipped, never failing a command: one warning until a snapshot is written again, and every
 * consecutive skip doubles the events the next attempt waits for, so a state that stays too large is not encoded
 * again at every due point.
 */
import type { Logger } from 'pino';
import { isClusterchartError } from '../domain/errors.js';
import { appendSize } from '../store/event-store.js';
import type { EngineContext } from './context.js';
import { encodeSnapshot, type SnapshotContent, snapshotStreamId } from './snapshots.js';

export class SnapshotPolicy {
  readonly #ctx: EngineContext;
  readonly #every: number | false;
  readonly #machineVersions: Readonly<Record<string, number>>;
  readonly #log: Logger;
  /** Durable events (both lanes) not covered by the last snapshot written. */
  #eventsSince = 0;
  #write: Promise<number | null> | null = null;
  /** Snapshots skipped in a row as too large for the store (reset by a written one). */
  #skips = 0;
  /** Size of the smallest snapshot the store refused as too large: larger ones are skipped without sending. */
  #refusedBytes = Number.POSITIVE_INFINITY;

  constructor(ctx: EngineContext, every: number | false, machineVersions: Readonly<Record<string, number>>, log: Logger) {
    this.#ctx = ctx;
    this.#every = every;
    this.#machineVersions = machineVersions;
    this.#log = log;
  }

  /** Sets the count of events the newest snapshot does not cover (after loading). */
  reset(eventsSince: number): void {
    this.#eventsSince = eventsSince;
  }

  /** Counts durable events. */
  count(events: number): void {
    this.#eventsSince += events;
  }

  /** Starts a snapshot write when one is due (never waits for it). */
  maybeWrite(): void {
    if (this.#due()) void this.#start();
  }

  /** Writes a snapshot now, after any write in flight; resolves to its cluster revision, or null when disabled. */
  async write(): Promise<number | null> {
    await this.idle();
    return this.#start();
  }

  /** Resolves once no snapshot write is in flight. */
  async idle(): Promise<void> {
    while (this.#write !== null) await this.#write;
  }

  /** On close: waits for writes in flight, then writes a final snapshot when anything changed since the last. */
  async final(): Promise<void> {
    await this.idle();
    if (this.#eventsSince > 0 && this.#ctx.fatal === null) await this.#start();
  }

  #due(): boolean {
    if (this.#every === false || this.#write !== null) return false;
    const size = this.#ctx.state.maxNodeId + this.#ctx.index.size;
    return this.#eventsSince >= Math.max(this.#every, Math.ceil(size / 4)) * 2 ** Math.min(this.#skips, 20);
  }

  /** Captures the state and index synchronously (both change with the next commit), then appends in background. */
  #start(): Promise<number | null> {
    if (this.#every === false) return Promise.resolve(null);
    const ctx = this.#ctx;
    const { cluster, observations } = ctx.lanes;
    const revision = cluster.revision;
    const content: SnapshotContent = {
      cluster: { revision, hash: cluster.lastHash },
      observations: { revision: observations.revision, hash: observations.lastHash },
      state: ctx.state,
      index: ctx.index,
    };
    const started = performance.now();
    const event = encodeSnapshot(ctx.cluster, content, this.#machineVersions, ctx.clock().toISOString());
    const covered = this.#eventsSince;
    this.#eventsSince = 0;
    const fits = Math.min(ctx.store.limits?.maxBytesPerAppend ?? Number.POSITIVE_INFINITY, this.#refusedBytes - 1);
    // Measured only where something bounds it (a store with limits, or an earlier refusal): encoding is the cost.
    const bytes = fits === Number.POSITIVE_INFINITY ? 0 : appendSize([event]);
    if (bytes > fits) {
      this.#skip(revision, bytes, fits, null);
      return Promise.resolve(null);
    }
    const write = ctx.store
      .appendToStream(snapshotStreamId(ctx.cluster), [event], { expectedRevision: 'any' })
      .then(
        () => {
          this.#skips = 0;
          this.#log.info({ revision, commands: content.index.size, ms: Math.round(performance.now() - started) }, 'snapshot written');
          return revision;
        },
        (error: unknown) => {
          if (isClusterchartError(error, 'AppendTooLarge')) {
            const refused = bytes > 0 ? bytes : appendSize([event]);
            this.#refusedBytes = Math.min(this.#refusedBytes, refused);
            this.#skip(revision, refused, null, error);
            return null;
          }
          this.#eventsSince += covered;
          this.#log.warn({ revision, err: error }, 'snapshot not written (the engine keeps working; loading will read more events)');
          return null;
        },
      )
      .finally(() => {
        this.#write = null;
      });
    this.#write = write;
    return write;
  }

  /** Records a snapshot skipped as too large for the store: warns on the first of a run of skips only. */
  #skip(revision: number, bytes: number, max: number | null, error: unknown): void {
    const log = { revision, bytes, skipped: this.#skips + 1, ...(max === null ? {} : { maxBytesPerAppend: max }), ...(error === null ? {} : { err: error }) };
    if (this.#skips === 0) {
      this.#log.warn(
        log,
        'snapshot skipped: larger than one append of the store allows (the engine keeps working; loading replays the events; ' +
          'raise the store limit to snapshot again)',
      );
    } else {
      this.#log.debug(log, 'snapshot skipped again: still too large for the store');
    }
    this.#skips++;
  }
}
