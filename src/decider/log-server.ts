/**
 * Log-server rules (log-server machine): marker association on provisioning, the start-up checks, and the operator's
 * storage-state changes with the "nodesets stay satisfiable" safety check.
 */
import type { ClusterState, LiveNode } from '../domain/cluster-state.js';
import type { CommandData } from '../domain/commands.js';
import { ClusterchartError, type ErrorCode } from '../domain/errors.js';
import type { ClusterConfig } from '../domain/events.js';
import type { PlainNodeId } from '../domain/ids.js';
import type { LogStoreMarker } from '../domain/schemas.js';
import { STORAGE_CAPABILITIES, type StorageState } from '../domain/states.js';
import { nodesetCandidateCount } from './node-index.js';
import { selectNodeset } from './nodeset.js';
import { operatorMove } from './operator.js';
import { type Lookup, N, type Outcome, type ProvisionedState, accept, expectMove, lookupLive, move, nothingToDo, refuse } from './outcome.js';

/** The live node `id` with the log-server role. */
function logServer(state: ClusterState, id: PlainNodeId): Lookup {
  const found = lookupLive(state, id);
  if (!found.ok) return found;
  if (!found.node.roles.includes('log-server')) return refuse('InvalidRole', `${N(id)} does not have the log-server role.`, { node: N(id) });
  return found;
}

function markerFromAnotherNode(id: PlainNodeId, marker: LogStoreMarker): Outcome {
  return refuse(
    'MarkerFromAnotherNode',
    `The log store was created by another node. Found ${N(marker.nodeId)} while this node is ${N(id)}: this disk belongs ` +
      'to another node (a removed node that restarts gets a new id); wipe it or start the node it belongs to.',
    { node: N(id), found: N(marker.nodeId), markerId: marker.markerId },
  );
}

/**
 * Marker association: `Provisioning -> ReadWrite` records the marker; the same marker again (a retry whose response
 * was lost, in any process) succeeds with nothing written; another marker -> `MarkerMismatch`.
 */
function provisionWithMarker(node: LiveNode, marker: LogStoreMarker): Outcome {
  if (marker.nodeId !== node.id) return markerFromAnotherNode(node.id, marker);
  if (node.storageState === 'Provisioning') {
    const input = { type: 'provision', node: node.id, marker: { nodeId: marker.nodeId, markerId: marker.markerId } } as const;
    const moved = expectMove('log-server', node.id, 'Provisioning', input);
    if (!moved.ok) return moved;
    return accept([{ type: 'StorageStateChanged', data: { ...moved.transition, nodeId: node.id, marker } }]);
  }
  if (node.marker !== null && node.marker.markerId === marker.markerId) return nothingToDo;
  return refuse(
    'MarkerMismatch',
    node.marker === null
      ? `${N(node.id)} is already ${node.storageState} and no marker was recorded for it, so marker ${marker.markerId} cannot be ` +
          'associated with it: another process provisioned this node. Check which process owns it.'
      : `${N(node.id)} was provisioned with marker ${node.marker.markerId}, not ${marker.markerId}: another process or another ` +
          'disk claims this node. Stop the duplicate process, or remove the node and register the disk as a new node.',
    { node: N(node.id), expected: node.marker?.markerId ?? null, found: marker.markerId, storageState: node.storageState },
  );
}

/** `ProvisionLogServer`: associates the marker the log server wrote to its disk. */
export function provisionLogServer(state: ClusterState, data: CommandData['ProvisionLogServer']): Outcome {
  const found = logServer(state, data.node);
  if (!found.ok) return found;
  return provisionWithMarker(found.node, data.marker);
}

/**
 * `StartLogServer`, the start-up check. A Provisioning server must bring its marker (and is provisioned with it); a
 * state that refuses to start records nothing (the result carries the refusal); a server that reports no marker asks
 * the machine, which moves ReadWrite and ReadOnly to DataLoss; another marker than the recorded one is a mismatch.
 */
