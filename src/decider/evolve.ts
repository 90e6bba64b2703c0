/**
 * Applying recorded events to the cluster aggregate: the fast path of replay.
 *
 * Every event that moves a statechart records its to-state, so applying it is a field write: no machine runs per
 * event (`verify` re-runs the machines separately). `applyClusterEvent` MUTATES the state it is given, which works
 * the same on a plain mutable copy (`foldEvents`, the engine's rebuild) and on an immer draft (the
 * NodesConfiguration projection). Each applied cluster event advances `revision` by one.
 *
 * Invariants checked while applying (cheap checks only, each one a field compare): no live node id 0 (a legacy
 * history -> `LegacyNodeZero`, pointing to the migration), ids never reused, generations move forward by one per
 * restart, every recorded `from` equals the current state, metadata members are live nodes, log segments are
 * numbered in order. Any violation -> `HistoryInvalid` naming the position. Name uniqueness among live nodes is
 * guaranteed by the decider and not re-checked here.
 */
import { type Draft, produce } from 'immer';
import type { ClusterState, LiveNode, LogSegment } from '../domain/cluster-state.js';
import { ClusterchartError } from '../domain/errors.js';
import { type DomainEvent, type DomainEventData, OBSERVATION_EVENT_TYPES, type Transition } from '../domain/events.js';
import { FIRST_GENERATION, nextGeneration } from '../domain/ids.js';
import { nodeFieldsOf } from '../domain/node-fields.js';
import { ROLE_MACHINES, type RoleMachine, provisioningStateOf } from './machine-states.js';
import { factsOf, reindex } from './node-index.js';

/** A cluster state that may be written to: a plain copy or an immer draft. */
export type MutableClusterState = Draft<ClusterState>;
type MutableLiveNode = Draft<LiveNode>;

const where = (position: number | undefined) => (position === undefined ? '' : ` at position ${position}`);

function historyInvalid(event: DomainEvent, position: number | undefined, why: string): ClusterchartError {
  return new ClusterchartError(
    'HistoryInvalid',
    `Event ${event.type}${where(position)} cannot follow the history before it: ${why}. The stream was not written ` +
      'by this decider (or was edited); run `clusterchart verify` to find the first bad event.',
    { type: event.type, position: position ?? null },
  );
}

function legacyNodeZero(event: DomainEvent, position: number | undefined): ClusterchartError {
  return new ClusterchartError(
    'LegacyNodeZero',
    `Event ${event.type}${where(position)} holds a live node N0. Node id 0 is reserved (it means "no sender" and is ` +
      'not a valid Raft id); this history comes from a legacy Restate 1.0-1.1 cluster. Import it with ' +
      '`clusterchart migrate legacy FILE`, which remaps N0 to a valid id and keeps its generation.',
    { type: event.type, position: position ?? null, node: 'N0' },
  );
}

function checkTransition(
  event: DomainEvent,
  position: number | undefined,
  data: Transition,
  machine: Transition['machine'],
  current: string,
): void {
  if (data.machine !== machine) throw historyInvalid(event, position, `it records machine "${data.machine}", expected "${machine}"`);
  if (data.from !== current) {
    throw historyInvalid(event, position, `it moves ${data.node === null ? 'the cluster' : `N${data.node}`} from ${data.from}, but the state is ${current}`);
  }
}

function liveNode(state: MutableClusterState, event: DomainEvent, position: number | undefined, id: number): MutableLiveNode {
  const node = state.nodes[id];
  if (node === undefined) throw historyInvalid(event, position, `node N${id} does not exist`);
  if (node.removed) throw historyInvalid(event, position, `node N${id} was removed`);
  return node;
}

/** A live node exactly as a registration, a remap or a legacy import records it; no marker until provisioning. */
function liveNodeOf(d: DomainEventData['NodeRegistered'] | DomainEventData['NodeIdRemapped']): LiveNode {
  return { removed: false, id: d.nodeId, ...nodeFieldsOf(d), marker: null };
}

/** Moves a live node's state in one role machine to the recorded to-state, keeping the node index current. */
function moveRoleState(
  state: MutableClusterState,
  event: DomainEvent,
  position: number | undefined,
  d: Transition & Readonly<{ nodeId: number }>,
  machine: RoleMachine,
): MutableLiveNode {
  const node = liveNode(state, event, position, d.nodeId);
  const field = ROLE_MACHINES[machine].field;
  checkTransition(event, position, d, machine, node[field]);
  const before = factsOf(node);
  // The fold trusts the recorded to-state (`verify` re-runs the machine); it names a state of this machine.
  (node as unknown as Record<typeof field, string>)[field] = d.to;
  reindex(state.nodes, before, factsOf(node));
  return node;
}

