/**
 * bench/projections: cold rebuild of ObservedClusterState + NodesConfiguration from a SQLite store
 * (default 1,000,000 events, 10,000 nodes, 1,000 partitions; `--quick`: 50,000 events, 1,000 nodes, 100 partitions),
 * next to a plain read + JSON.parse of the same rows measured in the same run.
 *
 * Each measurement runs in a fresh child process (same conditions for both, and a clean peak RSS): the rebuild is
 * `createProjectionRunner` on `openSqliteStore` until its catch-up is done; the baseline iterates
 * `SELECT ... ORDER BY position` with better-sqlite3 and JSON.parses data and metadata of every row.
 * Also measured: `readAll` through the adapter alone, to show how much of the gap is the EventStore interface.
 * Medians of 5 alternating runs (3 with --quick). Figures: one JSON line each on stdout, a table on stderr.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { nodesConfigurationProjection, observedClusterStateProjection } from '../projections/index.js';
import type { DomainEvent, RunMode } from '../src/domain/index.js';
import { createProjectionRunner } from '../src/engine/projection-runner.js';
import type { EventData, JsonValue } from '../src/store/event-store.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import { BenchReport, type BenchOptions, median } from './report.js';

type Sizes = { events: number; nodes: number; partitions: number };
type ChildResult = { seconds: number; events: number; peakRssMb: number; stateHeapMb?: number; stateJsonMb?: number; alive?: number };

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const RUNS = 5;

// --- data ---------------------------------------------------------------------------------------------------------

/**
 * The history: provisioning, every node registered, then heartbeats round-robin (one per node per "second"), with a
 * restart, an unreachable report and a removal now and then. Partition p is led by node p + 1 and followed by the two
 * nodes `partitions` and `2 * partitions` further on, so each heartbeat carries the partition set its node hosts.
 */
function* history(sizes: Sizes, cluster: string): Generator<{ stream: string; event: DomainEvent; at: number }> {
  const { nodes, partitions } = sizes;
  const hosted = new Map<number, Record<string, RunMode>>();
  for (let p = 0; p < partitions; p++) {
    for (const [offset, mode] of [[0, 'leader'], [partitions, 'follower'], [2 * partitions, 'follower']] as const) {
      const id = ((p + offset) % nodes) + 1;
      const set = hosted.get(id) ?? {};
      set[String(p)] = mode;
      hosted.set(id, set);
    }
  }
  const generation = new Array<number>(nodes + 1).fill(1);
  const removed = new Set<number>();
  const cs = `cluster-${cluster}`;
  const os = `observations-${cluster}`;
  let at = T0;
  yield {
    stream: cs,
    at,
    event: {
      type: 'ClusterProvisioned',
      data: {
        machine: 'cluster-provisioning', node: null, from: 'Unprovisioned', to: 'Provisioned', input: { type: 'provision' },
        clusterName: cluster,
        config: { logProvider: 'replicated', replication: { node: 2 }, targetNodesetSize: 0, numPartitions: partitions, metadataServer: 'replicated' },
      },
    } as unknown as DomainEvent,
  };
  for (let id = 1; id <= nodes; id++) {
    yield {
      stream: cs,
      at,
      event: {
        type: 'NodeRegistered',
        data: {
          machine: 'node-lifecycle', node: id, from: 'Unregistered', to: 'Registered', input: { type: 'register', nodeId: id, generation: 1 },
          nodeId: id, generation: 1, name: `node-${id}`, roles: ['worker', 'log-server'], address: `http://node-${id}:5122`, location: null,
          metadataServerState: 'Standby', storageState: 'Provisioning', workerState: 'Provisioning',
        },
      } as unknown as DomainEvent,
    };
  }
  let written = 1 + nodes;
  let i = 0;
  while (written < sizes.events) {
    const id = (i % nodes) + 1;
    if (id === 1) at += 1000;
    i++;
    if (removed.has(id)) continue;
    written++;
    if (i % 50_021 === 0) {
      yield {
        stream: cs,
        at,
        event: {
          type: 'NodeRestarted',
          data: {
            machine: 'node-lifecycle', node: id, from: 'Registered', to: 'Registered',
            input: { type: 'restart', previousGeneration: generation[id]!, generation: generation[id]! + 1 },
            nodeId: id, generation: generation[id]! + 1, previousGeneration: generation[id]!, roles: ['worker', 'log-server'], address: `http://node-${id}:5122`, location: null,
          },
        } as unknown as DomainEvent,
      };
      generation[id]! += 1;
    } else if (i % 100_003 === 0 && !hosted.has(id)) {
      removed.add(id);
      yield {
        stream: cs,
        at,
        event: {
          type: 'NodeRemoved',
          data: {
            machine: 'node-lifecycle', node: id, from: 'Registered', to: 'Removed',
            input: { type: 'remove', logServerReadWrite: false, inUnsealedNodeset: false, localLoglets: false, metadataMember: false },
            nodeId: id, name: `node-${id}`,
          },
        } as unknown as DomainEvent,
      };
    } else if (i % 9_973 === 0) {
      yield { stream: os, at, event: { type: 'NodeUnreachableObserved', data: { nodeId: id, at: new Date(at).toISOString() } } as DomainEvent };
    } else {
      yield {
        stream: os,
        at,
        event: { type: 'NodeHeartbeatObserved', data: { nodeId: id, generation: generation[id]!, at: new Date(at).toISOString(), partitions: hosted.get(id) ?? {} } } as DomainEvent,
      };
    }
  }
}

