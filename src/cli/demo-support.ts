/**
 * Demo support: a store wrapper that loses ONE response on demand. The append commits, then the caller gets an
 * error instead of the result — a connection dropped after the database committed, the failure behind Restate's
 * provisioning panic. Built on the test kit's `createLossyStore`, armed for one append at a time.
 */
import type { EventStore } from '../index.js';
import { createLossyStore, wrapStore } from '../testing/index.js';

export type ResponseLosingStore = EventStore & {
  /** The next append to `streamId` commits and then throws. */
  loseNextResponse(streamId: string): void;
  /** How many responses were lost so far. */
  readonly lost: number;
};

export function losingResponses(inner: EventStore): ResponseLosingStore {
  let armed: string | null = null;
  const { store, stats } = createLossyStore(inner, { lostResponseRate: 1, random: () => 0, affects: (streamId) => streamId === armed });
  const disarming = wrapStore(store, {
    async appendToStream(streamId, events, options) {
      try {
        return await store.appendToStream(streamId, events, options);
      } finally {
        if (armed === streamId) armed = null;
      }
    },
  });
  return Object.defineProperties(disarming, {
    lost: { get: () => stats.lostResponses },
    loseNextResponse: { value: (streamId: string) => void (armed = streamId) },
  }) as ResponseLosingStore;
}