function addLiveNode(state: MutableClusterState, event: DomainEvent, position: number | undefined, node: LiveNode): void {
  if (node.id === 0) throw legacyNodeZero(event, position);
  if (state.nodes[node.id] !== undefined) throw historyInvalid(event, position, `node id N${node.id} is already used (ids are never reused)`);
  if (node.generation < FIRST_GENERATION) {
    throw historyInvalid(event, position, `N${node.id} has generation ${node.generation}; generations start at ${FIRST_GENERATION}`);
  }
  state.nodes[node.id] = node as MutableLiveNode;
  reindex(state.nodes, null, factsOf(node));
  if (node.id > state.maxNodeId) state.maxNodeId = node.id;
}

/**
 * Applies one recorded event to `state` in place (plain object or immer draft) and advances `revision`.
 * Observation events (heartbeats, unreachability) belong to the observations stream and leave the aggregate as is.
 * Throws `LegacyNodeZero` or `HistoryInvalid` (with `position`) for a history the decider could not have written.
 *
 * @example
 * const next = produce(state, (draft) => applyClusterEvent(draft, event, 42));
 */
export function applyClusterEvent(state: MutableClusterState, event: DomainEvent, position?: number): void {
  switch (event.type) {
    case 'ClusterProvisioned': {
      const d = event.data;
      checkTransition(event, position, d, 'cluster-provisioning', provisioningStateOf(state));
      state.clusterName = d.clusterName;
      state.config = d.config;
      break;
    }
    case 'DefaultLogProviderChanged': {
      const d = event.data;
      checkTransition(event, position, d, 'cluster-provisioning', provisioningStateOf(state));
      state.config = d.config;
      break;
    }
    case 'NodeRegistered': {
      const d = event.data;
      checkTransition(event, position, d, 'node-lifecycle', 'Unregistered');
      addLiveNode(state, event, position, liveNodeOf(d));
      break;
    }
    case 'NodeRestarted': {
      const d = event.data;
      const node = liveNode(state, event, position, d.nodeId);
      checkTransition(event, position, d, 'node-lifecycle', 'Registered');
      if (d.previousGeneration !== node.generation || d.generation !== nextGeneration(node.generation)) {
        throw historyInvalid(event, position, `N${d.nodeId} is at generation ${node.generation}; it cannot restart from ${d.previousGeneration} to ${d.generation}`);
      }
      const before = factsOf(node);
      node.generation = d.generation;
      node.roles = d.roles as Draft<typeof d.roles>;
      node.address = d.address;
      node.location = d.location;
      reindex(state.nodes, before, factsOf(node));
      break;
    }
    case 'NodeRemoved': {
      const d = event.data;
      const node = liveNode(state, event, position, d.nodeId);
      checkTransition(event, position, d, 'node-lifecycle', 'Registered');
      if (state.metadata.members[d.nodeId] !== undefined) {
        throw historyInvalid(event, position, `N${d.nodeId} is still a metadata member`);
      }
      const before = factsOf(node);
      state.nodes[d.nodeId] = { removed: true, id: d.nodeId, name: node.name };
      reindex(state.nodes, before, { ...before, active: false, candidate: false, live: false });
      break;
    }
    case 'NodeIdRemapped': {
      const d = event.data;
      checkTransition(event, position, d, 'node-lifecycle', 'Unregistered');
      const legacy = state.nodes[d.fromId];
      if (legacy !== undefined && !legacy.removed) throw historyInvalid(event, position, `N${d.fromId} is already live`);
      state.nodes[d.fromId] = { removed: true, id: d.fromId, name: d.name };
      addLiveNode(state, event, position, liveNodeOf(d));
      break;
    }
    case 'MetadataServerStateChanged':
      moveRoleState(state, event, position, event.data, 'metadata-membership');
      break;
    case 'MetadataConfigurationChanged': {
      const d = event.data;
      if (d.version <= state.metadata.version) {
        throw historyInvalid(event, position, `metadata configuration version ${d.version} does not follow ${state.metadata.version}`);
      }
      const members: Record<string, { createdAt: string | null }> = {};
      for (const m of d.members) {
        liveNode(state, event, position, m.node);
        members[m.node] = { createdAt: m.createdAt };
      }
      state.metadata = { version: d.version, members };
      break;
    }
    case 'StorageStateChanged': {
      const node = moveRoleState(state, event, position, event.data, 'log-server');
      if (event.data.marker !== null) node.marker = event.data.marker;
      break;
    }
    case 'WorkerStateChanged':
      moveRoleState(state, event, position, event.data, 'worker');
      break;
    case 'LogSegmentCreated': {
      const d = event.data;
      const segments = (state.logs[d.logId] ??= []);
      const last = segments[segments.length - 1];
      const expected = last === undefined ? 0 : last.segment + 1;
      if (d.segment !== expected) throw historyInvalid(event, position, `log ${d.logId} expects segment ${expected}, not ${d.segment}`);
      if (last !== undefined && !last.sealed) throw historyInvalid(event, position, `segment ${last.segment} of log ${d.logId} is not sealed`);
      const segment: LogSegment = {
        segment: d.segment,
        nodeset: d.nodeset,
        sealed: false,
        ...(d.provider === undefined || d.provider === 'replicated' ? {} : { provider: d.provider }),
      };
      segments.push(segment as Draft<LogSegment>);
      break;
    }
    case 'LogSegmentSealed': {
      const d = event.data;
      const last = state.logs[d.logId]?.at(-1);
      if (last?.segment !== d.segment || last.sealed) {
        throw historyInvalid(event, position, `segment ${d.segment} of log ${d.logId} is not the open segment`);
      }
      last.sealed = true;
      break;
    }
    case 'LegacyConfigurationImported': {
      const d = event.data;
      if (Object.keys(state.nodes).length > 0) {
        throw historyInvalid(event, position, 'a legacy document is imported only into a cluster without nodes');
      }
      state.clusterName = d.clusterName;
      for (const n of d.nodes) {
        if (n.tombstone) {
          if (state.nodes[n.nodeId] !== undefined) throw historyInvalid(event, position, `node id N${n.nodeId} appears twice`);
          state.nodes[n.nodeId] = { removed: true, id: n.nodeId, name: '' };
          if (n.nodeId > state.maxNodeId) state.maxNodeId = n.nodeId;
        } else {
          addLiveNode(state, event, position, { removed: false, id: n.nodeId, ...nodeFieldsOf(n), marker: null });
        }
      }
      break;
    }
    case 'NodeHeartbeatObserved':
    case 'NodeUnreachableObserved':
      return;
    default: {
      const unknown: never = event;
      throw new ClusterchartError('UnknownEventType', `Unknown event type "${(unknown as DomainEvent).type}"${where(position)}.`, {
        position: position ?? null,
      });
    }
  }
  state.revision += 1;
}

