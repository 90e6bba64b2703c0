/**
 * The pure cluster decider: `decide(state, command)` judges one command against one consistent cluster state (the
 * role Restate's compare-and-set NodesConfiguration plays) and returns the events to append, or a typed refusal.
 * `evolve` (in `apply.ts`) applies them.
 *
 * Every role transition is asked of its statechart (`runTransition`): a machine that does not accept the input IS
 * the refusal, and the accepted transition is recorded (machine, node, from, to, input, forced). Cross-node facts a
 * guard needs (removal checks, "nodesets stay satisfiable", "was a previous member") are computed here and put into
 * the input, so `verify` can re-run each recorded transition on its own.
 *
 * Rules: never throws for a domain refusal; never reads the clock or randomness (time arrives in command payloads);
 * a refusal produces no events; a command whose effect is already the state succeeds with no events and
 * `alreadyApplied: true`.
 *
 * `PendingReconfiguration` is never produced: a metadata reconfiguration is decided and appended atomically with the
 * configuration change and every node state it implies (one append, guarded by the stream revision), so no
 * in-between "pending" configuration is ever observable. A concurrent writer surfaces as `WrongExpectedVersion` in the
 * engine, which re-decides against the new state.
 */
import { runTransition } from '../../machines/index.js';
import { activeWorkerCount, liveNodeByName, nodesetCandidateCount } from './evolve.js';
import { type ClusterState, type LiveNode, type MetadataMember, type NodeEntry, emptyClusterState } from '../domain/cluster-state.js';
import type { Command, CommandType, LegacyDocument } from '../domain/commands.js';
import { ClusterchartError, type ErrorCode, type ErrorContext } from '../domain/errors.js';
import type { ClusterConfig, DomainEvent, DomainEventData, MachineInput, MachineName, Transition } from '../domain/events.js';
import { type PlainNodeId, generationalNodeId, plainNodeId } from '../domain/ids.js';
import { selectNodeset } from './nodeset.js';
import type { CommandResult, CommandResults } from '../domain/results.js';
import type { LogStoreMarker } from '../domain/schemas.js';
import { type MetadataServerState, type Role, STORAGE_CAPABILITIES, type StorageState, type WorkerState } from '../domain/states.js';

export { evolve } from './evolve.js';

export type Decision<T extends CommandType = CommandType> =
  | Readonly<{ ok: true; events: readonly DomainEvent[]; result: CommandResult<T> }>
  | Readonly<{ ok: false; error: ClusterchartError }>;

/** The configuration `ProvisionCluster` writes when given no options, and a legacy import adopts (DOMAIN.md §4). */
export const DEFAULT_CLUSTER_CONFIG: ClusterConfig = {
  logProvider: 'replicated',
  replication: { node: 1 },
  targetNodesetSize: 0,
  numPartitions: 24,
  metadataServer: 'replicated',
};

type Outcome = Readonly<{ ok: true; events: readonly DomainEvent[] }> | Readonly<{ ok: false; error: ClusterchartError }>;

const refuse = (code: ErrorCode, message: string, context: ErrorContext = {}): Outcome => ({
  ok: false,
  error: new ClusterchartError(code, message, context),
});
const accept = (events: readonly DomainEvent[]): Outcome => ({ ok: true, events });
const nothingToDo: Outcome = accept([]);

const N = (id: number) => `N${id}`;

/**
 * Judges a command against one consistent state. Never throws for a domain refusal; never reads clock or randomness.
 *
 * @example
 * const d = decide(state, { type: 'RegisterNode', commandId: 'c1', data: { name: 'n1', roles: ['log-server'], address: '', autoJoin: true } });
 * if (d.ok) store.append(d.events); else console.error(d.error.code, d.error.message);
 */
export function decide<T extends CommandType>(state: ClusterState, command: Command<T>): Decision<T> {
  let outcome: Outcome;
  try {
    outcome = decideEvents(state, command as Command);
  } catch (error) {
    // Validation helpers (ids, nodeset selection) signal refusals by throwing a ClusterchartError.
    if (error instanceof ClusterchartError) return { ok: false, error };
    throw error;
  }
  if (!outcome.ok) return outcome;
  const result = resultOf(command, outcome.events, state, { alreadyApplied: outcome.events.length === 0 });
  return { ok: true, events: outcome.events, result };
}

