/**
 * bench/engine: the engine on SQLite (WAL, synchronous=FULL), each figure beside a baseline measured in this run.
 *
 * - durable command throughput with 1, 16 and 64 concurrent callers (group commit), against the same commands from
 *   64 callers each appended in its own transaction (`maxBatchSize: 1`); the commands toggle worker states of a
 *   1,000-node cluster, one event each, every one decided, hash-chained, appended and confirmed;
 * - single-caller latency p50/p99, against a raw one-event `appendToStream` (the fsync floor);
 * - loading a cluster of 10,000 nodes and 1,000,000 events: by full replay (events/s, against reading the same rows
 *   and against a hand-written reducer over them) and from a snapshot (ms, against the full replay);
 * - heap of a loaded 10,000-node engine, against the aggregate state alone.
 * Targets: >= 50,000 cmd/s with 64 callers and >= 8x the one-per-transaction baseline; snapshot load
 * <= 100 ms; full replay >= 500,000 events/s. `--quick` shrinks every size.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pino } from 'pino';
import type { ClusterState } from '../src/domain/cluster-state.js';
import { clusterStreamId } from '../src/domain/events.js';
import { createEngine, type Engine } from '../src/engine/engine.js';
import { chainHash, eventIdFor } from '../src/engine/hashing.js';
import type { EventData, EventStore } from '../src/store/event-store.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import { BenchReport, median, type BenchOptions } from './report.js';

type Sizes = {
  clusterNodes: number;
  commands: Readonly<Record<1 | 16 | 64, number>>;
  baselineCommands: number;
  historyNodes: number;
  historyEvents: number;
};

const FULL: Sizes = { clusterNodes: 1_000, commands: { 1: 2_000, 16: 20_000, 64: 60_000 }, baselineCommands: 4_000, historyNodes: 10_000, historyEvents: 1_000_000 };
const QUICK: Sizes = { clusterNodes: 200, commands: { 1: 200, 16: 2_000, 64: 4_000 }, baselineCommands: 400, historyNodes: 1_000, historyEvents: 50_000 };

const CLUSTER = 'bench';
const silent = pino({ level: 'silent' });

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

/** Provisions a cluster of `nodes` workers, all Active, through the engine (64 concurrent callers). */
async function setupCluster(engine: Engine, nodes: number): Promise<void> {
  await engine.provision();
  let next = 0;
  const worker = async () => {
    while (next < nodes) {
      const i = next++;
      await engine.registerNode({ name: `n${i}`, roles: ['worker'] });
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  next = 1;
  const activate = async () => {
    while (next <= nodes) await engine.setWorkerState({ node: next++, state: 'Active' });
  };
  await Promise.all(Array.from({ length: 64 }, activate));
}

/**
 * `callers` concurrent callers, each toggling its own nodes between Draining and Active (every command valid, one
 * event each; a command may be the last of a caller's pair). Returns the elapsed seconds and every command's latency (ms).
 */
async function drive(engine: Engine, nodes: number, callers: number, commands: number): Promise<{ seconds: number; latencies: number[] }> {
  const latencies: number[] = [];
  let issued = 0;
  const caller = async (c: number) => {
    const own = Array.from({ length: nodes }, (_, i) => i + 1).filter((id) => id % callers === c % callers);
    // Drain one node, reactivate it, move on: at most one node per caller is ever Draining.
    let k = 0;
    while (issued < commands) {
      issued++;
      const node = own[Math.floor(k / 2) % own.length]!;
      const state = k++ % 2 === 0 ? 'Draining' : 'Active';
      const started = performance.now();
      await engine.setWorkerState({ node, state });
      latencies.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: callers }, (_, c) => caller(c)));
  return { seconds: (performance.now() - started) / 1000, latencies };
}

/** Events shaped like the engine's, 64 per batch, `count` in all. */
function options64(count: number): EventData[][] {
  return Array.from({ length: Math.ceil(count / 64) }, (_, b) =>
    Array.from({ length: 64 }, (_, i) => {
      const n = b * 64 + i;
      const data = { machine: 'worker', node: (n % 1000) + 1, from: 'Active', to: 'Draining', input: { type: 'set-state', to: 'Draining', force: false, replicaSetsSatisfiable: true }, forced: false, nodeId: (n % 1000) + 1 };
      return { id: eventIdFor('raw-64', `c${n}`, 0), type: 'WorkerStateChanged', data, metadata: { commandId: `c${n}`, commandType: 'SetWorkerState', at: '2026-01-01T00:00:00.000Z', hash: 'f'.repeat(64), machineVersion: 1 } };
    }),
  );
}

async function withSqliteEngine<T>(dir: string, name: string, options: { maxBatchSize?: number }, work: (engine: Engine, store: EventStore) => Promise<T>): Promise<T> {
  const path = join(dir, `${name}.db`);
  const store = await openSqliteStore(path);
  const engine = await createEngine({ store, cluster: CLUSTER, logger: silent, ...options });
  try {
    return await work(engine, store);
  } finally {
    await engine.close();
    await store.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  }
}

async function throughput(report: BenchReport, dir: string, sizes: Sizes, notes: string[]): Promise<void> {
  // Rounds alternate every configuration (fresh file each), so that a noisy neighbour hits them all alike.
  const rounds = sizes === QUICK ? 1 : 3;
  const baselines: number[] = [];
  const rates = new Map<number, number[]>([[1, []], [16, []], [64, []]]);
  let latencies: number[] = [];
  for (let round = 0; round < rounds; round++) {
    baselines.push(
      await withSqliteEngine(dir, `baseline-${round}`, { maxBatchSize: 1 }, async (engine) => {
        await setupCluster(engine, sizes.clusterNodes);
        const { seconds } = await drive(engine, sizes.clusterNodes, 64, sizes.baselineCommands);
        return sizes.baselineCommands / seconds;
      }),
    );
    for (const callers of [1, 16, 64] as const) {
      await withSqliteEngine(dir, `callers-${callers}-${round}`, {}, async (engine) => {
        await setupCluster(engine, sizes.clusterNodes);
        const run = await drive(engine, sizes.clusterNodes, callers, sizes.commands[callers]);
        rates.get(callers)!.push(sizes.commands[callers] / run.seconds);
        if (callers === 1) latencies.push(...run.latencies);
      });
    }
  }
  // The same with a command whose decision is O(1) (a heartbeat: a lookup), to separate the engine's own cost from
  // the decider's (SetWorkerState's safety check counts the Active workers: O(nodes) per command).
  const heartbeats = await withSqliteEngine(dir, 'heartbeats', {}, async (engine) => {
    await setupCluster(engine, sizes.clusterNodes);
    let issued = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (issued < sizes.commands[64]) {
          const node = (issued++ % sizes.clusterNodes) + 1;
          await engine.recordHeartbeat({ node: `N${node}:1`, at: '2026-01-01T00:00:01.000Z', partitions: { [String(node % 24)]: 'leader' } });
        }
      }),
    );
    return sizes.commands[64] / ((performance.now() - started) / 1000);
  });
  latencies = latencies.sort((a, b) => a - b);
  const baseline = median(baselines);
  for (const callers of [1, 16, 64]) {
    report.add(`commands_per_s_${callers}_callers`, median(rates.get(callers)!), 'cmd/s', 'one_tx_per_command_64_callers', baseline);
  }
  report.add('heartbeats_per_s_64_callers', heartbeats, 'cmd/s', 'one_tx_per_command_64_callers', baseline);
  notes.push(`throughput runs (cmd/s): baseline ${baselines.map(Math.round).join(', ')}; ${[1, 16, 64].map((c) => `${c} callers ${rates.get(c)!.map(Math.round).join(', ')}`).join('; ')}`);

  // The fsync floor: one raw one-event append per call on the same kind of file.
  const path = join(dir, 'raw.db');
  const store = await openSqliteStore(path);
  const raw: number[] = [];
  for (let i = 0; i < 500; i++) {
    const event: EventData = { id: eventIdFor('raw', `c${i}`, 0), type: 'WorkerStateChanged', data: { i }, metadata: { commandId: `c${i}` } };
    const started = performance.now();
    await store.appendToStream('raw', [event], { expectedRevision: i === 0 ? 'no-stream' : i - 1 });
    raw.push(performance.now() - started);
  }
  // The store's own ceiling for the batches group commit makes: 64 one-event commands per transaction.
  const batches = options64(sizes.commands[64]);
  const started = performance.now();
  let revision = -1;
  for (let b = 0; b < batches.length; b++) {
    revision = (await store.appendToStream('raw-64', batches[b]!, { expectedRevision: revision < 0 ? 'no-stream' : revision })).nextRevision;
  }
  const storeCeiling = (batches.length * 64) / ((performance.now() - started) / 1000);
  await store.close();
  raw.sort((a, b) => a - b);
  report.add('commands_per_s_64_callers_vs_store', median(rates.get(64)!), 'cmd/s', 'store_append_64_events_per_tx', storeCeiling);
  report.add('latency_p50_1_caller', percentile(latencies, 0.5), 'ms', 'raw_append_p50', percentile(raw, 0.5));
  report.add('latency_p99_1_caller', percentile(latencies, 0.99), 'ms', 'raw_append_p99', percentile(raw, 0.99));
  notes.push(`throughput: ${sizes.clusterNodes}-node cluster, SetWorkerState toggles (1 event per command); commands per run ${JSON.stringify(sizes.commands)}, baseline ${sizes.baselineCommands}`);
}

