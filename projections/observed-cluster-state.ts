/**
 * ObservedClusterState: what the cluster controller believes about which nodes
 * run and which partition processors they host.
 *
 * The fold keeps raw facts only (generation, when the node was last heard, the partitions it last reported, an
 * unreachable mark, tombstoned ids). Liveness depends on time, so it is judged by the pure selector
 * `observedClusterState(facts, { now, deadAfter })` with `now` from the injected clock or an as-of time; the fold
 * itself never reads a clock.
 *
 * Rules:
 * - the nodes configuration is the membership: a node enters on `NodeRegistered` (or an import / remap) and leaves
 *   on `NodeRemoved`; observations for ids outside it are ignored (Restate's failure detector drops nodes that are
 *   not in the config);
 * - a registration or restart is the node announcing itself: it is heard at that generation at the event's time
 *   and hosts no processors yet (a new generation's processors start from nothing);
 * - a heartbeat from the newest generation (or a newer one) marks the node heard, clears an unreachable mark and
 *   REPLACES its partition set; an older generation changes nothing: generations never go back;
 * - an unreachable observation removes the node's processors until it is heard again;
 * - observations are ordered by their own time (`at`), not by when they were recorded: within a generation, one
 *   dated before the newest observation of the node (heartbeat or unreachable) is recorded but changes nothing, so
 *   `lastHeard` never goes back (a tie goes to the later event);
 * - liveness judged at T ignores observations dated after T: a heartbeat "from the future" does not make a node
 *   alive, an unreachable report from the future does not make it dead (the fold keeps only the newest
 *   heartbeat, so a node whose newest heartbeat is dated after T counts as not heard at T);
 * - **forgetting** (#2821 / PR #2833): a removed node is purged from every index at once, not marked dead, and every
 *   later observation for it is ignored.
 */
import type { Draft } from 'immer';
import {
  type GenerationalNodeId,
  type PlainNodeId,
  type RunMode,
  generationalNodeId,
  isGenerational,
  plainNodeId,
  printGenerationalNodeId,
  printPlainNodeId,
} from '../src/domain/index.js';
import { defineProjection } from './projection.js';

/** Partition ids are whole numbers (`0`..`numPartitions - 1`). */
export type PartitionId = number;

export type ObservedNodeFacts = Readonly<{
  /** Newest generation known for the node (from the configuration or a heartbeat). Never decreases. */
  generation: number;
  /** ISO time the newest generation was last heard from; null if it never was. */
  lastHeard: string | null;
  /** ISO time of an unreachable observation not followed by a heartbeat; null otherwise. */
  unreachableAt: string | null;
  /** The partition set the newest generation last reported, as `{ [partitionId]: runMode }`. */
  partitions: Readonly<Record<string, RunMode>>;
}>;

/** The folded facts (JSON-serialisable; records keyed by the decimal node id). */
export type ObservedClusterFacts = Readonly<{
  position: number;
  /** Every node of the configuration that is not tombstoned. */
  nodes: Readonly<Record<string, ObservedNodeFacts>>;
  /** Ids removed for good; observations for them are ignored. */
  tombstones: Readonly<Record<string, true>>;
}>;

const NO_PARTITIONS: Readonly<Record<string, RunMode>> = Object.freeze({});

type Facts = Draft<ObservedClusterFacts>;

/**
 * N0 is never a live node (it is the "nobody" sentinel): a history holding one is reported by the NodesConfiguration
 * projection (`LegacyNodeZero`, with its position); here it is never indexed.
 */
const isIndexable = (draft: Facts, nodeId: number) => nodeId !== 0 && draft.tombstones[nodeId] !== true;

/** Stored times are ISO-8601; compared as instants (a stored time need not be in the normalised form). */
const isBefore = (at: string, than: string | null): boolean => than !== null && Date.parse(at) < Date.parse(than);

/** The time of the node's newest observation: its unreachable mark when set (it is newer than `lastHeard`). */
const newestObservation = (node: ObservedNodeFacts): string | null => node.unreachableAt ?? node.lastHeard;

