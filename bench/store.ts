/**
 * bench/store: the event stores next to raw better-sqlite3 doing the same work in the same run.
 *
 * - append, 1 and 100 events per transaction (sqlite: WAL, synchronous=FULL, one fsync per commit): the adapter's
 *   `appendToStream` with an expected revision, against raw prepared INSERTs into the same table (same schema,
 *   same pragmas, JSON.stringify of data and metadata) inside `BEGIN IMMEDIATE`;
 * - readAll of 1,000,000 events: the adapter's `readAll` against raw `.raw().iterate()` over the same rows with
 *   JSON.parse of data and metadata (the same reads), and against raw rows without parsing (the driver's ceiling).
 * Memory store figures are printed against the same raw sqlite baselines. Medians of alternating runs. Reads are
 * also given per CPU second of the process, the figure a shared, noisy machine distorts least.
 * `--quick` shrinks every size. Targets: sqlite >= 0.8 of raw at the same batch size; readAll >= 500k/s.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { EventData, EventStore } from '../src/store/event-store.js';
import { createMemoryStore } from '../src/store/memory.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import { BenchReport, median, type BenchOptions } from './report.js';

type Sizes = { singleTx: number; batchTx: number; readEvents: number; runs: number };

const FULL: Sizes = { singleTx: 2_000, batchTx: 1_000, readEvents: 1_000_000, runs: 3 };
const QUICK: Sizes = { singleTx: 200, batchTx: 50, readEvents: 50_000, runs: 1 };
const BATCH = 100;

/** An event shaped like the engine's (~250 bytes of JSON): a node transition with its command metadata. */
function makeEvent(i: number): EventData {
  return {
    id: randomUUID(),
    type: 'StorageStateChanged',
    data: { machine: 'log-server', node: `N${(i % 50) + 1}`, from: 'Provisioning', to: 'ReadWrite', marker: `m-${i}`, input: { type: 'enableWrites' } },
    metadata: { commandId: randomUUID(), at: '2026-01-01T00:00:00.000Z', actor: 'bench' },
  };
}

const batches = (count: number, size: number): EventData[][] => Array.from({ length: count }, (_, b) => Array.from({ length: size }, (_, i) => makeEvent(b * size + i)));

async function timeAppends(store: EventStore, work: EventData[][]): Promise<number> {
  let revision = -1;
  const started = performance.now();
  for (const batch of work) {
    revision = (await store.appendToStream('bench-stream', batch, { expectedRevision: revision === -1 ? 'no-stream' : revision })).nextRevision;
  }
  const seconds = (performance.now() - started) / 1000;
  return (work.length * (work[0]?.length ?? 0)) / seconds;
}

async function sqliteAppendRate(dir: string, work: EventData[][]): Promise<number> {
  const path = join(dir, `adapter-${randomUUID()}.db`);
  const store = await openSqliteStore(path);
  try {
    return await timeAppends(store, work);
  } finally {
    await store.close();
    removeDb(path);
  }
}

/** The baseline: what an application writing the same rows with better-sqlite3 directly would do. */
async function rawAppendRate(dir: string, work: EventData[][]): Promise<number> {
  const path = join(dir, `raw-${randomUUID()}.db`);
  // The adapter creates the schema, so the raw inserts hit exactly the same table and indexes.
  await (await openSqliteStore(path)).close();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  const insert = db.prepare('INSERT INTO events (stream, revision, id, type, data, metadata, expected) VALUES (?, ?, ?, ?, ?, ?, ?)');
  let revision = 0;
  const tx = db.transaction((batch: readonly EventData[]) => {
    for (const e of batch) insert.run('bench-stream', revision++, e.id, e.type, JSON.stringify(e.data), JSON.stringify(e.metadata), -2);
  });
  try {
    const started = performance.now();
    for (const batch of work) tx.immediate(batch);
    const seconds = (performance.now() - started) / 1000;
    return (work.length * (work[0]?.length ?? 0)) / seconds;
  } finally {
    db.close();
    removeDb(path);
  }
}