function decideEvents(state: ClusterState, command: Command): Outcome {
  if (command.type === 'ImportLegacyConfiguration') return importLegacy(state, command.data);
  if (state.config === null) {
    if (command.type === 'ProvisionCluster') return provisionCluster(command.data);
    return refuse(
      'NotProvisioned',
      `The cluster has not been provisioned yet, so ${command.type} cannot run: provision it first (ProvisionCluster / ` +
        '`clusterchart provision`), or import a legacy configuration.',
      { command: command.type },
    );
  }
  switch (command.type) {
    case 'ProvisionCluster':
      return refuse('AlreadyProvisioned', 'The cluster has already been provisioned; change settings with SetDefaultLogProvider.', {
        clusterName: state.clusterName ?? '',
      });
    case 'SetDefaultLogProvider':
      return setDefaultLogProvider(state.config, command.data);
    case 'RegisterNode':
      return registerNode(state, command.data);
    case 'RemoveNodes':
      return removeNodes(state, state.config, command.data.nodes);
    case 'JoinMetadataCluster':
      return joinMetadataCluster(state, command.data);
    case 'RemoveMetadataMember':
      return removeMetadataMember(state, command.data.node);
    case 'ProvisionLogServer':
      return provisionLogServer(state, command.data.node, command.data.marker);
    case 'StartLogServer':
      return startLogServer(state, command.data.node, command.data.marker);
    case 'SetStorageState':
      return setStorageState(state, state.config, command.data);
    case 'SetWorkerState':
      return setWorkerState(state, command.data);
    case 'CreateLogSegment':
      return createLogSegment(state, state.config, command.data.logId);
    case 'SealLogSegment':
      return sealLogSegment(state, command.data.logId);
    case 'RecordHeartbeat':
      return recordHeartbeat(state, command.data);
    case 'RecordUnreachable':
      return recordUnreachable(state, command.data);
  }
}

// ---- lookups -------------------------------------------------------------------------------------------------------

type Lookup = Readonly<{ ok: true; node: LiveNode }> | Readonly<{ ok: false; error: ClusterchartError }>;

/** A plain id matches any generation (DOMAIN.md §0). */
function lookupLive(state: ClusterState, id: number): Lookup {
  const entry: NodeEntry | undefined = state.nodes[id];
  if (entry === undefined) {
    return { ok: false, error: new ClusterchartError('UnknownNode', `node ${N(id)} was not found in config`, { node: N(id) }) };
  }
  if (entry.removed) {
    return {
      ok: false,
      error: new ClusterchartError('NodeDeleted', `node ${N(id)} has been permanently deleted from config`, { node: N(id) }),
    };
  }
  return { ok: true, node: entry };
}

/** Asks `machine` whether it accepts `input` from `from`; the recorded transition, or null for a refusal. */
function move(machine: MachineName, node: PlainNodeId | null, from: string, input: MachineInput, forced?: boolean): Transition | null {
  const to = runTransition(machine, from, input);
  if (to === null) return null;
  return forced === undefined ? { machine, node, from, to, input } : { machine, node, from, to, input, forced };
}

function machineRefused(machine: MachineName, from: string, input: MachineInput): ClusterchartError {
  return new ClusterchartError(
    'InvalidState',
    `The ${machine} statechart does not accept ${input.type} in state ${from}; this is a defect of the decider, please report it.`,
    { machine, from, event: input.type },
  );
}

// ---- provisioning (§4) ---------------------------------------------------------------------------------------------

function provisionCluster(data: Command<'ProvisionCluster'>['data']): Outcome {
  const config: ClusterConfig = {
    logProvider: data.logProvider,
    replication: data.replication,
    targetNodesetSize: data.targetNodesetSize,
    numPartitions: data.numPartitions,
    metadataServer: data.metadataServer,
  };
  const input = { type: 'provision', provider: config.logProvider };
  const t = move('cluster-provisioning', null, 'Unprovisioned', input);
  if (t === null) return { ok: false, error: machineRefused('cluster-provisioning', 'Unprovisioned', input) };
  return accept([{ type: 'ClusterProvisioned', data: { ...t, clusterName: data.clusterName, config } }]);
}

const sameReplication = (a: ClusterConfig['replication'], b: ClusterConfig['replication']) =>
  a.node === b.node && a.zone === b.zone && a.region === b.region;

function setDefaultLogProvider(config: ClusterConfig, data: Command<'SetDefaultLogProvider'>['data']): Outcome {
  const next: ClusterConfig = {
    ...config,
    logProvider: data.provider,
    replication: data.replication ?? config.replication,
    targetNodesetSize: data.targetNodesetSize ?? config.targetNodesetSize,
  };
  if (
    next.logProvider === config.logProvider &&
    sameReplication(next.replication, config.replication) &&
    next.targetNodesetSize === config.targetNodesetSize
  ) {
    return nothingToDo;
  }
  const t = move('cluster-provisioning', null, 'Provisioned', { type: 'change-provider', provider: data.provider });
  if (t === null) {
    return refuse(
      'ChooseReplicatedLoglet',
      `changing default provider kind to ${data.provider} is not supported. Choose 'replicated' instead.`,
      { provider: data.provider, current: config.logProvider },
    );
  }
  return accept([{ type: 'DefaultLogProviderChanged', data: { ...t, config: next } }]);
}

// ---- registration (§1) ---------------------------------------------------------------------------------------------