function announce(draft: Facts, nodeId: number, generation: number, at: string): void {
  if (!isIndexable(draft, nodeId)) return;
  const known = draft.nodes[nodeId];
  if (known !== undefined && known.generation >= generation) return;
  draft.nodes[nodeId] = { generation, lastHeard: at, unreachableAt: null, partitions: NO_PARTITIONS };
}

function join(draft: Facts, nodeId: number, generation: number): void {
  if (!isIndexable(draft, nodeId)) return;
  const known = draft.nodes[nodeId];
  if (known !== undefined && known.generation >= generation) return;
  draft.nodes[nodeId] = { generation, lastHeard: null, unreachableAt: null, partitions: NO_PARTITIONS };
}

function forget(draft: Facts, nodeId: number): void {
  delete draft.nodes[nodeId];
  draft.tombstones[nodeId] = true;
}

export const observedClusterStateProjection = defineProjection<ObservedClusterFacts>({
  name: 'observed-cluster-state',
  version: 2,
  initialState: { position: 0, nodes: {}, tombstones: {} },
  evolve(draft, event) {
    if (event.position <= draft.position) return;
    draft.position = event.position;
    switch (event.type) {
      case 'NodeHeartbeatObserved': {
        const { nodeId, generation, at, partitions } = event.data;
        const node = draft.nodes[nodeId];
        if (node === undefined || generation < node.generation) return;
        if (generation === node.generation && isBefore(at, newestObservation(node))) return;
        node.generation = generation;
        node.lastHeard = at;
        node.unreachableAt = null;
        node.partitions = partitions;
        return;
      }
      case 'NodeUnreachableObserved': {
        const node = draft.nodes[event.data.nodeId];
        if (node === undefined || isBefore(event.data.at, newestObservation(node))) return;
        node.unreachableAt = event.data.at;
        node.partitions = NO_PARTITIONS;
        return;
      }
      case 'NodeRegistered':
      case 'NodeRestarted':
        announce(draft, event.data.nodeId, event.data.generation, event.metadata.at);
        return;
      case 'NodeIdRemapped':
        forget(draft, event.data.fromId);
        join(draft, event.data.nodeId, event.data.generation);
        return;
      case 'NodeRemoved':
        forget(draft, event.data.nodeId);
        return;
      case 'LegacyConfigurationImported':
        for (const node of event.data.nodes) {
          if (node.tombstone) forget(draft, node.nodeId);
          else join(draft, node.nodeId, node.generation);
        }
        return;
      default:
        return;
    }
  },
});

/** Default liveness window. */
export const DEFAULT_DEAD_AFTER_MS = 10_000;

export type LivenessOptions = Readonly<{
  /** The time liveness is judged at: the injected clock's now, or an as-of time. */
  now: Date | number;
  /** A node not heard from for this long (ms) is dead. Default 10 s. */
  deadAfter?: number;
}>;

/** The controller's view at one instant. Every map is keyed by plain node id; every collection is frozen. */
export type ObservedClusterStateView = Readonly<{
  /** Global position of the last event folded in. */
  position: number;
  aliveNodes: ReadonlyMap<PlainNodeId, GenerationalNodeId>;
  deadNodes: ReadonlySet<PlainNodeId>;
  /** Only partitions with at least one processor on an alive node. */
  partitions: ReadonlyMap<PartitionId, ReadonlyMap<PlainNodeId, RunMode>>;
  /** One entry per alive node (empty when it hosts nothing); dead nodes have none. */
  nodesToPartitions: ReadonlyMap<PlainNodeId, ReadonlySet<PartitionId>>;
  /** ISO time each node (alive or dead) was last heard from, for nodes ever heard. */
  lastHeard: ReadonlyMap<PlainNodeId, string>;
}>;

const byKey = <K extends number, V>(entries: [K, V][]): Map<K, V> => new Map(entries.sort((a, b) => a[0] - b[0]));

/**
 * Judges liveness at `now` and builds the indexes: a node is alive when it was heard within `deadAfter` (strictly:
 * heard exactly `deadAfter` ago is dead) and not reported unreachable since; observations dated after `now` do not
 * count; every other node of the configuration
 * is dead; a dead node's processors are removed and partitions left with none are dropped.
 *
 * @example
 * const view = observedClusterState(runner.get(observedClusterStateProjection), { now: clock.now() });
 * isNodeAlive(view, parseNodeId('N1:2'));
 */
