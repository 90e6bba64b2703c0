/**
 * Facts derived from a `nodes` record — name -> id of the live nodes, how many live workers are in replica sets, how
 * many live log servers may join new nodesets — cached per record object and never stored in the state (which stays
 * plain JSON). The fold (`applyClusterEvent`) keeps the cached index of the record it mutates current (`reindex`),
 * so the mutable fold and the engine's pending state answer in O(1); a new record (an immer result, a copy, a parsed
 * snapshot) gets its index built once on first use. A name hit is re-checked against the record itself.
 * Invariant this relies on: a `nodes` record is only changed through `applyClusterEvent`.
 */
import type { ClusterState, LiveNode, NodeEntry } from '../domain/cluster-state.js';
import { STORAGE_CAPABILITIES, WORKER_CAPABILITIES } from '../domain/states.js';

type NodeIndex = { byName: Map<string, number>; activeWorkers: number; nodesetCandidates: number };
const indexes = new WeakMap<object, NodeIndex>();

/** A live worker whose state joins replica sets (`Active`). */
export const isActiveWorker = (n: NodeEntry): boolean =>
  !n.removed && n.roles.includes('worker') && WORKER_CAPABILITIES[n.workerState].inReplicaSets;

/** A live log server whose storage state admits it to new nodesets (`ReadWrite`). */
export const isNodesetCandidate = (n: NodeEntry): n is LiveNode =>
  !n.removed && n.roles.includes('log-server') && STORAGE_CAPABILITIES[n.storageState].inNewNodesets;

function indexOf(nodes: ClusterState['nodes']): NodeIndex {
  let index = indexes.get(nodes);
  if (index === undefined) {
    index = { byName: new Map(), activeWorkers: 0, nodesetCandidates: 0 };
    for (const entry of Object.values(nodes)) {
      if (entry.removed) continue;
      index.byName.set(entry.name, entry.id);
      if (isActiveWorker(entry)) index.activeWorkers += 1;
      if (isNodesetCandidate(entry)) index.nodesetCandidates += 1;
    }
    indexes.set(nodes, index);
  }
  return index;
}

/**
 * The live node called `name`, if any (names are unique among live nodes).
 *
 * @example
 * const node = liveNodeByName(state, 'n1'); // LiveNode | undefined
 */
export function liveNodeByName(state: ClusterState, name: string): LiveNode | undefined {
  const id = indexOf(state.nodes).byName.get(name);
  if (id === undefined) return undefined;
  const entry = state.nodes[id];
  if (entry !== undefined && !entry.removed && entry.name === name) return entry;
  // The record changed behind the index's back: rebuild it from the record.
  indexes.delete(state.nodes);
  const rebuilt = indexOf(state.nodes).byName.get(name);
  const found = rebuilt === undefined ? undefined : state.nodes[rebuilt];
  return found !== undefined && !found.removed ? found : undefined;
}

/**
 * How many live nodes with the worker role are `Active` (the replica-set safety check), in O(1).
 *
 * @example
 * const canDrain = activeWorkerCount(state) > 1;
 */
export function activeWorkerCount(state: ClusterState): number {
  return indexOf(state.nodes).activeWorkers;
}

/**
 * How many live log servers may join a new nodeset (`ReadWrite`): `nodesetCandidates(state).length` in O(1).
 *
 * @example
 * const satisfiable = nodesetCandidateCount(state) >= config.replication.node;
 */
export function nodesetCandidateCount(state: ClusterState): number {
  return indexOf(state.nodes).nodesetCandidates;
}

/** What the index knows of one entry. */
export type IndexedFacts = Readonly<{ name: string; id: number; active: boolean; candidate: boolean; live: boolean }>;

/** The facts of a live entry, taken before and after the fold changes it. */
export const factsOf = (n: NodeEntry): IndexedFacts => ({
  name: n.name,
  id: n.id,
  active: isActiveWorker(n),
  candidate: isNodesetCandidate(n),
  live: !n.removed,
});

/** Keeps an existing index of `nodes` current after one entry changed (`before`/`after` as they were/are). */
export function reindex(nodes: ClusterState['nodes'], before: IndexedFacts | null, after: IndexedFacts): void {
  const index = indexes.get(nodes);
  if (index === undefined) return;
  if (before?.live === true) index.byName.delete(before.name);
  if (after.live) index.byName.set(after.name, after.id);
  index.activeWorkers += (after.active ? 1 : 0) - (before?.active === true ? 1 : 0);
  index.nodesetCandidates += (after.candidate ? 1 : 0) - (before?.candidate === true ? 1 : 0);
}