/** Writes the history with the sqlite adapter's appendToStream, in large batches per stream. */
async function writeStore(path: string, sizes: Sizes): Promise<number> {
  const store = await openSqliteStore(path);
  const BATCH = 20_000;
  let batch: EventData[] = [];
  let stream = '';
  let count = 0;
  const flush = async () => {
    if (batch.length > 0) await store.appendToStream(stream, batch);
    batch = [];
  };
  for (const { stream: s, event, at } of history(sizes, 'bench')) {
    if (s !== stream || batch.length >= BATCH) {
      await flush();
      stream = s;
    }
    batch.push({
      id: randomUUID(),
      type: event.type,
      data: event.data as unknown as JsonValue,
      metadata: { commandId: `cmd-${count}`, at: new Date(at).toISOString() },
    });
    count++;
  }
  await flush();
  await store.close();
  return count;
}

// --- child measurements ---------------------------------------------------------------------------------------------

const peakRssMb = () => process.resourceUsage().maxRSS / 1024;
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

async function childRebuild(path: string): Promise<ChildResult> {
  const store = await openSqliteStore(path);
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  let runner: Awaited<ReturnType<typeof createProjectionRunner>> | null = await createProjectionRunner({
    store,
    projections: [observedClusterStateProjection, nodesConfigurationProjection],
  });
  const seconds = (performance.now() - started) / 1000;
  const events = runner.position;
  const peak = peakRssMb();
  const observed = runner.get(observedClusterStateProjection);
  const nodes = runner.get(nodesConfigurationProjection);
  await runner.stop();
  runner = null;
  gc();
  const stateHeapMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  const stateJsonMb = (JSON.stringify(observed).length + JSON.stringify(nodes).length) / 2 ** 20;
  const alive = Object.keys(observed.nodes).length;
  await store.close();
  return { seconds, events, peakRssMb: peak, stateHeapMb, stateJsonMb, alive };
}

function childPlainRead(path: string): ChildResult {
  const db = new Database(path, { readonly: true });
  const started = performance.now();
  let events = 0;
  let check = 0;
  const rows = db.prepare('SELECT position, stream, revision, id, type, data, metadata FROM events ORDER BY position').raw().iterate() as IterableIterator<
    [number, string, number, string, string, string, string]
  >;
  for (const row of rows) {
    const data = JSON.parse(row[5]) as { nodeId?: number };
    const metadata = JSON.parse(row[6]) as { at: string };
    check += (data.nodeId ?? 0) + metadata.at.length;
    events++;
  }
  const seconds = (performance.now() - started) / 1000;
  db.close();
  if (check === 0) throw new Error('plain read saw no data');
  return { seconds, events, peakRssMb: peakRssMb() };
}

/** The store interface alone (`readAll` through the adapter, no decoding, no folding): where the gap comes from. */
async function childStoreRead(path: string): Promise<ChildResult> {
  const store = await openSqliteStore(path);
  const started = performance.now();
  let events = 0;
  for await (const event of store.readAll()) events += event.position > 0 ? 1 : 0;
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  return { seconds, events, peakRssMb: peakRssMb() };
}