export function observedClusterState(facts: ObservedClusterFacts, options: LivenessOptions): ObservedClusterStateView {
  const now = typeof options.now === 'number' ? options.now : options.now.getTime();
  const deadAfter = options.deadAfter ?? DEFAULT_DEAD_AFTER_MS;
  const alive: [PlainNodeId, GenerationalNodeId][] = [];
  const dead: PlainNodeId[] = [];
  const lastHeard: [PlainNodeId, string][] = [];
  const nodesToPartitions: [PlainNodeId, ReadonlySet<PartitionId>][] = [];
  const partitions = new Map<PartitionId, Map<PlainNodeId, RunMode>>();
  for (const [key, node] of Object.entries(facts.nodes)) {
    const id = plainNodeId(Number(key));
    if (node.lastHeard !== null) lastHeard.push([id, node.lastHeard]);
    const heard = node.lastHeard === null ? Number.NaN : Date.parse(node.lastHeard);
    // Observations dated after `now` do not count: neither a heartbeat nor an unreachable report from the future.
    const unreachable = node.unreachableAt !== null && Date.parse(node.unreachableAt) <= now;
    const isAlive = heard <= now && !unreachable && now - heard < deadAfter;
    if (!isAlive) {
      dead.push(id);
      continue;
    }
    alive.push([id, generationalNodeId(id, node.generation)]);
    const hosted: PartitionId[] = [];
    for (const [partitionKey, mode] of Object.entries(node.partitions)) {
      const partition = Number(partitionKey);
      hosted.push(partition);
      let processors = partitions.get(partition);
      if (processors === undefined) partitions.set(partition, (processors = new Map<PlainNodeId, RunMode>()));
      processors.set(id, mode);
    }
    nodesToPartitions.push([id, new Set(hosted.sort((a, b) => a - b))]);
  }
  return Object.freeze({
    position: facts.position,
    aliveNodes: byKey(alive),
    deadNodes: new Set(dead.sort((a, b) => a - b)),
    partitions: byKey([...partitions.entries()].map(([p, m]): [PartitionId, ReadonlyMap<PlainNodeId, RunMode>] => [p, byKey([...m.entries()])])),
    nodesToPartitions: byKey(nodesToPartitions),
    lastHeard: byKey(lastHeard),
  });
}

/** True when the node is alive; a generational id must also match the current generation (Restate's `is_node_alive`). */
export function isNodeAlive(view: ObservedClusterStateView, node: PlainNodeId | GenerationalNodeId): boolean {
  if (!isGenerational(node)) return view.aliveNodes.has(node);
  return view.aliveNodes.get(node.id)?.generation === node.generation;
}

/** The JSON shape of `clusterchart observe --json`: ids printed `N3`, generational ids `N3:2`. */
export type ObservedClusterStateJson = {
  position: number;
  aliveNodes: Record<string, string>;
  deadNodes: string[];
  partitions: Record<string, Record<string, RunMode>>;
  nodesToPartitions: Record<string, number[]>;
  lastHeard: Record<string, string>;
};

/**
 * @example
 * JSON.stringify(observedClusterStateToJson(view)); // {"position":118,"aliveNodes":{"N1":"N1:2"},...}
 */
export function observedClusterStateToJson(view: ObservedClusterStateView): ObservedClusterStateJson {
  const entries = <K, V, R>(m: ReadonlyMap<K, V>, key: (k: K) => string, value: (v: V) => R): Record<string, R> =>
    Object.fromEntries([...m.entries()].map(([k, v]) => [key(k), value(v)]));
  return {
    position: view.position,
    aliveNodes: entries(view.aliveNodes, printPlainNodeId, printGenerationalNodeId),
    deadNodes: [...view.deadNodes].map(printPlainNodeId),
    partitions: entries(view.partitions, String, (m) => entries(m, printPlainNodeId, (mode) => mode)),
    nodesToPartitions: entries(view.nodesToPartitions, printPlainNodeId, (s) => [...s]),
    lastHeard: entries(view.lastHeard, printPlainNodeId, (at) => at),
  };
}
