/**
 * Observation rules (the observations stream): heartbeats and unreachability are recorded for live nodes only, and
 * a heartbeat never reports a generation the node has not registered yet.
 */
import type { ClusterState } from '../domain/cluster-state.js';
import type { CommandData } from '../domain/commands.js';
import { N, type Outcome, accept, lookupLive, refuse } from './outcome.js';

/** Why a heartbeat of an older generation changes nothing (it is recorded all the same: it is an observation). */
export function staleHeartbeatReason(node: string, current: string): string {
  return `${node} is older than the current generation ${current}; generations never go back.`;
}

/**
 * `RecordHeartbeat`: from a live node, at a generation it registered. A heartbeat of an older generation is recorded
 * with the generation it is older than (the result says it was ignored: ObservedClusterState never moves a
 * generation back). The event carries that judgement so that a retry of the command, however much later, answers
 * the same.
 */
export function recordHeartbeat(state: ClusterState, data: CommandData['RecordHeartbeat']): Outcome {
  const found = lookupLive(state, data.node.id);
  if (!found.ok) return found;
  const current = found.node.generation;
  if (data.node.generation > current) {
    return refuse(
      'GenerationMismatch',
      `Heartbeat from ${N(data.node.id)}:${data.node.generation}, but ${N(data.node.id)} is registered at generation ${current}: ` +
        'a generation is observed only after the node registered it.',
      { node: N(data.node.id), expected: current, found: data.node.generation },
    );
  }
  return accept([
    {
      type: 'NodeHeartbeatObserved',
      data: {
        nodeId: data.node.id,
        generation: data.node.generation,
        at: data.at,
        partitions: data.partitions,
        ...(data.node.generation < current ? { olderThanGeneration: current } : {}),
      },
    },
  ]);
}

/** `RecordUnreachable`: about a live node. */
export function recordUnreachable(state: ClusterState, data: CommandData['RecordUnreachable']): Outcome {
  const found = lookupLive(state, data.node);
  if (!found.ok) return found;
  return accept([{ type: 'NodeUnreachableObserved', data: { nodeId: data.node, at: data.at } }]);
}