type ChildKind = 'rebuild' | 'plain' | 'readall';

function inChild(kind: ChildKind, path: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child', kind, path], {
      execArgv: [...process.execArgv, '--expose-gc'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let result: ChildResult | undefined;
    child.on('message', (m) => (result = m as ChildResult));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 && result !== undefined ? resolve(result) : reject(new Error(`bench child ${kind} exited with ${code}`))));
  });
}

// --- main -------------------------------------------------------------------------------------------------------------

/**
 * Runs the benchmark (`npm run bench -- projections [--quick]`).
 *
 * @example
 * await run({ quick: true, args: ['--quick'] });
 */
export async function run(options: BenchOptions): Promise<void> {
  const { quick } = options;
  const sizes: Sizes = quick ? { events: 50_000, nodes: 1_000, partitions: 100 } : { events: 1_000_000, nodes: 10_000, partitions: 1_000 };
  const dir = mkdtempSync(join(tmpdir(), 'clusterchart-bench-projections-'));
  try {
    const path = join(dir, 'bench.db');
    const writeStarted = performance.now();
    const written = await writeStore(path, sizes);
    process.stderr.write(`wrote ${written} events (${sizes.nodes} nodes, ${sizes.partitions} partitions) in ${((performance.now() - writeStarted) / 1000).toFixed(1)} s\n`);

    const rebuilds: ChildResult[] = [];
    const plains: ChildResult[] = [];
    const storeReads: ChildResult[] = [];
    const runs = quick ? 3 : RUNS;
    for (let run = 0; run < runs; run++) {
      plains.push(await inChild('plain', path));
      rebuilds.push(await inChild('rebuild', path));
      storeReads.push(await inChild('readall', path));
    }
    for (const r of [...rebuilds, ...plains, ...storeReads]) if (r.events !== written) throw new Error(`a run read ${r.events} of ${written} events`);

    const rate = (r: ChildResult) => r.events / r.seconds;
    const report = new BenchReport('projections');
    report.add('cold_rebuild_events_per_s', median(rebuilds.map(rate)), 'events/s', 'plain_read_json_parse', median(plains.map(rate)));
    report.add('store_readall_events_per_s', median(storeReads.map(rate)), 'events/s', 'plain_read_json_parse', median(plains.map(rate)));
    report.add('cold_rebuild_seconds', median(rebuilds.map((r) => r.seconds)), 's', 'plain_read_json_parse', median(plains.map((r) => r.seconds)));
    report.add('cold_rebuild_peak_rss', median(rebuilds.map((r) => r.peakRssMb)), 'MB', 'plain_read_json_parse', median(plains.map((r) => r.peakRssMb)));
    report.add(`final_state_heap_${sizes.nodes}_nodes`, median(rebuilds.map((r) => r.stateHeapMb ?? 0)), 'MB', 'final_state_json', median(rebuilds.map((r) => r.stateJsonMb ?? 0)));
    report.printTable(`bench projections (${quick ? 'quick' : 'full'}: ${written} events, ${sizes.nodes} nodes, ${sizes.partitions} partitions; median of ${runs} runs, each in its own process)`, [
      `runs (events/s): rebuild ${rebuilds.map((r) => Math.round(rate(r))).join(', ')}; plain read ${plains.map((r) => Math.round(rate(r))).join(', ')}; store readAll ${storeReads.map((r) => Math.round(rate(r))).join(', ')}`,
      `rebuild / store readAll: ${(median(rebuilds.map(rate)) / median(storeReads.map(rate))).toFixed(3)} (the projection work on top of the EventStore interface)`,
      `final state: ${rebuilds[0]?.alive ?? 0} nodes in ObservedClusterState`,
      'targets: >= 500000 events/s, >= 0.6 of the plain read, peak RSS <= 300 MB',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// A forked measurement child (see inChild); when imported by bench/run.ts, argv[2] is the bench name instead.
const argv = process.argv.slice(2);
if (argv[0] === '--child') {
  const [, kind, path] = argv;
  const result = kind === 'rebuild' ? await childRebuild(path!) : kind === 'readall' ? await childStoreRead(path!) : childPlainRead(path!);
  process.send?.(result);
}
