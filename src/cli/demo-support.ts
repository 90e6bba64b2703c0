/**
 * Demo support: a store wrapper that loses ONE response on demand. The append commits, then the caller gets an
 * error instead of the result — a connection dropped after the database committed, the failure behind Restate's
 * provisioning panic. Built on the engine's `createLossyStore`, armed for one append at a time.
 */
import { createLossyStore } from '../testing/index.js';
import type { EventStore } from '../store/event-store.js';

export type ResponseLosingStore = EventStore & {
  /** The next append to `streamId` commits and then throws. */
  loseNextResponse(streamId: string): void;
  /** How many responses were lost so far. */
  readonly lost: number;
};

export function losingResponses(inner: EventStore): ResponseLosingStore {
  let armed: string | null = null;
  const { store, stats } = createLossyStore(inner, { lostResponseRate: 1, random: () => 0, affects: (streamId) => streamId === armed });
  return {
    ...store,
    url: inner.url,
    get lost() {
      return stats.lostResponses;
    },
    loseNextResponse(streamId) {
      armed = streamId;
    },
    async appendToStream(streamId, events, options) {
      try {
        return await store.appendToStream(streamId, events, options);
      } finally {
        if (armed === streamId) armed = null;
      }
    },
  };
}