function registerNode(state: ClusterState, data: Command<'RegisterNode'>['data']): Outcome {
  // Hand-built commands skip parseCommand: re-validate the forced id (0 -> ReservedNodeId).
  const forced = data.forceNodeId === undefined ? undefined : plainNodeId(data.forceNodeId);
  const roles = [...new Set(data.roles)];
  const existing = liveNodeByName(state, data.name);
  if (existing !== undefined) return restartNode(state, existing, data, roles, forced);

  let id: PlainNodeId;
  if (forced === undefined) {
    id = plainNodeId(state.maxNodeId + 1);
  } else {
    const taken = state.nodes[forced];
    if (taken?.removed === true) {
      return refuse(
        'NodeIdRetired',
        `Node id ${N(forced)} belonged to a removed node and is never reused (ids identify history). Register "${data.name}" ` +
          'without forceNodeId to get a fresh id.',
        { node: N(forced), name: data.name },
      );
    }
    if (taken !== undefined) {
      return refuse(
        'NodeIdInUse',
        `Node id ${N(forced)} is already used by "${taken.name}". Choose a free id or register without forceNodeId.`,
        { node: N(forced), name: data.name, usedBy: taken.name },
      );
    }
    id = forced;
  }
  const generation = 1;
  const t = move('node-lifecycle', id, 'Unregistered', { type: 'register', nodeId: id, generation });
  if (t === null) return { ok: false, error: machineRefused('node-lifecycle', 'Unregistered', { type: 'register' }) };
  const metadataServer = roles.includes('metadata-server');
  const metadataServerState: MetadataServerState = metadataServer && data.autoJoin ? 'AutoJoin' : 'Standby';
  const events: DomainEvent[] = [
    {
      type: 'NodeRegistered',
      data: {
        ...t,
        nodeId: id,
        generation,
        name: data.name,
        roles,
        address: data.address,
        location: data.location ?? null,
        metadataServerState,
        storageState: 'Provisioning',
        workerState: 'Provisioning',
      },
    },
  ];
  // The very first metadata node of a provisioned cluster seeds the metadata cluster as its only member.
  if (metadataServerState === 'AutoJoin' && Object.keys(state.metadata.members).length === 0) {
    events.push(...reconfigure(state, { [id]: { createdAt: null } }, { kind: 'seed', node: id }, new Map([[id, metadataServerState]])));
  }
  return accept(events);
}

function restartNode(
  state: ClusterState,
  node: LiveNode,
  data: Command<'RegisterNode'>['data'],
  roles: readonly Role[],
  forced: PlainNodeId | undefined,
): Outcome {
  if (forced !== undefined && forced !== node.id) {
    return refuse(
      'NodeIdMismatch',
      `node id mismatch; configured node id '${N(forced)}', actual node id '${N(node.id)}' for node "${node.name}". ` +
        `Remove forceNodeId or set it to ${node.id}.`,
      { name: node.name, configured: N(forced), actual: N(node.id) },
    );
  }
  if (state.metadata.members[node.id] !== undefined && !roles.includes('metadata-server')) {
    return refuse(
      'InvalidRole',
      `${N(node.id)} is a member of the metadata cluster and cannot restart without the metadata-server role: remove it ` +
        'from the metadata cluster first (RemoveMetadataMember).',
      { node: N(node.id) },
    );
  }
  const generation = node.generation + 1;
  const input = { type: 'restart', previousGeneration: node.generation, generation };
  const t = move('node-lifecycle', node.id, 'Registered', input);
  if (t === null) return { ok: false, error: machineRefused('node-lifecycle', 'Registered', input) };
  return accept([
    {
      type: 'NodeRestarted',
      data: {
        ...t,
        nodeId: node.id,
        generation,
        previousGeneration: node.generation,
        roles,
        address: data.address,
        // Restate: empty -> set and set -> other are taken; set -> empty is ignored.
        location: data.location === undefined || data.location === '' ? node.location : data.location,
      },
    },
  ]);
}

// ---- removal (§3) --------------------------------------------------------------------------------------------------

