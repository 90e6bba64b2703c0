/**
 * A store wrapper that loses responses: some appends COMMIT and then throw, as when a connection drops after the
 * database committed but before the client heard back (the failure behind Restate's provisioning panic). Optionally
 * some appends fail before reaching the store. Used by the engine's lost-response tests; exported so users can
 * test their own retry handling the same way.
 */
import type { AppendResult, EventData, EventStore, ExpectedRevision } from '../../store/event-store.js';

export type LossyStoreOptions = Readonly<{
  /** Probability that a successful append throws after committing (the response was lost). */
  lostResponseRate: number;
  /** Probability that an append throws WITHOUT committing (the request was lost). Default 0. */
  lostRequestRate?: number;
  /** A source of numbers in [0, 1): pass a seeded generator for reproducible runs. */
  random: () => number;
  /** Only appends to streams for which this returns true are affected (default: every stream). */
  affects?: (streamId: string) => boolean;
}>;

export type LossyStoreStats = { appends: number; lostResponses: number; lostRequests: number };

/** The error a lost response or request throws: NOT a WrongExpectedVersion, so the outcome is unknown to the caller. */
export class LostResponseError extends Error {
  override readonly name = 'LostResponseError';
  constructor(readonly committed: boolean, streamId: string) {
    super(`connection to the store lost ${committed ? 'after' : 'before'} the append to ${streamId} (simulated)`);
  }
}

/**
 * Wraps `inner`; `stats` counts what happened.
 *
 * @example
 * const lossy = createLossyStore(createMemoryStore(), { lostResponseRate: 0.2, random: seeded(42) });
 * const engine = await createEngine({ store: lossy.store, cluster: 'test' });
 */
export function createLossyStore(inner: EventStore, options: LossyStoreOptions): { store: EventStore; stats: LossyStoreStats } {
  const stats: LossyStoreStats = { appends: 0, lostResponses: 0, lostRequests: 0 };
  const affects = options.affects ?? (() => true);
  const store: EventStore = {
    get url() {
      return inner.url;
    },
    get limits() {
      return inner.limits;
    },
    async appendToStream(streamId: string, events: readonly EventData[], appendOptions?: Readonly<{ expectedRevision?: ExpectedRevision }>): Promise<AppendResult> {
      stats.appends++;
      if (affects(streamId) && options.random() < (options.lostRequestRate ?? 0)) {
        stats.lostRequests++;
        throw new LostResponseError(false, streamId);
      }
      const result = await inner.appendToStream(streamId, events, appendOptions);
      if (affects(streamId) && options.random() < options.lostResponseRate) {
        stats.lostResponses++;
        throw new LostResponseError(true, streamId);
      }
      return result;
    },
    readStream: (streamId, readOptions) => inner.readStream(streamId, readOptions),
    readAll: (readOptions) => inner.readAll(readOptions),
    subscribeToAll: (subscribeOptions, handler) => inner.subscribeToAll(subscribeOptions, handler),
    streamRevision: (streamId) => inner.streamRevision(streamId),
    close: () => inner.close(),
  };
  return { store, stats };
}

/**
 * A small seeded PRNG (mulberry32) for reproducible lossy runs.
 *
 * @example
 * const random = seededRandom(7); random(); // same sequence every run
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
