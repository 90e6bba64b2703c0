/**
 * The etcd store's front: `openEtcdStore` for `etcd://` URLs, plus the pure pieces tests and tools use (URL
 * parsing, limits, positions, error translation). Importing this module does not load the etcd client; opening a
 * store does.
 */
export { openEtcdStore, type EtcdStoreOptions } from './store.js';
export { POSITION_SCALE, MAX_REVISION, etcdLimits, parseEtcdUrl, revisionOf, toPosition, type EtcdLocation } from './layout.js';
export { translateEtcdError } from './errors.js';
