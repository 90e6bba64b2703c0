/**
 * Opens an EventStore from its URL (docs/ARCHITECTURE.md): `memory:`, `sqlite:PATH` (the embedded default), an etcd
 * cluster (`etcd://host:2379,host:2379/prefix`) or an EventStoreDB / KurrentDB connection string (`esdb://`,
 * `esdb+discover://`, `kurrentdb://`, `kurrentdb+discover://`).
 * Adapters are loaded on demand, so a process that uses SQLite never loads a gRPC client and vice versa.
 */
import { ClusterchartError } from '../domain/errors.js';
import { esdbConnectionString, redactUrl } from './common.js';
import { parseEtcdUrl } from './etcd/layout.js';
import type { EventStore } from './event-store.js';

export { redactUrl };

export type StoreLocation =
  | Readonly<{ kind: 'memory' }>
  | Readonly<{ kind: 'sqlite'; path: string }>
  /** `url` as given (it may hold credentials: never print it; the opened store's `url` has them removed). */
  | Readonly<{ kind: 'etcd'; url: string }>
  /** `url` as given; `connectionString` rewritten to the `esdb` schemes the 6.x client understands. */
  | Readonly<{ kind: 'esdb'; url: string; connectionString: string }>;

const EXAMPLES = "'sqlite:./clusterchart.db', 'memory:', 'etcd://localhost:2379/clusterchart' or 'esdb://localhost:2113?tls=false'";

/** Parses a store URL without opening anything. Throws `InvalidInput` naming the accepted forms. */
export function parseStoreUrl(url: string): StoreLocation {
  if (typeof url !== 'string' || url.trim() === '') {
    throw new ClusterchartError('InvalidInput', `A store URL is required, for example ${EXAMPLES}.`, { url: String(url) });
  }
  const trimmed = url.trim();
  if (trimmed === 'memory:' || trimmed === 'memory://') return { kind: 'memory' };
  if (trimmed.startsWith('sqlite:')) {
    let path = trimmed.slice('sqlite:'.length);
    // `sqlite:///abs/path.db` and `sqlite://./rel.db` are common spellings of the same thing.
    if (path.startsWith('//')) path = path.slice(2);
    if (path === '') {
      throw new ClusterchartError('InvalidInput', `Store URL "${trimmed}" names no file: write sqlite:PATH, for example sqlite:./clusterchart.db.`, { url: trimmed });
    }
    return { kind: 'sqlite', path };
  }
  if (/^etcd:\/\//i.test(trimmed)) {
    parseEtcdUrl(trimmed);
    return { kind: 'etcd', url: trimmed };
  }
  const connectionString = esdbConnectionString(trimmed);
  if (connectionString !== undefined) return { kind: 'esdb', url: trimmed, connectionString };
  throw new ClusterchartError('InvalidInput', `Unknown store URL "${redactUrl(trimmed)}": use ${EXAMPLES}.`, { url: redactUrl(trimmed) });
}

/**
 * Opens the store a URL names.
 *
 * @example
 * const store = await openStore('sqlite:./clusterchart.db');
 * try { ... } finally { await store.close(); }
 */
export async function openStore(url: string): Promise<EventStore> {
  const location = parseStoreUrl(url);
  switch (location.kind) {
    case 'memory': {
      const { createMemoryStore } = await import('./memory.js');
      return createMemoryStore();
    }
    case 'sqlite': {
      const { openSqliteStore } = await import('./sqlite.js');
      return openSqliteStore(location.path);
    }
    case 'etcd': {
      const { openEtcdStore } = await import('./etcd/index.js');
      return openEtcdStore(location.url);
    }
    case 'esdb': {
      const { openEsdbStore } = await import('./esdb.js');
      return openEsdbStore(location.url);
    }
  }
}

