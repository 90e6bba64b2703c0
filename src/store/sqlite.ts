/**
 * The embedded default EventStore: one SQLite file (better-sqlite3), durable and safe for several processes on
 * one host.
 *
 * Guarantees, beyond the contract:
 * - WAL journal, `synchronous=FULL`: an acknowledged append survives a process crash and a power loss.
 * - The expected-revision check and the inserts run in one `BEGIN IMMEDIATE` transaction, so the write lock is
 *   held from the check to the commit; `UNIQUE(stream, revision)` and `UNIQUE(id)` back that up in the schema.
 * - `position` is the table's INTEGER PRIMARY KEY (rowid). Rows are never deleted, so a new row always gets
 *   max + 1: positions are dense and become visible in commit order, in every process.
 * - Writers in other processes wait up to `busyTimeoutMs` for the write lock; the wait blocks the event loop
 *   (better-sqlite3 is synchronous), which is why transactions here never await anything.
 * - The schema is versioned (`clusterchart_migrations`). A file with a newer version is refused (`SchemaTooNew`),
 *   a file that is not a clusterchart SQLite store is refused (`StoreCorrupt`); in both cases nothing is written.
 * - Subscriptions learn of appends made through the same store object at once, and of other processes' appends
 *   by polling every `pollIntervalMs` (default 100 ms) while idle.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import Database from 'better-sqlite3';
import { ClusterchartError, isClusterchartError } from '../domain/errors.js';
import {
  checkExpectedRevision,
  classifyExistingIds,
  encodeExpected,
  pagedIterable,
  prepareAppend,
  settle,
  storeClosedError,
  validateReadAllOptions,
  validateReadStreamOptions,
  validateStreamId,
  type SerializedEvent,
  type StoredEventRef,
} from './common.js';
import type { AppendResult, EventData, EventStore, ExpectedRevision, JsonObject, JsonValue, ReadAllOptions, ReadStreamOptions, RecordedEvent, SubscribeOptions, Subscription, SubscriptionHandler } from './event-store.js';
import { LocalSubscriptions } from './subscription.js';

export type SqliteStoreOptions = Readonly<{
  /** How long an append waits for another process's write transaction before `StoreUnavailable`. Default 5000. */
  busyTimeoutMs?: number;
  /** How often an idle subscription looks for other processes' appends. Default 100. */
  pollIntervalMs?: number;
}>;

/** The sqlite store, with the file it uses. */
export interface SqliteEventStore extends EventStore {
  /** Absolute path of the database file. */
  readonly path: string;
}

/** Schema version this build writes. A file whose `clusterchart_migrations` holds a higher version is refused. */
export const SQLITE_SCHEMA_VERSION = 1;

/** `PRAGMA application_id` of clusterchart files ("CCHT"), so other tools can recognise them. */
const APPLICATION_ID = 0x43434854;

const MIGRATIONS: readonly Readonly<{ version: number; description: string; sql: string }>[] = [
  {
    version: 1,
    description: 'events table',
    sql: `
      CREATE TABLE events (
        position INTEGER PRIMARY KEY,
        stream   TEXT    NOT NULL,
        revision INTEGER NOT NULL CHECK (revision >= 0),
        id       TEXT    NOT NULL UNIQUE,
        type     TEXT    NOT NULL,
        data     TEXT    NOT NULL,
        metadata TEXT    NOT NULL,
        -- the expectedRevision of the append that wrote the event (common.ts encodeExpected): retries must match it
        expected INTEGER NOT NULL,
        UNIQUE (stream, revision)
      );`,
  },
];

const SELECT_COLUMNS = 'position, stream, revision, id, type, data, metadata';
type Row = [position: number, stream: string, revision: number, id: string, type: string, data: string, metadata: string];

/** Rows per read page: large enough to amortise the query, small enough to keep memory flat. */
const PAGE_SIZE = 1000;
const SQLITE_MAGIC = 'SQLite format 3\0';

/**
 * Opens (creating if needed) a clusterchart SQLite store.
 *
 * @example
 * const store = await openSqliteStore('./clusterchart.db');
 */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<SqliteEventStore> {
  return settle(() => new SqliteStore(path, options));
}