export function startLogServer(state: ClusterState, data: CommandData['StartLogServer']): Outcome {
  const { node: id, marker } = data;
  const found = logServer(state, id);
  if (!found.ok) return found;
  const node = found.node;
  if (marker !== null && marker.nodeId !== id) return markerFromAnotherNode(id, marker);
  if (node.storageState === 'Provisioning') {
    if (marker === null) {
      return refuse(
        'InvalidInput',
        `${N(id)} is Provisioning and reported no LogStoreMarker: write the marker to the log store first and start with it.`,
        { node: N(id) },
      );
    }
    return provisionWithMarker(node, marker);
  }
  if (STORAGE_CAPABILITIES[node.storageState].startRefusal !== null) return nothingToDo;
  if (marker === null) {
    // The data is gone where the machine says so: record DataLoss (now and for every later start); the result refuses.
    const t = move('log-server', id, node.storageState, { type: 'start', hasMarker: false });
    return t === null ? nothingToDo : accept([{ type: 'StorageStateChanged', data: { ...t, nodeId: id, marker: null } }]);
  }
  if (node.marker !== null && node.marker.markerId !== marker.markerId) return provisionWithMarker(node, marker);
  return nothingToDo;
}

/** Refusals of a start-up check, reported in the StartLogServer result (the command itself succeeds). */
export function startRefusal(id: PlainNodeId, storageState: StorageState): Readonly<{ code: ErrorCode; message: string }> | null {
  switch (STORAGE_CAPABILITIES[storageState].startRefusal) {
    case 'DataLoss':
      return {
        code: 'DataLoss',
        message:
          `A previous generation of ${N(id)} has marked this log-server's storage-state as data-loss: it has lost its data ` +
          'and will not start. Repair or replace the log store, then set the storage state with --force.',
      };
    case 'StorageDisabled':
      return {
        code: 'StorageDisabled',
        message: `${N(id)}: log server cannot run on disabled nodes (storage-state disabled). Remove the node or use another one.`,
      };
    case null:
      return null;
  }
}

/** Would the default replication still be satisfiable by the nodeset candidates if `node` moved to `to`? */
function nodesetsSatisfiableWithout(state: ClusterState, config: ClusterConfig, node: LiveNode, to: StorageState): boolean {
  if (!STORAGE_CAPABILITIES[node.storageState].inNewNodesets || STORAGE_CAPABILITIES[to].inNewNodesets) return true;
  if (config.logProvider !== 'replicated') return true;
  if (config.replication.zone === undefined && config.replication.region === undefined) {
    // Only the number of candidates matters (selectNodeset caps the size by them): count instead of selecting.
    const remaining = nodesetCandidateCount(state) - (node.roles.includes('log-server') ? 1 : 0);
    return remaining >= config.replication.node;
  }
  const view: ClusterState = { ...state, nodes: { ...state.nodes, [node.id]: { ...node, storageState: to } } };
  try {
    selectNodeset(view, config.replication, config.targetNodesetSize);
    return true;
  } catch (error) {
    if (error instanceof ClusterchartError) return false;
    throw error;
  }
}

/** `SetStorageState`: the operator's move; without force only log servers, and only safe moves. */
export function setStorageState(state: ProvisionedState, data: CommandData['SetStorageState']): Outcome {
  const found = data.force ? lookupLive(state, data.node) : logServer(state, data.node);
  if (!found.ok) return found;
  const node = found.node;
  if (node.storageState === data.state) return nothingToDo;
  const from = node.storageState;
  const t = operatorMove(
    'log-server',
    node,
    { from, to: data.state, force: data.force },
    (force, nodesetsSatisfiable) => ({ type: 'set-state', to: data.state, force, nodesetsSatisfiable }),
    nodesetsSatisfiableWithout(state, state.config, node, data.state),
    'storage-state',
    `Safety-check failed: moving ${N(node.id)} from ${from} to ${data.state} leaves too few ReadWrite log servers to ` +
      'form nodesets for the default replication. Provision another log server first, or use --force.',
  );
  if (t instanceof ClusterchartError) return { ok: false, error: t };
  return accept([{ type: 'StorageStateChanged', data: { ...t, nodeId: node.id, marker: null } }]);
}