/**
 * A private mutable copy of `state`: every container and node entry the fold may write is copied once, shared
 * leaves (role arrays, markers, nodesets, configs) are replaced rather than mutated, so they stay shared.
 *
 * @example
 * const pending = copyClusterState(state);
 * for (const e of decision.events) applyClusterEvent(pending, e);
 */
export function copyClusterState(state: ClusterState): MutableClusterState {
  const nodes: MutableClusterState['nodes'] = {};
  for (const key in state.nodes) nodes[key] = { ...state.nodes[key]! } as MutableClusterState['nodes'][string];
  const members: Record<string, { createdAt: string | null }> = {};
  for (const key in state.metadata.members) members[key] = { ...state.metadata.members[key]! };
  const logs: MutableClusterState['logs'] = {};
  for (const key in state.logs) logs[key] = state.logs[key]!.map((s) => ({ ...s }) as Draft<LogSegment>);
  return {
    revision: state.revision,
    clusterName: state.clusterName,
    config: state.config,
    nodes,
    maxNodeId: state.maxNodeId,
    metadata: { version: state.metadata.version, members },
    logs,
  };
}

/**
 * Folds many events: copies `state` once, then applies every event in place. `positions[i]` (optional) names the
 * position of `events[i]` in error messages. The input state is never modified.
 *
 * @example
 * const state = foldEvents(emptyClusterState(), recorded.map((r) => r.event));
 */
export function foldEvents(state: ClusterState, events: Iterable<DomainEvent>, positions?: readonly number[]): ClusterState {
  const draft = copyClusterState(state);
  let i = 0;
  for (const event of events) {
    applyClusterEvent(draft, event, positions?.[i]);
    i += 1;
  }
  return draft;
}

/**
 * Applies one event immutably (immer): the input state is untouched and unchanged parts are shared.
 *
 * @example
 * const next = evolve(state, { type: 'LogSegmentSealed', data: { logId: 1, segment: 0 } });
 */
export function evolve(state: ClusterState, event: DomainEvent, position?: number): ClusterState {
  if (OBSERVATION_EVENT_TYPES.has(event.type)) return state;
  return produce(state, (draft) => {
    applyClusterEvent(draft, event, position);
  });
}