class SqliteStore implements SqliteEventStore {
  readonly url: string;
  readonly path: string;
  readonly #db: Database.Database;
  readonly #subscriptions: LocalSubscriptions;
  #closed = false;

  readonly #lastRevision: Database.Statement<[string], number>;
  readonly #insert: Database.Statement<[string, number, string, string, string, string, number]>;
  readonly #findId: Database.Statement<[string], [string, number, number, number]>;
  readonly #readAll: Database.Statement<[number, number], Row>;
  readonly #readForwards: Database.Statement<[string, number, number], Row>;
  readonly #readBackwards: Database.Statement<[string, number, number], Row>;
  readonly #appendTx: (streamId: string, expected: ExpectedRevision, events: readonly SerializedEvent[]) => AppendOutcome;

  constructor(path: string, options: SqliteStoreOptions) {
    if (typeof path !== 'string' || path === '') {
      throw new ClusterchartError('InvalidInput', 'openSqliteStore needs a file path, for example ./clusterchart.db.', {});
    }
    this.url = `sqlite:${path}`;
    this.path = resolvePath(path);
    this.#subscriptions = new LocalSubscriptions((after, limit) => this.#read(() => this.#readAll.all(after + 1, limit)), options.pollIntervalMs ?? 100);
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    checkFileHeader(this.path);
    let db: Database.Database;
    try {
      db = new Database(this.path, { timeout: busyTimeoutMs });
    } catch (error) {
      throw translateSqliteError(error, this.path, 'open');
    }
    try {
      prepareSchema(db, this.path);
      this.#lastRevision = db.prepare<[string], number>('SELECT revision FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1').pluck();
      this.#insert = db.prepare('INSERT INTO events (stream, revision, id, type, data, metadata, expected) VALUES (?, ?, ?, ?, ?, ?, ?)');
      this.#findId = db.prepare<[string], [string, number, number, number]>('SELECT stream, revision, position, expected FROM events WHERE id = ?').raw();
      this.#readAll = db.prepare<[number, number], Row>(`SELECT ${SELECT_COLUMNS} FROM events WHERE position >= ? ORDER BY position LIMIT ?`).raw();
      this.#readForwards = db
        .prepare<[string, number, number], Row>(`SELECT ${SELECT_COLUMNS} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`)
        .raw();
      this.#readBackwards = db
        .prepare<[string, number, number], Row>(`SELECT ${SELECT_COLUMNS} FROM events WHERE stream = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`)
        .raw();
    } catch (error) {
      db.close();
      throw translateSqliteError(error, this.path, 'open');
    }
    this.#db = db;
    const appendTx = db.transaction((streamId: string, expected: ExpectedRevision, events: readonly SerializedEvent[]) => this.#appendInTransaction(streamId, expected, events));
    this.#appendTx = (streamId, expected, events) => appendTx.immediate(streamId, expected, events);
  }

  appendToStream(streamId: string, events: readonly EventData[], options?: Readonly<{ expectedRevision?: ExpectedRevision }>): Promise<AppendResult> {
    return settle(() => this.#append(streamId, events, options?.expectedRevision ?? 'any'));
  }

  #append(rawStreamId: string, rawEvents: readonly EventData[], rawExpected: ExpectedRevision): AppendResult {
    this.#assertOpen();
    const { streamId, expected, events } = prepareAppend(rawStreamId, rawEvents, rawExpected);
    let outcome: AppendOutcome;
    try {
      outcome = this.#appendTx(streamId, expected, events);
    } catch (error) {
      if (error instanceof IdConflict) {
        // The transaction rolled back. Stored events never change, so classifying after the rollback is exact.
        return this.#classify(streamId, expected, events);
      }
      throw translateSqliteError(error, this.path, 'append');
    }
    if (outcome.written) this.#subscriptions.notify();
    return outcome.result;
  }

  /** Runs inside BEGIN IMMEDIATE: nobody else can write between the revision check and the inserts. */
  #appendInTransaction(streamId: string, expected: ExpectedRevision, events: readonly SerializedEvent[]): AppendOutcome {
    const actual = this.#lastRevision.get(streamId) ?? -1;
    try {
      checkExpectedRevision(streamId, expected, actual);
    } catch (conflict) {
      // A retry of a committed append usually fails the revision check; it must be acknowledged, not refused.
      if (events.length > 0 && this.#findId.get(events[0]!.id) !== undefined) throw new IdConflict();
      throw conflict;
    }
    if (events.length === 0) {
      const position = actual === -1 ? 0 : (this.#findPositionOf(streamId, actual) ?? 0);
      return { written: false, result: { nextRevision: actual, position } };
    }
    const code = encodeExpected(expected);
    let revision = actual;
    let position = 0;
    for (const e of events) {
      revision++;
      try {
        position = Number(this.#insert.run(streamId, revision, e.id, e.type, e.data, e.metadata, code).lastInsertRowid);
      } catch (error) {
        // The write lock makes UNIQUE(stream, revision) unbreakable here; only the id can collide.
        if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE' && String((error as Error).message).includes('events.id')) throw new IdConflict();
        throw error;
      }
    }
    return { written: true, result: { nextRevision: revision, position } };
  }

  #findPositionOf(streamId: string, revision: number): number | undefined {
    return this.#readForwards.get(streamId, revision, 1)?.[0];
  }

  #classify(streamId: string, expected: ExpectedRevision, events: readonly SerializedEvent[]): AppendResult {
    try {
      const found: (StoredEventRef | undefined)[] = events.map((e) => {
        const row = this.#findId.get(e.id);
        return row === undefined ? undefined : { streamId: row[0], revision: row[1], position: row[2], expected: row[3] };
      });
      if (found.every((f) => f === undefined)) {
        // Only reachable if an id vanished after its UNIQUE conflict, which a store that never deletes cannot do.
        throw new ClusterchartError('StoreCorrupt', `Event store ${this.path}: an id conflict on stream "${streamId}" names no stored event; check the file with "sqlite3 ${this.path} 'PRAGMA integrity_check'".`, { file: this.path, stream: streamId });
      }
      return classifyExistingIds(streamId, expected, events, found);
    } catch (error) {
      throw translateSqliteError(error, this.path, 'append');
    }
  }

  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent> {
    return pagedIterable(() => {
      this.#assertOpen();
      validateStreamId(streamId);
      const { fromRevision, backwards, maxCount } = validateReadStreamOptions(options);
      let next = fromRevision ?? (backwards ? Number.MAX_SAFE_INTEGER : 0);
      let remaining = maxCount;
      return () => {
        if (remaining <= 0 || next < 0) return undefined;
        const rows = this.#read(() => (backwards ? this.#readBackwards : this.#readForwards).all(streamId, next, Math.min(PAGE_SIZE, remaining)));
        remaining -= rows.length;
        const last = rows[rows.length - 1];
        if (last !== undefined) next = backwards ? last.revision - 1 : last.revision + 1;
        return rows;
      };
    });
  }

  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent> {
    return pagedIterable(() => {
      this.#assertOpen();
      const { fromPosition, maxCount } = validateReadAllOptions(options);
      let next = fromPosition;
      let remaining = maxCount;
      return () => {
        if (remaining <= 0) return undefined;
        const rows = this.#read(() => this.#readAll.all(next, Math.min(PAGE_SIZE, remaining)));
        remaining -= rows.length;
        const last = rows[rows.length - 1];
        if (last !== undefined) next = last.position + 1;
        return rows;
      };
    });
  }

  subscribeToAll(options: SubscribeOptions, handler: SubscriptionHandler): Subscription {
    this.#assertOpen();
    return this.#subscriptions.subscribe(options, handler);
  }

  streamRevision(streamId: string): Promise<number> {
    return settle(() => {
      this.#assertOpen();
      validateStreamId(streamId);
      try {
        return this.#lastRevision.get(streamId) ?? -1;
      } catch (error) {
        throw translateSqliteError(error, this.path, 'read');
      }
    });
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#subscriptions.closeAll(storeClosedError(this.url));
    return settle(() => {
      try {
        this.#db.close();
      } catch (error) {
        throw translateSqliteError(error, this.path, 'close');
      }
    });
  }

  /** Runs one page query and turns its rows into events (one JSON.parse per field, no other per-row work). */
  #read(query: () => Row[]): RecordedEvent[] {
    this.#assertOpen();
    let rows: Row[];
    try {
      rows = query();
    } catch (error) {
      throw translateSqliteError(error, this.path, 'read');
    }
    const events = new Array<RecordedEvent>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      events[i] = {
        id: r[3],
        type: r[4],
        data: JSON.parse(r[5]) as JsonValue,
        metadata: JSON.parse(r[6]) as JsonObject,
        streamId: r[1],
        revision: r[2],
        position: r[0],
      };
    }
    return events;
  }

  #assertOpen(): void {
    if (this.#closed) throw storeClosedError(this.url);
  }
}