function removeNodes(state: ClusterState, config: ClusterConfig, ids: readonly PlainNodeId[]): Outcome {
  const events: DomainEvent[] = [];
  const refusals: ClusterchartError[] = [];
  const unsealed = unsealedSegments(state);
  for (const id of [...new Set(ids)]) {
    const entry = state.nodes[id];
    if (entry === undefined || entry.removed) continue;
    const inNodeset = unsealed.find((s) => s.nodeset.includes(id));
    const logChecksApply = entry.roles.includes('log-server') || inNodeset !== undefined;
    const storage = entry.storageState;
    const drained = storage === 'Disabled';
    const checks = {
      logServerReadWrite: logChecksApply && storage === 'ReadWrite',
      inUnsealedNodeset: logChecksApply && !drained && inNodeset !== undefined,
      localLoglets:
        logChecksApply && !drained && (config.logProvider !== 'replicated' || unsealed.some((s) => s.provider !== undefined)),
      metadataMember: entry.roles.includes('metadata-server') && entry.metadataServerState === 'Member',
    };
    const t = move('node-lifecycle', id, 'Registered', { type: 'remove', ...checks });
    if (t !== null) {
      events.push({ type: 'NodeRemoved', data: { ...t, nodeId: id, name: entry.name } });
      continue;
    }
    if (checks.logServerReadWrite) {
      refusals.push(
        new ClusterchartError(
          'LogServerReadWrite',
          `${N(id)}: log server cannot be disabled because it is in read-write state. Set it to read-only and wait until it is in no nodeset, or set it to disabled.`,
          { node: N(id) },
        ),
      );
    } else if (checks.localLoglets && config.logProvider !== 'replicated') {
      refusals.push(
        new ClusterchartError(
          'DefaultLogletProvider',
          `${N(id)}: the default log provider is ${config.logProvider}, so the log server may still hold log data; switch to replicated first.`,
          { node: N(id), provider: config.logProvider },
        ),
      );
    } else if (checks.localLoglets) {
      refusals.push(
        new ClusterchartError(
          'LocalLoglet',
          `${N(id)}: an unsealed local/in-memory log segment exists; seal it before removing log servers.`,
          { node: N(id) },
        ),
      );
    } else if (checks.inUnsealedNodeset) {
      const s = inNodeset!;
      refusals.push(
        new ClusterchartError(
          'NodeSetMember',
          `${N(id)}: log server is part of a node set of loglet ${s.logId} (segment ${s.segment}); seal or trim that segment first.`,
          { node: N(id), logId: s.logId, segment: s.segment },
        ),
      );
    } else {
      refusals.push(
        new ClusterchartError(
          'MetadataMember',
          `${N(id)}: metadata server is an active member; remove it from the metadata cluster first (RemoveMetadataMember).`,
          { node: N(id) },
        ),
      );
    }
  }
  const [first, ...more] = refusals;
  if (first === undefined) return accept(events);
  // All or nothing: one refusal writes nothing. The first refusal keeps its code; the message lists the rest.
  if (more.length === 0) return { ok: false, error: first };
  return refuse(
    first.code,
    `${first.message} Also refused: ${more.map((e) => `${e.code} (${String(e.context.node)})`).join(', ')}. No node was removed.`,
    { ...first.context, refused: refusals.map((e) => String(e.context.node)) },
  );
}

type OpenSegment = Readonly<{ logId: number; segment: number; nodeset: readonly PlainNodeId[]; provider: string | undefined }>;

function unsealedSegments(state: ClusterState): OpenSegment[] {
  const out: OpenSegment[] = [];
  for (const logId in state.logs) {
    for (const s of state.logs[logId]!) {
      if (!s.sealed) out.push({ logId: Number(logId), segment: s.segment, nodeset: s.nodeset, provider: s.provider });
    }
  }
  return out;
}

// ---- metadata membership (§2) -------------------------------------------------------------------------------------

/**
 * The configuration change plus every node state it implies. Every live metadata-server node is fed the
 * `reconfigure` event with its two facts (in the new members? in the previous ones?) and the metadata-membership
 * machine alone decides who moves, so the rule "only previous members are demoted" lives in one place.
 * `pending` holds nodes registered in the same decision (not in `state` yet) with their state.
 */
function reconfigure(
  state: ClusterState,
  members: Readonly<Record<string, MetadataMember>>,
  change: DomainEventData['MetadataConfigurationChanged']['change'],
  pending: ReadonlyMap<number, MetadataServerState> = new Map(),
): DomainEvent[] {
  const previous = state.metadata.members;
  const version = state.metadata.version + 1;
  const memberList = Object.keys(members)
    .map(Number)
    .sort((a, b) => a - b)
    .map((id) => ({ node: id as PlainNodeId, createdAt: members[id]!.createdAt }));
  const events: DomainEvent[] = [{ type: 'MetadataConfigurationChanged', data: { version, members: memberList, change } }];
  const candidates = new Map<number, MetadataServerState>();
  for (const key in state.nodes) {
    const entry = state.nodes[key]!;
    if (!entry.removed && entry.roles.includes('metadata-server')) candidates.set(entry.id, entry.metadataServerState);
  }
  for (const [id, from] of pending) candidates.set(id, from);
  for (const id of [...candidates.keys()].sort((a, b) => a - b)) {
    const from = candidates.get(id)!;
    const input = { type: 'reconfigure', inNewMembers: members[id] !== undefined, wasPreviousMember: previous[id] !== undefined };
    const t = move('metadata-membership', id as PlainNodeId, from, input);
    if (t !== null) events.push({ type: 'MetadataServerStateChanged', data: { ...t, nodeId: id as PlainNodeId } });
  }
  return events;
}

function joinMetadataCluster(state: ClusterState, data: Command<'JoinMetadataCluster'>['data']): Outcome {
  const id = data.node;
  const member = state.metadata.members[id];
  if (member !== undefined) {
    if (data.createdAt !== undefined && member.createdAt !== null && member.createdAt !== data.createdAt) {
      return refuse(
        'ClusterIdentityMismatch',
        `${N(id)} is a metadata member with storage created at ${member.createdAt}, but this join comes from storage created ` +
          `at ${data.createdAt}: the node lost its disk. Remove the member (RemoveMetadataMember) and join again.`,
        { node: N(id), expected: member.createdAt, found: data.createdAt },
      );
    }
    return nothingToDo;
  }
  const found = lookupLive(state, id);
  if (!found.ok) return found;
  if (!found.node.roles.includes('metadata-server')) {
    return refuse('InvalidRole', `${N(id)} does not have the metadata-server role, so it cannot join the metadata cluster.`, {
      node: N(id),
    });
  }
  return accept(reconfigure(state, { ...state.metadata.members, [id]: { createdAt: data.createdAt ?? null } }, { kind: 'join', node: id }));
}