function removeDb(path: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
}

async function fill(store: EventStore, total: number): Promise<void> {
  let revision = -1;
  for (let written = 0; written < total; written += 1000) {
    const batch = Array.from({ length: Math.min(1000, total - written) }, (_, i) => makeEvent(written + i));
    // Spread over 100 streams so readAll interleaves streams as a real history does.
    const stream = `cluster-${(written / 1000) % 100}`;
    revision = (await store.appendToStream(stream, batch)).nextRevision;
  }
  if (revision < 0) throw new Error('nothing written');
}

/** Events per wall-clock second and per CPU second of this process (reads are CPU-bound; CPU time is what a
 * shared, noisy machine distorts least). */
type ReadRate = { wall: number; cpu: number };

function measure(count: number, started: number, cpu: NodeJS.CpuUsage): ReadRate {
  const wall = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { wall: count / wall, cpu: count / ((used.user + used.system) / 1e6) };
}

async function readAllRate(store: EventStore, expected: number): Promise<ReadRate> {
  let count = 0;
  let check = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  for await (const e of store.readAll()) {
    count++;
    check += e.position;
  }
  const rate = measure(count, started, cpu);
  if (count !== expected || check === 0) throw new Error(`readAll returned ${count} of ${expected} events`);
  return rate;
}

function rawReadRate(path: string, expected: number, parse: boolean): ReadRate {
  const db = new Database(path, { readonly: true });
  try {
    const statement = db.prepare<[], [number, string, number, string, string, string, string]>('SELECT position, stream, revision, id, type, data, metadata FROM events ORDER BY position').raw();
    let count = 0;
    let check = 0;
    const started = performance.now();
    const cpu = process.cpuUsage();
    for (const row of statement.iterate()) {
      if (parse) {
        const event = { id: row[3], type: row[4], data: JSON.parse(row[5]) as unknown, metadata: JSON.parse(row[6]) as unknown, streamId: row[1], revision: row[2], position: row[0] };
        check += event.position;
      } else {
        check += row[0];
      }
      count++;
    }
    const rate = measure(count, started, cpu);
    if (count !== expected || check === 0) throw new Error(`raw read returned ${count} of ${expected} rows`);
    return rate;
  } finally {
    db.close();
  }
}

/** Runs `a` and `b` alternately `runs` times and returns their results. */
async function paired<T>(runs: number, a: () => Promise<T> | T, b: () => Promise<T> | T): Promise<[T[], T[]]> {
  const as: T[] = [];
  const bs: T[] = [];
  for (let i = 0; i < runs; i++) {
    as.push(await a());
    bs.push(await b());
  }
  return [as, bs];
}