type AppendOutcome = { written: boolean; result: AppendResult };

/** Thrown inside the append transaction to roll it back when an event id is already stored. */
class IdConflict extends Error {}

/**
 * Refuses, before SQLite touches it, a file that is not a SQLite database or is shorter than its header says.
 * The length check is skipped while a WAL file has content: a crash during a checkpoint can leave the main file
 * short, and SQLite repairs that from the WAL on open.
 */
function checkFileHeader(file: string): void {
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) {
      throw new ClusterchartError('StoreUnavailable', `Event store path ${file} is not a regular file; point the store URL at a database file, for example sqlite:./clusterchart.db.`, { file });
    }
    size = stat.size;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') {
      if (!existsSync(dirname(file))) {
        throw new ClusterchartError('StoreUnavailable', `Cannot create event store file ${file}: the directory ${dirname(file)} does not exist. Create it, or point the store URL elsewhere.`, { file });
      }
      return;
    }
    if (isClusterchartError(error)) throw error;
    throw new ClusterchartError('StoreUnavailable', `Cannot read event store file ${file}: ${(error as Error).message}.`, { file }, { cause: error });
  }
  if (size === 0) return;
  const header = Buffer.alloc(100);
  let read = 0;
  const fd = openSync(file, 'r');
  try {
    read = readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (read < 100 || header.toString('latin1', 0, 16) !== SQLITE_MAGIC) {
    throw new ClusterchartError(
      'StoreCorrupt',
      `Event store file ${file} is not a SQLite database (its first bytes are not the SQLite header); nothing was written. Check the store URL, or move the file away to start a new store.`,
      { file },
    );
  }
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  const pageCount = header.readUInt32BE(28);
  const headerCountValid = header.readUInt32BE(24) === header.readUInt32BE(92) && pageCount > 0;
  if (walHasContent(file)) return;
  if (pageSize < 512 || size % pageSize !== 0 || (headerCountValid && pageCount * pageSize > size)) {
    throw new ClusterchartError(
      'StoreCorrupt',
      `Event store file ${file} is truncated or damaged: ${size} bytes, but its header says ${headerCountValid ? `${pageCount} pages of ` : 'pages of '}${pageSize} bytes; nothing was written. Restore it from a backup.`,
      { file, size, pageSize, ...(headerCountValid ? { pageCount } : {}) },
    );
  }
}