function removeMetadataMember(state: ClusterState, id: PlainNodeId): Outcome {
  const found = lookupLive(state, id);
  if (!found.ok) return found;
  const members = state.metadata.members;
  if (members[id] === undefined) {
    return refuse('NotMember', `node '${N(id)}' is not a member of the metadata cluster.`, { node: N(id) });
  }
  if (Object.keys(members).length === 1) {
    return refuse(
      'OnlyMember',
      `cannot remove the only member ${N(id)} of the metadata cluster: join another metadata server first.`,
      { node: N(id) },
    );
  }
  const next: Record<string, MetadataMember> = { ...members };
  delete next[id];
  return accept(reconfigure(state, next, { kind: 'remove', node: id }));
}

// ---- log servers (§5) ----------------------------------------------------------------------------------------------

function logServer(state: ClusterState, id: PlainNodeId): Lookup {
  const found = lookupLive(state, id);
  if (!found.ok) return found;
  if (!found.node.roles.includes('log-server')) {
    return {
      ok: false,
      error: new ClusterchartError('InvalidRole', `${N(id)} does not have the log-server role.`, { node: N(id) }),
    };
  }
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
 * Marker association (DOMAIN.md §5): `Provisioning -> ReadWrite` records the marker; the same marker again (a retry
 * whose response was lost, in any process) succeeds with nothing written; another marker -> `MarkerMismatch`.
 */
function provisionWithMarker(node: LiveNode, marker: LogStoreMarker): Outcome {
  if (marker.nodeId !== node.id) return markerFromAnotherNode(node.id, marker);
  if (node.storageState === 'Provisioning') {
    const input = { type: 'provision', node: node.id, marker: { nodeId: marker.nodeId, markerId: marker.markerId } };
    const t = move('log-server', node.id, 'Provisioning', input);
    if (t === null) return { ok: false, error: machineRefused('log-server', 'Provisioning', input) };
    return accept([{ type: 'StorageStateChanged', data: { ...t, nodeId: node.id, marker } }]);
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

function provisionLogServer(state: ClusterState, id: PlainNodeId, marker: LogStoreMarker): Outcome {
  const found = logServer(state, id);
  if (!found.ok) return found;
  return provisionWithMarker(found.node, marker);
}

function startLogServer(state: ClusterState, id: PlainNodeId, marker: LogStoreMarker | null): Outcome {
  const found = logServer(state, id);
  if (!found.ok) return found;
  const node = found.node;
  if (marker !== null && marker.nodeId !== id) return markerFromAnotherNode(id, marker);
  switch (node.storageState) {
    case 'Provisioning':
      if (marker === null) {
        return refuse(
          'InvalidInput',
          `${N(id)} is Provisioning and reported no LogStoreMarker: write the marker to the log store first and start with it.`,
          { node: N(id) },
        );
      }
      return provisionWithMarker(node, marker);
    case 'ReadWrite':
    case 'ReadOnly': {
      if (marker === null) {
        // The data is gone: record DataLoss (now and for every later start), and refuse to run (the result says so).
        const t = move('log-server', id, node.storageState, { type: 'start', hasMarker: false });
        if (t === null) return { ok: false, error: machineRefused('log-server', node.storageState, { type: 'start' }) };
        return accept([{ type: 'StorageStateChanged', data: { ...t, nodeId: id, marker: null } }]);
      }
      if (node.marker !== null && node.marker.markerId !== marker.markerId) return provisionWithMarker(node, marker);
      return nothingToDo;
    }
    case 'Gone':
      if (marker !== null && node.marker !== null && node.marker.markerId !== marker.markerId) return provisionWithMarker(node, marker);
      return nothingToDo;
    case 'DataLoss':
    case 'Disabled':
      return nothingToDo;
  }
}

/** Refusals of a start-up check, reported in the StartLogServer result (the command itself succeeds). */
function startRefusal(id: PlainNodeId, storageState: StorageState): Readonly<{ code: ErrorCode; message: string }> | null {
  if (storageState === 'DataLoss') {
    return {
      code: 'DataLoss',
      message:
        `A previous generation of ${N(id)} has marked this log-server's storage-state as data-loss: it has lost its data ` +
        'and will not start. Repair or replace the log store, then set the storage state with --force.',
    };
  }
  if (storageState === 'Disabled') {
    return {
      code: 'StorageDisabled',
      message: `${N(id)}: log server cannot run on disabled nodes (storage-state disabled). Remove the node or use another one.`,
    };
  }
  return null;
}

/** Would the default replication still be satisfiable by ReadWrite log servers if `id` moved to `to`? */
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

type Operator<S extends string> = Readonly<{ node: PlainNodeId; state: S; force: boolean }>;

/**
 * An operator transition through `machine`: same -> same is a no-op; otherwise the machine decides, and a refusal
 * is explained (needs force -> UnsafeTransition; fails the safety check -> SafetyCheckFailed).
 */
function operatorMove(
  machine: 'log-server' | 'worker',
  node: LiveNode,
  from: string,
  data: Operator<string>,
  safetyFact: 'nodesetsSatisfiable' | 'replicaSetsSatisfiable',
  satisfiable: boolean,
  what: string,
): Transition | ClusterchartError {
  const input = { type: 'set-state', to: data.state, force: data.force, [safetyFact]: satisfiable };
  // Without force the accepted move is safe by definition; with force, ask whether it needed it (the event says so).
  const neededForce = data.force && runTransition(machine, from, { ...input, force: false }) === null;
  const t = move(machine, node.id, from, input, neededForce);
  if (t !== null) return t;
  const wouldPassSafely = runTransition(machine, from, { ...input, force: false, [safetyFact]: true }) !== null;
  if (wouldPassSafely) {
    return new ClusterchartError(
      'SafetyCheckFailed',
      machine === 'log-server'
        ? `Safety-check failed: moving ${N(node.id)} from ${from} to ${data.state} leaves too few ReadWrite log servers to ` +
            'form nodesets for the default replication. Provision another log server first, or use --force.'
        : `Safety-check failed: Can no longer create new replica sets if ${N(node.id)} leaves Active (it is the last Active ` +
            'worker). Activate another worker first, or use --force.',
      { node: N(node.id), from, to: data.state },
    );
  }
  const forcible = runTransition(machine, from, { ...input, force: true, [safetyFact]: true }) !== null;
  return new ClusterchartError(
    'UnsafeTransition',
    forcible
      ? `${N(node.id)} is currently in ${what} ${from}. Transitioning into ${data.state} is unsafe; use --force if you are sure.`
      : `${N(node.id)} is currently in ${what} ${from}. Transitioning into ${data.state} is never allowed` +
          (data.state === 'Provisioning' ? ' (Provisioning is never re-entered).' : ` (${from} is terminal).`),
    { node: N(node.id), from, to: data.state, forcible },
  );
}

function setStorageState(state: ClusterState, config: ClusterConfig, data: Operator<StorageState>): Outcome {
  const found = data.force ? lookupLive(state, data.node) : logServer(state, data.node);
  if (!found.ok) return found;
  const node = found.node;
  if (node.storageState === data.state) return nothingToDo;
  const satisfiable = nodesetsSatisfiableWithout(state, config, node, data.state);
  const t = operatorMove('log-server', node, node.storageState, data, 'nodesetsSatisfiable', satisfiable, 'storage-state');
  if (t instanceof ClusterchartError) return { ok: false, error: t };
  return accept([{ type: 'StorageStateChanged', data: { ...t, nodeId: node.id, marker: null } }]);
}

function setWorkerState(state: ClusterState, data: Operator<WorkerState>): Outcome {
  const found = lookupLive(state, data.node);
  if (!found.ok) return found;
  const node = found.node;
  if (!data.force && !node.roles.includes('worker')) {
    return refuse('InvalidRole', `${N(node.id)} does not have the worker role (use --force to set its worker state anyway).`, {
      node: N(node.id),
    });
  }
  if (node.workerState === data.state) return nothingToDo;
  // Leaving Active is safe while another Active worker remains to build replica sets.
  const satisfiable = node.workerState !== 'Active' || activeWorkerCount(state) - (node.roles.includes('worker') ? 1 : 0) > 0;
  const t = operatorMove('worker', node, node.workerState, data, 'replicaSetsSatisfiable', satisfiable, 'worker-state');
  if (t instanceof ClusterchartError) return { ok: false, error: t };
  return accept([{ type: 'WorkerStateChanged', data: { ...t, nodeId: node.id } }]);
}

// ---- logs (§4) -----------------------------------------------------------------------------------------------------

function createLogSegment(state: ClusterState, config: ClusterConfig, logId: number): Outcome {
  const segments = state.logs[logId] ?? [];
  const last = segments[segments.length - 1];
  const events: DomainEvent[] = [];
  // A new segment follows a sealed one: an open segment is sealed in the same append (Restate's reconfiguration).
  if (last !== undefined && !last.sealed) events.push({ type: 'LogSegmentSealed', data: { logId, segment: last.segment } });
  const segment = last === undefined ? 0 : last.segment + 1;
  if (config.logProvider === 'replicated') {
    const { nodeset, warning } = selectNodeset(state, config.replication, config.targetNodesetSize, logId);
    events.push({ type: 'LogSegmentCreated', data: { logId, segment, nodeset, replication: config.replication, warning } });
  } else {
    events.push({
      type: 'LogSegmentCreated',
      data: { logId, segment, nodeset: [], replication: config.replication, warning: null, provider: config.logProvider },
    });
  }
  return accept(events);
}

function sealLogSegment(state: ClusterState, logId: number): Outcome {
  const last = state.logs[logId]?.at(-1);
  if (last === undefined) {
    return refuse('UnknownLog', `Log ${logId} has no segment to seal: create one first (CreateLogSegment).`, { logId });
  }
  if (last.sealed) return nothingToDo;
  return accept([{ type: 'LogSegmentSealed', data: { logId, segment: last.segment } }]);
}

// ---- legacy import (§1) --------------------------------------------------------------------------------------------

type LegacyLive = Extract<LegacyDocument['nodes'][number], { name: string }>;

function importLegacy(state: ClusterState, data: Command<'ImportLegacyConfiguration'>['data']): Outcome {
  const { document } = data;
  if (state.revision >= 0 || state.config !== null || Object.keys(state.nodes).length > 0) {
    return refuse(
      'AlreadyProvisioned',
      `The cluster stream already has history (${state.clusterName ?? 'unnamed'}): a legacy document is imported only into ` +
        'a new, empty cluster. Import it under another cluster name.',
      { clusterName: state.clusterName ?? '' },
    );
  }
  const seen = new Set<number>();
  const names = new Set<string>();
  for (const n of document.nodes) {
    if (seen.has(n.id)) return refuse('InvalidInput', `The legacy document lists node id N${n.id} twice.`, { node: `N${n.id}` });
    seen.add(n.id);
    if ('name' in n) {
      if (names.has(n.name)) return refuse('InvalidInput', `The legacy document has two live nodes named "${n.name}".`, { name: n.name });
      names.add(n.name);
    }
  }
  const live = document.nodes.filter((n): n is LegacyLive => 'name' in n);
  const zero = live.find((n) => n.id === 0);
  const forced = data.forceNodeId === undefined ? undefined : plainNodeId(data.forceNodeId);
  if (zero !== undefined && live.length > 1) {
    return refuse(
      'MultiNodeCluster',
      `cannot auto migrate a multi node cluster which uses the local metadata server: the legacy document has a live N0 and ` +
        `${live.length - 1} other live node(s). Nothing was imported.`,
      { liveNodes: live.length },
    );
  }
  if (zero === undefined && forced !== undefined) {
    return refuse('InvalidInput', 'forceNodeId applies only to a legacy document with a live N0; this one has none.', {
      forceNodeId: N(forced),
    });
  }

  const normalise = (n: LegacyLive, id: number) => {
    const metadataServer = n.roles.includes('metadata-server');
    return {
      nodeId: id as PlainNodeId,
      generation: n.generation,
      name: n.name,
      roles: [...new Set(n.roles)],
      address: n.address ?? '',
      location: n.location ?? null,
      metadataServerState: (metadataServer ? (n.metadataServerState ?? 'Standby') : 'Standby'),
      storageState: n.storageState ?? 'Provisioning',
      workerState: n.workerState ?? 'Provisioning',
    };
  };

  const provision = move('cluster-provisioning', null, 'Unprovisioned', { type: 'provision', provider: DEFAULT_CLUSTER_CONFIG.logProvider });
  if (provision === null) return { ok: false, error: machineRefused('cluster-provisioning', 'Unprovisioned', { type: 'provision' }) };
  const events: DomainEvent[] = [
    { type: 'ClusterProvisioned', data: { ...provision, clusterName: document.clusterName, config: DEFAULT_CLUSTER_CONFIG } },
    {
      type: 'LegacyConfigurationImported',
      data: {
        clusterName: document.clusterName,
        legacyVersion: document.version,
        nodes: document.nodes
          .filter((n) => !('name' in n && n.id === 0))
          .map((n) => ('name' in n ? { ...normalise(n, n.id), tombstone: false as const } : { nodeId: n.id, tombstone: true as const })),
      },
    },
  ];
  const members: Record<string, MetadataMember> = {};
  for (const n of live) {
    if (n.id !== 0 && normalise(n, n.id).metadataServerState === 'Member') members[n.id] = { createdAt: null };
  }
  if (zero !== undefined) {
    let target: number;
    if (forced !== undefined) {
      if (seen.has(forced)) {
        return refuse(
          'NodeIdRetired',
          `Cannot remap N0 to ${N(forced)}: the legacy document already used that id (ids are never reused). Choose a free id.`,
          { node: N(forced) },
        );
      }
      target = forced;
    } else {
      target = 1;
      while (seen.has(target)) target += 1;
    }
    const input = { type: 'remap', fromId: 0, nodeId: target, generation: zero.generation };
    const t = move('node-lifecycle', target as PlainNodeId, 'Unregistered', input);
    if (t === null) return { ok: false, error: machineRefused('node-lifecycle', 'Unregistered', input) };
    const node = normalise(zero, target);
    // The local metadata server of a single-node legacy cluster becomes the first member (Restate PR #2705).
    if (node.roles.includes('metadata-server')) {
      node.metadataServerState = 'Member';
      members[target] = { createdAt: null };
    }
    events.push({ type: 'NodeIdRemapped', data: { ...t, fromId: 0, ...node } });
  }
  const memberIds = Object.keys(members).map(Number);
  if (memberIds.length > 0) {
    events.push({
      type: 'MetadataConfigurationChanged',
      data: {
        version: 1,
        members: memberIds.sort((a, b) => a - b).map((id) => ({ node: id as PlainNodeId, createdAt: null })),
        change: { kind: 'seed', node: Math.min(...memberIds) as PlainNodeId },
      },
    });
  }
  return accept(events);
}

// ---- observations (§3) ---------------------------------------------------------------------------------------------

function recordHeartbeat(state: ClusterState, data: Command<'RecordHeartbeat'>['data']): Outcome {
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
      data: { nodeId: data.node.id, generation: data.node.generation, at: data.at, partitions: data.partitions },
    },
  ]);
}

