/**
 * Demo support: a store wrapper that loses ONE response on demand. The append commits, then the caller gets an
 * error instead of the result — a connection dropped after the database committed, the failure behind Restate's
 * provisioning panic. Everything else passes straight through.
 */
import type { EventStore } from '../store/event-store.js';

export type ResponseLosingStore = EventStore & {
  /** The next append to `streamId` commits and then throws. */
  loseNextResponse(streamId: string): void;
  /** How many responses were lost so far. */
  readonly lost: number;
};

export function losingResponses(inner: EventStore): ResponseLosingStore {
  let armed: string | null = null;
  let lost = 0;
  return {
    get url() {
      return inner.url;
    },
    get lost() {
      return lost;
    },
    loseNextResponse(streamId) {
      armed = streamId;
    },
    async appendToStream(streamId, events, options) {
      const result = await inner.appendToStream(streamId, events, options);
      if (armed === streamId) {
        armed = null;
        lost++;
        throw new Error(`connection to ${inner.url} lost after the append to ${streamId} committed (simulated by the demo)`);
      }
      return result;
    },
    readStream: (streamId, options) => inner.readStream(streamId, options),
    readAll: (options) => inner.readAll(options),
    subscribeToAll: (options, handler) => inner.subscribeToAll(options, handler),
    streamRevision: (streamId) => inner.streamRevision(streamId),
    close: () => inner.close(),
  };
}
