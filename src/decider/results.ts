/**
 * A command's result, rebuilt from the events it recorded: the decider answers a fresh command with it, and the
 * engine answers a retried command id with its original outcome.
 */
import { type ClusterState, emptyClusterState } from '../domain/cluster-state.js';
import type { Command, CommandType } from '../domain/commands.js';
import { ClusterchartError } from '../domain/errors.js';
import type { DomainEvent, Transition } from '../domain/events.js';
import { printGenerationalNodeId, printPlainNodeId } from '../domain/ids.js';
import type { CommandResult, CommandResults } from '../domain/results.js';
import type { MetadataServerState, StorageState } from '../domain/states.js';
import { DEFAULT_CLUSTER_CONFIG } from './cluster.js';
import { startRefusal } from './log-server.js';
import { liveNodeByName } from './node-index.js';
import { staleHeartbeatReason } from './observations.js';
import { liveOrNull } from './outcome.js';

function eventsOf<K extends DomainEvent['type']>(events: readonly DomainEvent[], type: K): DomainEvent<K>[] {
  return events.filter((e) => e.type === type) as unknown as DomainEvent<K>[];
}

/**
 * Rebuilds a command's result from the events it recorded, so the engine can answer a retried command id with its
 * original outcome. `state` is consulted only for commands that recorded nothing (their result describes the state
 * they found); it may be omitted when `events` is not empty. `alreadyApplied` defaults to true (the retry case); the decider passes false for fresh events.
 *
 * @example
 * const original = resultOf(command, eventsWithThisCommandId, engineState); // { type, alreadyApplied: true, ... }
 */
export function resultOf<T extends CommandType>(
  command: Command<T>,
  events: readonly DomainEvent[],
  state: ClusterState = emptyClusterState(),
  options: Readonly<{ alreadyApplied?: boolean }> = {},
): CommandResult<T> {
  const body = resultBody(command as Command, events, state);
  return { type: command.type, alreadyApplied: options.alreadyApplied ?? true, ...body } as unknown as CommandResult<T>;
}

