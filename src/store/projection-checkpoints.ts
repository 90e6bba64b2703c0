/**
 * Where the projection runner keeps each projection's checkpoint (the global position of the last event applied)
 * together with the state at that position and the projection's version.
 *
 * Guarantee: a projection's state and its checkpoint are written in ONE transaction (one row), and a `save` of
 * several projections is one transaction, so a reader never sees a state that does not match its checkpoint. Losing
 * the newest saves is harmless: the runner resumes from the older checkpoint and re-applies the tail.
 *
 * - memory: keeps the (frozen) states by reference; for tests and for stores with no local file (EventStoreDB).
 * - sqlite: a table `projection_checkpoints` in the same file as the event store (its own connection, WAL, busy
 *   timeout), so checkpoints travel with the events they describe.
 */
import Database from 'better-sqlite3';
import { ClusterchartError } from '../domain/errors.js';
import { parseStoreUrl } from './open-store.js';

export type StoredProjectionState = Readonly<{
  name: string;
  version: number;
  /** Global position of the last event folded into `state`; 0 for none. */
  position: number;
  /** JSON-serialisable. */
  state: unknown;
}>;

export interface ProjectionCheckpoints {
  readonly kind: 'memory' | 'sqlite';
  /** The stored entry, or undefined. Throws `StoreCorrupt` when the stored state cannot be read back. */
  load(name: string): Promise<StoredProjectionState | undefined>;
  /** Writes every entry in one transaction (replacing earlier ones of the same names). */
  save(entries: readonly StoredProjectionState[]): Promise<void>;
  delete(name: string): Promise<void>;
  close(): Promise<void>;
}

const closedError = (where: string) =>
  new ClusterchartError('StoreUnavailable', `The projection checkpoints at ${where} are closed; open them again to use them.`, { where });

/**
 * Checkpoints held in memory (lost on exit).
 *
 * @example
 * const runner = await createProjectionRunner({ store, projections, checkpoints: createMemoryCheckpoints() });
 */
export function createMemoryCheckpoints(): ProjectionCheckpoints {
  const entries = new Map<string, StoredProjectionState>();
  let closed = false;
  const guard = () => {
    if (closed) throw closedError('memory:');
  };
  return {
    kind: 'memory',
    // eslint-disable-next-line @typescript-eslint/require-await -- async so that a closed store rejects, never throws
    load: async (name) => {
      guard();
      return entries.get(name);
    },
    // eslint-disable-next-line @typescript-eslint/require-await -- as above
    save: async (batch) => {
      guard();
      for (const entry of batch) entries.set(entry.name, Object.freeze({ ...entry }));
    },
    delete: (name) => {
      entries.delete(name);
      return Promise.resolve();
    },
    close: () => {
      closed = true;
      return Promise.resolve();
    },
  };
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS projection_checkpoints (
  name     TEXT PRIMARY KEY,
  version  INTEGER NOT NULL,
  position INTEGER NOT NULL,
  state    TEXT NOT NULL
) STRICT;
`;

type Row = { name: string; version: number; position: number; state: string };

/**
 * Checkpoints in a SQLite file, normally the event store's own file (`sqlite:PATH`).
 *
 * @example
 * const checkpoints = openSqliteCheckpoints('./clusterchart.db');
 */
export function openSqliteCheckpoints(path: string, options: Readonly<{ busyTimeoutMs?: number }> = {}): ProjectionCheckpoints {
  let db: Database.Database;
  try {
    db = new Database(path);
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
    db.pragma('journal_mode = WAL');
    // A lost save only costs a replay of the tail (see the module comment), so checkpoints need no fsync per commit.
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
  } catch (error) {
    throw new ClusterchartError(
      'StoreUnavailable',
      `Cannot open the projection checkpoints in ${path}: ${(error as Error).message}. Check that the file is a clusterchart SQLite store and is writable.`,
      { path },
      { cause: error },
    );
  }
  const select = db.prepare<[string], Row>('SELECT name, version, position, state FROM projection_checkpoints WHERE name = ?');
  const upsert = db.prepare<[string, number, number, string]>(
    `INSERT INTO projection_checkpoints (name, version, position, state) VALUES (?, ?, ?, ?)
     ON CONFLICT(name) DO UPDATE SET version = excluded.version, position = excluded.position, state = excluded.state`,
  );
  const remove = db.prepare<[string]>('DELETE FROM projection_checkpoints WHERE name = ?');
  const saveAll = db.transaction((batch: readonly (readonly [string, number, number, string])[]) => {
    for (const row of batch) upsert.run(...row);
  });
  let closed = false;
  const run = <T>(work: () => T): Promise<T> => {
    try {
      if (closed) throw closedError(path);
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  };
  return {
    kind: 'sqlite',
    load: (name) =>
      run(() => {
        const row = select.get(name);
        if (row === undefined) return undefined;
        try {
          return { name: row.name, version: row.version, position: row.position, state: JSON.parse(row.state) as unknown };
        } catch (error) {
          throw new ClusterchartError(
            'StoreCorrupt',
            `The stored state of projection ${name} in ${path} is not valid JSON; it will be rebuilt from the events.`,
            { projection: name, path },
            { cause: error },
          );
        }
      }),
    // Serialised before the transaction opens, so the write lock is held only for the inserts.
    save: (batch) => run(() => saveAll(batch.map((e) => [e.name, e.version, e.position, JSON.stringify(e.state)] as const))),
    delete: (name) => run(() => void remove.run(name)),
    close: () => {
      if (!closed) {
        closed = true;
        db.close();
      }
      return Promise.resolve();
    },
  };
}

/**
 * The checkpoints that go with a store URL: the same SQLite file for `sqlite:PATH`, memory otherwise (an
 * EventStoreDB deployment has no local file; projections are rebuilt on start).
 *
 * @example
 * const checkpoints = openProjectionCheckpoints('sqlite:./clusterchart.db');
 */
export function openProjectionCheckpoints(storeUrl: string): ProjectionCheckpoints {
  const location = parseStoreUrl(storeUrl);
  return location.kind === 'sqlite' ? openSqliteCheckpoints(location.path) : createMemoryCheckpoints();
}