export async function run(options: BenchOptions): Promise<void> {
  const sizes = options.quick ? QUICK : FULL;
  const report = new BenchReport('store');
  const notes: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'clusterchart-bench-store-'));
  const fmt = (xs: number[]) => xs.map((x) => Math.round(x)).join(', ');
  try {
    const single = batches(sizes.singleTx, 1);
    const hundred = batches(sizes.batchTx, BATCH);
    // Warm-up: the first run of a code path pays for JIT compilation, which neither side should be charged.
    const warm = batches(20, BATCH);
    await sqliteAppendRate(dir, warm);
    await rawAppendRate(dir, warm);
    await timeAppends(createMemoryStore(), warm);

    const [s1runs, r1runs] = await paired(sizes.runs, () => sqliteAppendRate(dir, single), () => rawAppendRate(dir, single));
    const [s1, r1] = [median(s1runs), median(r1runs)];
    report.add('sqlite_append_1_per_tx', s1, 'events/s', 'raw_better_sqlite3_1_per_tx', r1);
    notes.push(`append 1/tx (${sizes.singleTx} tx): sqlite ${fmt(s1runs)}; raw ${fmt(r1runs)} events/s`);

    const [s100runs, r100runs] = await paired(sizes.runs, () => sqliteAppendRate(dir, hundred), () => rawAppendRate(dir, hundred));
    const [s100, r100] = [median(s100runs), median(r100runs)];
    report.add('sqlite_append_100_per_tx', s100, 'events/s', 'raw_better_sqlite3_100_per_tx', r100);
    notes.push(`append 100/tx (${sizes.batchTx} tx): sqlite ${fmt(s100runs)}; raw ${fmt(r100runs)} events/s`);

    const readPath = join(dir, 'read.db');
    const filling = performance.now();
    const writer = await openSqliteStore(readPath);
    await fill(writer, sizes.readEvents);
    await writer.close();
    notes.push(`filled ${sizes.readEvents} events for readAll in ${((performance.now() - filling) / 1000).toFixed(1)} s (1000 per append)`);
    const reader = await openSqliteStore(readPath);
    for await (const e of reader.readAll({ maxCount: 50_000 })) if (e.position < 0) throw new Error('negative position');
    rawReadRate(readPath, sizes.readEvents, true);
    const [sReadRuns, rParseRuns] = await paired(sizes.runs, () => readAllRate(reader, sizes.readEvents), () => rawReadRate(readPath, sizes.readEvents, true));
    const rRowsRuns = Array.from({ length: sizes.runs }, () => rawReadRate(readPath, sizes.readEvents, false));
    await reader.close();
    const wall = (runs: ReadRate[]) => median(runs.map((r) => r.wall));
    const cpu = (runs: ReadRate[]) => median(runs.map((r) => r.cpu));
    const rParse = wall(rParseRuns);
    const n = sizes.readEvents >= 1_000_000 ? `${sizes.readEvents / 1_000_000}m` : `${sizes.readEvents / 1000}k`;
    report.add(`sqlite_readall_${n}`, wall(sReadRuns), 'events/s', 'raw_iterate_json_parse', rParse);
    report.add(`sqlite_readall_${n}_vs_rows`, wall(sReadRuns), 'events/s', 'raw_iterate_rows_no_parse', wall(rRowsRuns));
    report.add(`sqlite_readall_${n}_per_cpu_s`, cpu(sReadRuns), 'events/cpu-s', 'raw_iterate_json_parse_per_cpu_s', cpu(rParseRuns));
    notes.push(`readAll ${sizes.readEvents}: sqlite ${fmt(sReadRuns.map((r) => r.wall))}; raw+parse ${fmt(rParseRuns.map((r) => r.wall))}; raw rows ${fmt(rRowsRuns.map((r) => r.wall))} events/s`);

    const memoryAppend = async (work: EventData[][]) => timeAppends(createMemoryStore(), work);
    const m1 = median(await sequential(sizes.runs, () => memoryAppend(batches(sizes.singleTx * 10, 1))));
    report.add('memory_append_1_per_tx', m1, 'events/s', 'raw_better_sqlite3_1_per_tx', r1);
    const m100 = median(await sequential(sizes.runs, () => memoryAppend(hundred)));
    report.add('memory_append_100_per_tx', m100, 'events/s', 'raw_better_sqlite3_100_per_tx', r100);

    const memory = createMemoryStore();
    await fill(memory, sizes.readEvents);
    const mRead = await sequential(sizes.runs, () => readAllRate(memory, sizes.readEvents));
    await memory.close();
    report.add(`memory_readall_${n}`, wall(mRead), 'events/s', 'raw_iterate_json_parse', rParse);

    report.printTable(`bench store (${options.quick ? 'quick' : 'full'} sizes; median of ${sizes.runs} alternating run(s); sqlite WAL + synchronous=FULL on ${tmpdir()})`, [
      ...notes,
      'targets: sqlite_append_* ratio >= 0.8; sqlite_readall >= 500000 events/s',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function sequential<T>(runs: number, f: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < runs; i++) out.push(await f());
  return out;
}