function walHasContent(file: string): boolean {
  try {
    return statSync(`${file}-wal`).size > 0;
  } catch {
    return false;
  }
}

/**
 * Reads the schema version without writing; refuses newer or foreign files; then switches to WAL and applies
 * the missing migrations in one IMMEDIATE transaction (re-reading the version there, since another process may
 * have migrated meanwhile).
 */
function prepareSchema(db: Database.Database, file: string): void {
  const before = schemaVersion(db, file);
  refuseNewer(before, file);
  setJournalModeWal(db, file);
  db.pragma('synchronous = FULL');
  if (before === SQLITE_SCHEMA_VERSION) return;
  db.transaction(() => {
    const current = schemaVersion(db, file);
    refuseNewer(current, file);
    if (current === 0) {
      db.exec('CREATE TABLE IF NOT EXISTS clusterchart_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)');
      db.pragma(`application_id = ${APPLICATION_ID}`);
    }
    const record = db.prepare("INSERT INTO clusterchart_migrations (version, description, applied_at) VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))");
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      record.run(m.version, m.description);
    }
  }).immediate();
}

/** Tables other clusterchart components keep in the store's file; they may exist before the event store's own. */
const COMPANION_TABLES: ReadonlySet<string> = new Set(['projection_checkpoints']);

/** 0 for a database without the event store's schema; throws `StoreCorrupt` for a database that belongs to something else. */
function schemaVersion(db: Database.Database, file: string): number {
  const tables = db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all();
  if (tables.includes('clusterchart_migrations')) {
    return db.prepare<[], number | null>('SELECT max(version) FROM clusterchart_migrations').pluck().get() ?? 0;
  }
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  const foreign = tables.filter((t) => !COMPANION_TABLES.has(t));
  if (foreign.length > 0 || (applicationId !== 0 && applicationId !== APPLICATION_ID)) {
    throw new ClusterchartError(
      'StoreCorrupt',
      `Event store file ${file} is a SQLite database but not a clusterchart store (tables: ${foreign.slice(0, 5).join(', ') || 'none'}; application_id ${applicationId}); nothing was written. Point the store URL at a clusterchart file or a new path.`,
      { file },
    );
  }
  return 0;
}

