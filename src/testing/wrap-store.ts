/**
 * One way to build a store that misbehaves on purpose: wrap a real store and replace only the operations a test
 * cares about; every other operation (and `url` and `limits`) goes to the wrapped store unchanged.
 */
import type { EventStore } from '../store/event-store.js';

/** The operations of an `EventStore` that a wrapper may replace. */
export type StoreOverrides = Partial<Omit<EventStore, 'url'>>;

/**
 * Wraps `inner`: each operation is the override's when given, else `inner`'s. Overrides call `inner` themselves
 * when they pass an operation on.
 *
 * @example
 * // appends to one stream fail, as if another writer always won the race
 * const contended = wrapStore(inner, {
 *   appendToStream: (stream, events, options) =>
 *     stream === 'cluster-prod' ? Promise.reject(new Error('conflict')) : inner.appendToStream(stream, events, options),
 * });
 */
export function wrapStore(inner: EventStore, overrides: StoreOverrides): EventStore {
  return {
    get url() {
      return inner.url;
    },
    get limits() {
      return overrides.limits ?? inner.limits;
    },
    appendToStream: overrides.appendToStream ?? ((streamId, events, options) => inner.appendToStream(streamId, events, options)),
    readStream: overrides.readStream ?? ((streamId, options) => inner.readStream(streamId, options)),
    readAll: overrides.readAll ?? ((options) => inner.readAll(options)),
    subscribeToAll: overrides.subscribeToAll ?? ((options, handler) => inner.subscribeToAll(options, handler)),
    streamRevision: overrides.streamRevision ?? ((streamId) => inner.streamRevision(streamId)),
    close: overrides.close ?? (() => inner.close()),
  };
}
