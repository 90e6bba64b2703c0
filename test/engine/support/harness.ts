/** Shared helpers of the engine tests: stores, a silent logger, a stepping clock, store dumps. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { createEngine, type Engine, type EngineOptions } from '../../../src/engine/engine.js';
import type { EventStore, RecordedEvent } from '../../../src/store/event-store.js';
import { createMemoryStore } from '../../../src/store/memory.js';
import { openSqliteStore } from '../../../src/store/sqlite.js';

export const silentLogger = (): Logger => pino({ level: 'silent' });

/** A logger whose records are kept in `records` (for tests on logging). */
export function capturingLogger(level = 'debug'): { logger: Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const logger = pino({ level }, { write: (line: string) => void records.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, records };
}

/** A clock that advances one millisecond per reading, from a fixed start: deterministic `metadata.at`. */
export function steppingClock(start = '2026-01-01T00:00:00.000Z'): () => Date {
  let t = Date.parse(start);
  return () => new Date(t++);
}

export type StoreKind = 'memory' | 'sqlite';
export const STORE_KINDS: readonly StoreKind[] = ['memory', 'sqlite'];

/** A fresh store of a kind; sqlite uses a real file in a temp directory removed by `dispose`. */
export async function freshStore(kind: StoreKind): Promise<{ store: EventStore; path: string | null; dispose: () => Promise<void> }> {
  if (kind === 'memory') {
    const store = createMemoryStore();
    return { store, path: null, dispose: () => store.close() };
  }
  const dir = mkdtempSync(join(tmpdir(), 'clusterchart-engine-'));
  const path = join(dir, 'cluster.db');
  const store = await openSqliteStore(path);
  return {
    store,
    path,
    dispose: async () => {
      await store.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function tempDbPath(): { path: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'clusterchart-engine-'));
  return { path: join(dir, 'cluster.db'), dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

export function openTestEngine(store: EventStore, options: Partial<EngineOptions> = {}): Promise<Engine> {
  return createEngine({ store, cluster: 'test', logger: silentLogger(), clock: steppingClock(), snapshotEvery: false, ...options });
}

export async function readAllEvents(store: EventStore): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const event of store.readAll()) out.push(event);
  return out;
}

export async function readStreamEvents(store: EventStore, streamId: string): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const event of store.readStream(streamId)) out.push(event);
  return out;
}

/** Every stored event as one JSON text: equal dumps mean byte-for-byte equal stores. */
export async function dumpStore(store: EventStore): Promise<string> {
  return JSON.stringify(await readAllEvents(store));
}

/** A log-store marker as a log server would write it. */
export const markerOf = (node: number, markerId = `marker-${node}`) => ({ nodeId: node, markerId, createdAt: '2026-01-01T00:00:00.000Z' });