function refuseNewer(version: number, file: string): void {
  if (version > SQLITE_SCHEMA_VERSION) {
    throw new ClusterchartError(
      'SchemaTooNew',
      `Event store file ${file} has schema version ${version}, newer than the version ${SQLITE_SCHEMA_VERSION} this clusterchart understands; it was written by a newer release. Upgrade clusterchart; the file was not modified.`,
      { file, version, supported: SQLITE_SCHEMA_VERSION },
    );
  }
}

/** WAL is a property of the file (persistent): set once, it lets readers run beside the one writer. */
function setJournalModeWal(db: Database.Database, file: string): void {
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') {
    throw new ClusterchartError('StoreUnavailable', `Event store file ${file} could not be switched to WAL journal mode (SQLite kept "${String(mode)}"); is it on a network file system?`, { file });
  }
}

/**
 * The one translation of better-sqlite3 / SQLite errors into clusterchart errors (docs/ARCHITECTURE.md, "Conventions"). Errors that
 * are already ClusterchartErrors pass through.
 */
export function translateSqliteError(error: unknown, file: string, operation: 'open' | 'append' | 'read' | 'close'): Error {
  if (isClusterchartError(error)) return error;
  const code = typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : '';
  const detail = error instanceof Error ? error.message : String(error);
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new ClusterchartError(
      'StoreCorrupt',
      `Event store file ${file} is damaged or not a SQLite database (${code}: ${detail}) during ${operation}; restore it from a backup or run "sqlite3 ${file} 'PRAGMA integrity_check'".`,
      { file, sqlite: code },
      { cause: error },
    );
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new ClusterchartError(
      'StoreUnavailable',
      `Event store file ${file} stayed locked by another connection longer than the busy timeout during ${operation} (${code}); another process holds a long write transaction. Retry, or raise busyTimeoutMs.`,
      { file, sqlite: code },
      { cause: error },
    );
  }
  if (code.startsWith('SQLITE_')) {
    const hint =
      code === 'SQLITE_FULL'
        ? 'the disk is full'
        : code.startsWith('SQLITE_READONLY')
          ? 'the file or its directory is read-only'
          : code.startsWith('SQLITE_CANTOPEN')
            ? 'the file cannot be opened (does its directory exist, and is it writable?)'
            : code.startsWith('SQLITE_IOERR')
              ? 'the operating system reported an I/O error'
              : 'SQLite refused the operation';
    return new ClusterchartError('StoreUnavailable', `Event store file ${file}: ${hint} during ${operation} (${code}: ${detail}).`, { file, sqlite: code }, { cause: error });
  }
  return error instanceof Error ? error : new Error(detail);
}
