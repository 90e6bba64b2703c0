/**
 * `npm run bench -- decider [--quick]`: the pure domain core.
 * - decide: commands per second against one mutable state (the engine's path: decide, then applyClusterEvent in
 *   place), baseline the immutable path (decide, then immer `evolve` per event);
 * - replay: `foldEvents` of the whole history (10,000 nodes, 1,000,000 events; target >= 500,000 events/s),
 *   baseline immer `evolve` one event at a time;
 * - verify: `verifyTransition` with one reused actor scope per machine, baseline XState's public `transition()`
 *   (an inert actor per call).
 * Sizes shrink with --quick. Figures only; nothing here asserts on time.
 */
import { transition } from 'xstate';
import { MACHINES, createTransitionRunner } from '../machines/index.js';
import { type ClusterState, type Command, type DomainEvent, emptyClusterState, transitionOf } from '../src/domain/index.js';
import { applyClusterEvent, copyClusterState, decide, evolve, foldEvents, verifyTransition } from '../src/decider/index.js';
import { BenchReport, type BenchOptions, median } from './report.js';

let seq = 0;
const command = (type: Command['type'], data: unknown): Command => {
  seq += 1;
  return { type, data, commandId: `bench-${seq}` } as Command;
};

/** The command mix of a busy cluster: worker drains and returns, log servers drain and return, restarts. */
function* workload(nodes: number): Generator<Command> {
  yield command('ProvisionCluster', { clusterName: 'bench', logProvider: 'replicated', replication: { node: 1 }, targetNodesetSize: 0, numPartitions: 24, metadataServer: 'replicated' });
  for (let i = 1; i <= nodes; i += 1) yield command('RegisterNode', { name: `n${i}`, roles: ['worker', 'log-server'], address: `10.0.0.${i}:5122`, autoJoin: true });
  for (let i = 1; i <= nodes; i += 1) yield command('ProvisionLogServer', { node: i, marker: { nodeId: i, markerId: `m${i}`, createdAt: '2026-01-01T00:00:00.000Z' } });
  for (let i = 1; i <= nodes; i += 1) yield command('SetWorkerState', { node: i, state: 'Active', force: false });
  for (let round = 0; ; round += 1) {
    const out = round % 2 === 0;
    for (let i = 2; i <= nodes; i += 1) {
      yield command('SetWorkerState', { node: i, state: out ? 'Draining' : 'Active', force: false });
      if (i % 4 === 0) yield command('SetStorageState', { node: i, state: out ? 'ReadOnly' : 'ReadWrite', force: false });
      if (i % 16 === 0) yield command('RegisterNode', { name: `n${i}`, roles: ['worker', 'log-server'], address: `10.0.1.${i}:5122`, autoJoin: true });
    }
  }
}

const time = (f: () => void): number => {
  const start = performance.now();
  f();
  return (performance.now() - start) / 1000;
};

export async function run(options: BenchOptions): Promise<void> {
  const nodes = options.quick ? 1_000 : 10_000;
  const total = options.quick ? 100_000 : 1_000_000;
  const report = new BenchReport('decider');

  // decide + apply in place, until the history holds `total` events.
  const events: DomainEvent[] = [];
  const state = copyClusterState(emptyClusterState());
  let commands = 0;
  const decideSeconds = time(() => {
    for (const c of workload(nodes)) {
      const d = decide(state as ClusterState, c);
      if (!d.ok) throw d.error;
      for (const e of d.events) {
        applyClusterEvent(state, e);
        events.push(e);
      }
      commands += 1;
      if (events.length >= total) break;
    }
  });
  // Baseline: the same kind of commands through the immutable path, on a copy of the final state.
  let immutable: ClusterState = foldEvents(emptyClusterState(), events);
  const sample = options.quick ? 2_000 : 10_000;
  let immutableCommands = 0;
  const immutableSeconds = time(() => {
    for (let k = 0; k < sample; k += 1) {
      const i = 2 + (k % (nodes - 1));
      const node = immutable.nodes[i];
      const to = node !== undefined && !node.removed && node.workerState === 'Active' ? 'Draining' : 'Active';
      const d = decide(immutable, command('SetWorkerState', { node: i, state: to, force: false }));
      if (!d.ok) throw d.error;
      for (const e of d.events) immutable = evolve(immutable, e);
      immutableCommands += 1;
    }
  });
  report.add(`decide_apply_cmd_per_s_${nodes}_nodes`, commands / decideSeconds, 'cmd/s', 'decide_then_immer_evolve', immutableCommands / immutableSeconds);

  // Replay: foldEvents over the whole history, median of 3; baseline immer evolve per event on a prefix.
  const foldRates: number[] = [];
  for (let r = 0; r < 3; r += 1) {
    let folded: ClusterState | undefined;
    const seconds = time(() => {
      folded = foldEvents(emptyClusterState(), events);
    });
    if (folded?.revision !== events.length - 1) throw new Error('fold lost events');
    foldRates.push(events.length / seconds);
  }
  const prefix = events.slice(0, options.quick ? 20_000 : 100_000);
  const evolveSeconds = time(() => {
    prefix.reduce((s, e) => evolve(s, e), emptyClusterState());
  });
  report.add(`fold_events_per_s_${events.length}_events_${nodes}_nodes`, median(foldRates), 'events/s', 'immer_evolve_per_event', prefix.length / evolveSeconds);

  // Verify: every recorded transition re-run through its machine.
  const transitions = events.slice(0, options.quick ? 20_000 : 200_000).filter((e) => transitionOf(e) !== null);
  const runner = createTransitionRunner();
  const verifySeconds = time(() => {
    for (const e of transitions) if (verifyTransition(e, runner) !== null) throw new Error(`does not verify: ${e.type}`);
  });
  const publicSample = transitions.slice(0, options.quick ? 2_000 : 20_000);
  const publicSeconds = time(() => {
    for (const e of publicSample) {
      const t = transitionOf(e)!;
      const { machine } = MACHINES[t.machine];
      const [next] = transition(machine, machine.resolveState({ value: t.from, context: machine.config.context ?? {} }), t.input as never);
      if (next.value !== t.to) throw new Error('public transition disagrees');
    }
  });
  report.add('verify_transitions_per_s', transitions.length / verifySeconds, 'events/s', 'xstate_public_transition', publicSample.length / publicSeconds);

  report.printTable(`decider bench (${nodes} nodes, ${events.length} events, ${commands} commands)`, [
    `fold runs: ${foldRates.map((r) => Math.round(r)).join(', ')} events/s (target >= 500,000 events/s on 1,000,000 events / 10,000 nodes)`,
  ]);
  await Promise.resolve();
}