/**
 * A history of `events` cluster events over `nodes` nodes: the prefix (provisioning, registrations, the first
 * activations) through the engine, the rest as the engine would have written it (ids, hash chain, metadata), in
 * appends of 2,000.
 */
export async function buildHistory(store: EventStore, nodes: number, events: number): Promise<void> {
  const engine = await createEngine({ store, cluster: CLUSTER, logger: silent, snapshotEvery: false });
  await setupCluster(engine, nodes);
  await engine.close();
  const stream = clusterStreamId(CLUSTER);
  let revision = -1;
  let hash = '';
  for await (const event of store.readStream(stream, { direction: 'backwards', maxCount: 1 })) {
    revision = event.revision;
    hash = String((event.metadata as { hash?: unknown }).hash);
  }
  const draining = new Uint8Array(nodes + 1);
  const at = Date.parse('2026-01-01T00:00:00.000Z');
  let batch: EventData[] = [];
  for (let i = revision + 1; i < events; i++) {
    const node = (i % nodes) + 1;
    const from = draining[node] === 1 ? 'Draining' : 'Active';
    const to = from === 'Active' ? 'Draining' : 'Active';
    draining[node] = to === 'Draining' ? 1 : 0;
    const commandId = `history-${i}`;
    const id = eventIdFor(CLUSTER, commandId, 0);
    const data = { machine: 'worker', node, from, to, input: { type: 'set-state', to, force: false, replicaSetsSatisfiable: true }, forced: false, nodeId: node };
    const time = new Date(at + i).toISOString();
    hash = chainHash(hash, { id, type: 'WorkerStateChanged', data, commandId, at: time });
    batch.push({ id, type: 'WorkerStateChanged', data, metadata: { commandId, commandType: 'SetWorkerState', at: time, hash, machineVersion: 1 } });
    if (batch.length === 2_000 || i === events - 1) {
      await store.appendToStream(stream, batch, { expectedRevision: revision });
      revision += batch.length;
      batch = [];
    }
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

async function loading(report: BenchReport, dir: string, sizes: Sizes, notes: string[]): Promise<void> {
  const path = join(dir, 'history.db');
  const store = await openSqliteStore(path);
  const built = await timed(() => buildHistory(store, sizes.historyNodes, sizes.historyEvents));
  const stream = clusterStreamId(CLUSTER);
  const total = await store.streamRevision(stream) + 1;
  notes.push(`history: ${total} events over ${sizes.historyNodes} nodes, built in ${(built.ms / 1000).toFixed(1)} s`);

  // One read first, so that every figure below reads from a warm page cache.
  for await (const event of store.readStream(stream)) void event;
  const rawRead = await timed(async () => {
    let n = 0;
    for await (const event of store.readStream(stream)) if (event.revision >= 0) n++;
    return n;
  });
  const reducer = await timed(async () => {
    const workers = new Map<number, string>();
    for await (const event of store.readStream(stream)) {
      const data = event.data as { nodeId?: number; to?: string; workerState?: string };
      switch (event.type) {
        case 'NodeRegistered':
          workers.set(data.nodeId!, data.workerState!);
          break;
        case 'WorkerStateChanged':
          workers.set(data.nodeId!, data.to!);
          break;
      }
    }
    return workers.size;
  });
  const replays: number[] = [];
  let replayed: ClusterState | null = null;
  for (let i = 0; i < 2; i++) {
    const load = await timed(() => createEngine({ store, cluster: CLUSTER, logger: silent, snapshotEvery: false }));
    replays.push(load.ms);
    replayed = load.value.state();
    await load.value.close();
  }
  const replayMs = median(replays);
  const perSecond = (ms: number) => total / (ms / 1000);
  report.add('full_replay_events_per_s', perSecond(replayMs), 'events/s', 'raw_read_events_per_s', perSecond(rawRead.ms));
  report.add('hand_reducer_events_per_s', perSecond(reducer.ms), 'events/s', 'raw_read_events_per_s', perSecond(rawRead.ms));

  const writer = await createEngine({ store, cluster: CLUSTER, logger: silent });
  const snapshotWrite = await timed(() => writer.snapshot());
  await writer.close();
  const loads: number[] = [];
  for (let i = 0; i < 5; i++) {
    const load = await timed(() => createEngine({ store, cluster: CLUSTER, logger: silent, snapshotEvery: false }));
    loads.push(load.ms);
    if (JSON.stringify(load.value.state()) !== JSON.stringify(replayed)) throw new Error('snapshot load differs from the full replay');
    await load.value.close();
  }
  report.add('snapshot_load_ms', median(loads), 'ms', 'full_replay_ms', replayMs);

  // Heap: a loaded engine (from the snapshot) and, for scale, the aggregate alone as plain parsed JSON.
  const json = JSON.stringify(replayed);
  replayed = null;
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return process.memoryUsage();
  };
  const before = await settle();
  const engine = await createEngine({ store, cluster: CLUSTER, logger: silent, snapshotEvery: false });
  const after = await settle();
  const heap = { engine: after.heapUsed - before.heapUsed, buffers: after.arrayBuffers - before.arrayBuffers, state: 0 };
  await engine.close();
  const base = await settle();
  const alone = JSON.parse(json) as ClusterState;
  heap.state = (await settle()).heapUsed - base.heapUsed;
  void alone.revision;
  const mb = (bytes: number) => bytes / 2 ** 20;
  report.add('loaded_engine_heap_mb', mb(heap.engine), 'MB', 'cluster_state_alone_mb', mb(heap.state));
  report.add('loaded_engine_heap_plus_index_buffers_mb', mb(heap.engine + heap.buffers), 'MB', 'cluster_state_alone_mb', mb(heap.state));
  notes.push(`snapshot write: ${snapshotWrite.ms.toFixed(0)} ms; snapshot loads ${loads.map((ms) => ms.toFixed(0)).join(', ')} ms; replays ${replays.map((ms) => ms.toFixed(0)).join(', ')} ms; raw read ${rawRead.ms.toFixed(0)} ms, reducer ${reducer.ms.toFixed(0)} ms`);
  await store.close();
}

export async function run(options: BenchOptions): Promise<void> {
  const sizes = options.quick ? QUICK : FULL;
  const report = new BenchReport('engine');
  const notes: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'clusterchart-bench-engine-'));
  try {
    if (!options.args.includes('--load-only')) await throughput(report, dir, sizes, notes);
    if (!options.args.includes('--throughput-only')) await loading(report, dir, sizes, notes);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  report.printTable(`bench/engine${options.quick ? ' (--quick)' : ''}: sqlite, WAL, synchronous=FULL`, notes);
}