function recordUnreachable(state: ClusterState, data: Command<'RecordUnreachable'>['data']): Outcome {
  const found = lookupLive(state, data.node);
  if (!found.ok) return found;
  return accept([{ type: 'NodeUnreachableObserved', data: { nodeId: data.node, at: data.at } }]);
}

// ---- results -------------------------------------------------------------------------------------------------------

function eventsOf<K extends DomainEvent['type']>(events: readonly DomainEvent[], type: K): DomainEvent<K>[] {
  return events.filter((e) => e.type === type) as unknown as DomainEvent<K>[];
}

function liveOrNull(state: ClusterState, id: number): LiveNode | null {
  const entry = state.nodes[id];
  return entry === undefined || entry.removed ? null : entry;
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
      if (registered !== undefined) return { node: generationalNodeId(registered.data.nodeId, registered.data.generation), created: true };
      const restarted = eventsOf(events, 'NodeRestarted')[0];
      if (restarted !== undefined) return { node: generationalNodeId(restarted.data.nodeId, restarted.data.generation), created: false };
      // A registration always records an event; without one, describe the node as the state knows it.
      const node = liveNodeByName(state, command.data.name);
      if (node === undefined) {
        throw new ClusterchartError('InvalidInput', `resultOf(RegisterNode "${command.data.name}") needs the events the command recorded.`, {
          name: command.data.name,
        });
      }
      return { node: generationalNodeId(node.id, node.generation), created: false };
    }
    case 'RemoveNodes': {
      const removed = eventsOf(events, 'NodeRemoved').map((e) => e.data.nodeId);
      const done = new Set<number>(removed);
      return { removed, alreadyRemoved: [...new Set(command.data.nodes)].filter((id) => !done.has(id)) };
    }
    case 'JoinMetadataCluster':
    case 'RemoveMetadataMember': {
      const change = eventsOf(events, 'MetadataConfigurationChanged')[0];
      const id = command.data.node;
      const moved = eventsOf(events, 'MetadataServerStateChanged').find((e) => e.data.nodeId === id);
      const members = change?.data.members.map((m) => m.node) ?? Object.keys(state.metadata.members).map((k) => plainNodeId(Number(k)));
      const metadataServerState =
        (moved?.data.to as MetadataServerState | undefined) ??
        liveOrNull(state, id)?.metadataServerState ??
        (command.type === 'JoinMetadataCluster' ? 'Member' : 'Standby');
      return { node: id, metadataServerState, version: change?.data.version ?? state.metadata.version, members };
    }
    case 'ProvisionLogServer': {
      const e = eventsOf(events, 'StorageStateChanged')[0];
      return { node: command.data.node, storageState: (e?.data.to as StorageState | undefined) ?? liveOrNull(state, command.data.node)?.storageState ?? 'ReadWrite' };
    }
    case 'StartLogServer': {
      const id = command.data.node;
      const e = eventsOf(events, 'StorageStateChanged')[0];
      const storageState = (e?.data.to as StorageState | undefined) ?? liveOrNull(state, id)?.storageState ?? 'Provisioning';
      const refusal = startRefusal(id, storageState);
      return { node: id, storageState, started: refusal === null, refusal };
    }
    case 'SetStorageState':
    case 'SetWorkerState': {
      const e = events.find((x) => x.type === 'StorageStateChanged' || x.type === 'WorkerStateChanged');
      const t = e === undefined ? null : (e.data as Transition);
      const node = liveOrNull(state, command.data.node);
      const current = command.type === 'SetStorageState' ? node?.storageState : node?.workerState;
      const from = t?.from ?? current ?? command.data.state;
      const to = t?.to ?? current ?? command.data.state;
      return { node: command.data.node, from, to, forced: t?.forced === true } as CommandResults['SetStorageState'];
    }
    case 'CreateLogSegment': {
      const e = eventsOf(events, 'LogSegmentCreated')[0];
      const last = state.logs[command.data.logId]?.at(-1);
      return {
        logId: command.data.logId,
        segment: e?.data.segment ?? last?.segment ?? 0,
        nodeset: e?.data.nodeset ?? last?.nodeset ?? [],
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
        remapped: remap === undefined ? null : { from: remap.data.fromId, to: remap.data.nodeId, generation: remap.data.generation },
      };
    }
    case 'RecordHeartbeat':
      return { node: command.data.node, at: command.data.at };
    case 'RecordUnreachable':
      return { node: command.data.node, at: command.data.at };
  }
}