function resultBody(command: Command, events: readonly DomainEvent[], state: ClusterState): CommandResults[CommandType] {
  switch (command.type) {
    case 'ProvisionCluster': {
      const e = eventsOf(events, 'ClusterProvisioned')[0];
      return { clusterName: e?.data.clusterName ?? state.clusterName ?? command.data.clusterName, config: e?.data.config ?? state.config ?? DEFAULT_CLUSTER_CONFIG };
    }
    case 'SetDefaultLogProvider': {
      const e = eventsOf(events, 'DefaultLogProviderChanged')[0];
      return { config: e?.data.config ?? state.config ?? DEFAULT_CLUSTER_CONFIG };
    }
    case 'RegisterNode': {
      const registered = eventsOf(events, 'NodeRegistered')[0];
      if (registered !== undefined) return { node: printGenerationalNodeId({ id: registered.data.nodeId, generation: registered.data.generation }), created: true };
      const restarted = eventsOf(events, 'NodeRestarted')[0];
      if (restarted !== undefined) return { node: printGenerationalNodeId({ id: restarted.data.nodeId, generation: restarted.data.generation }), created: false };
      // A registration always records an event; without one, describe the node as the state knows it.
      const node = liveNodeByName(state, command.data.name);
      if (node === undefined) {
        throw new ClusterchartError('InvalidInput', `resultOf(RegisterNode "${command.data.name}") needs the events the command recorded.`, {
          name: command.data.name,
        });
      }
      return { node: printGenerationalNodeId(node), created: false };
    }
    case 'RemoveNodes': {
      const removed = eventsOf(events, 'NodeRemoved').map((e) => e.data.nodeId);
      const done = new Set<number>(removed);
      const alreadyRemoved = [...new Set(command.data.nodes)].filter((id) => !done.has(id));
      return { removed: removed.map(printPlainNodeId), alreadyRemoved: alreadyRemoved.map(printPlainNodeId) };
    }
    case 'JoinMetadataCluster':
    case 'RemoveMetadataMember': {
      const change = eventsOf(events, 'MetadataConfigurationChanged')[0];
      const id = command.data.node;
      const moved = eventsOf(events, 'MetadataServerStateChanged').find((e) => e.data.nodeId === id);
      const members = (change?.data.members.map((m) => m.node) ?? Object.keys(state.metadata.members).map(Number)).map(printPlainNodeId);
      const metadataServerState =
        (moved?.data.to as MetadataServerState | undefined) ??
        liveOrNull(state, id)?.metadataServerState ??
        (command.type === 'JoinMetadataCluster' ? 'Member' : 'Standby');
      return { node: printPlainNodeId(id), metadataServerState, version: change?.data.version ?? state.metadata.version, members };
    }
    case 'ProvisionLogServer': {
      const e = eventsOf(events, 'StorageStateChanged')[0];
      return { node: printPlainNodeId(command.data.node), storageState: (e?.data.to as StorageState | undefined) ?? liveOrNull(state, command.data.node)?.storageState ?? 'ReadWrite' };
    }
    case 'StartLogServer': {
      const id = command.data.node;
      const e = eventsOf(events, 'StorageStateChanged')[0];
      const storageState = (e?.data.to as StorageState | undefined) ?? liveOrNull(state, id)?.storageState ?? 'Provisioning';
      const refusal = startRefusal(id, storageState);
      return { node: printPlainNodeId(id), storageState, started: refusal === null, refusal };
    }
    case 'SetStorageState':
    case 'SetWorkerState': {
      const e = events.find((x) => x.type === 'StorageStateChanged' || x.type === 'WorkerStateChanged');
      const t = e === undefined ? null : (e.data as Transition);
      const node = liveOrNull(state, command.data.node);
      const current = command.type === 'SetStorageState' ? node?.storageState : node?.workerState;
      const from = t?.from ?? current ?? command.data.state;
      const to = t?.to ?? current ?? command.data.state;
      return { node: printPlainNodeId(command.data.node), from, to, forced: t?.forced === true } as CommandResults['SetStorageState'];
    }
    case 'CreateLogSegment': {
      const e = eventsOf(events, 'LogSegmentCreated')[0];
      const last = state.logs[command.data.logId]?.at(-1);
      return {
        logId: command.data.logId,
        segment: e?.data.segment ?? last?.segment ?? 0,
        nodeset: (e?.data.nodeset ?? last?.nodeset ?? []).map(printPlainNodeId),
        warning: e?.data.warning ?? null,
      };
    }
    case 'SealLogSegment': {
      const e = eventsOf(events, 'LogSegmentSealed')[0];
      return { logId: command.data.logId, segment: e?.data.segment ?? state.logs[command.data.logId]?.at(-1)?.segment ?? 0 };
    }
    case 'ImportLegacyConfiguration': {
      const imported = eventsOf(events, 'LegacyConfigurationImported')[0];
      const remap = eventsOf(events, 'NodeIdRemapped')[0];
      const nodes = imported?.data.nodes ?? [];
      return {
        clusterName: imported?.data.clusterName ?? command.data.document.clusterName,
        nodes: nodes.filter((n) => !n.tombstone).length + (remap === undefined ? 0 : 1),
        tombstones: nodes.filter((n) => n.tombstone).length + (remap === undefined ? 0 : 1),
        remapped: remap === undefined ? null : { from: printPlainNodeId(remap.data.fromId), to: printPlainNodeId(remap.data.nodeId), generation: remap.data.generation },
      };
    }
    case 'RecordHeartbeat': {
      const node = printGenerationalNodeId(command.data.node);
      // The recorded event says whether the heartbeat was older than the node's generation THEN (a retry answers the
      // same however the node moved on); without one, the state decides.
      const recorded = eventsOf(events, 'NodeHeartbeatObserved')[0];
      const current = recorded !== undefined ? recorded.data.olderThanGeneration : liveOrNull(state, command.data.node.id)?.generation;
      if (current === undefined || command.data.node.generation >= current) return { node, at: command.data.at, ignored: false, reason: null };
      const reason = staleHeartbeatReason(node, printGenerationalNodeId({ id: command.data.node.id, generation: current }));
      return { node, at: command.data.at, ignored: true, reason };
    }
    case 'RecordUnreachable':
      return { node: printPlainNodeId(command.data.node), at: command.data.at };
  }
}
