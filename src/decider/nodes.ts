/**
 * Node identity rules (node-lifecycle machine): registration, restart and removal.
 *
 * - A new name registers at generation 1 with a fresh id (the highest id ever used + 1) or a forced one; a removed
 *   id is never reused. The first metadata node of a cluster seeds the metadata cluster in the same append.
 * - A known name restarts: its generation moves one step forward, roles and address are replaced, every role state
 *   is kept. A metadata member cannot drop the metadata-server role.
 * - Removal is all or nothing: each node's safety checks are computed here against one consistent state and fed to
 *   the machine's `remove` event, and the first refusal keeps its code.
 */
import type { RemovalChecks } from '../../machines/index.js';
import type { ClusterState, LiveNode } from '../domain/cluster-state.js';
import type { CommandData } from '../domain/commands.js';
import { ClusterchartError } from '../domain/errors.js';
import type { ClusterConfig, DomainEvent } from '../domain/events.js';
import { FIRST_GENERATION, type PlainNodeId, nextGeneration, plainNodeId } from '../domain/ids.js';
import { METADATA_REMOVABLE, type MetadataServerState, type Role, STORAGE_CAPABILITIES } from '../domain/states.js';
import { reconfigure } from './metadata.js';
import { liveNodeByName } from './node-index.js';
import { N, type Outcome, type ProvisionedState, accept, expectMove, move, refuse } from './outcome.js';

/** `RegisterNode`: a new name registers, a known one restarts. */
export function registerNode(state: ProvisionedState, data: CommandData['RegisterNode']): Outcome {
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
  const generation = FIRST_GENERATION;
  const moved = expectMove('node-lifecycle', id, 'Unregistered', { type: 'register', nodeId: id, generation });
  if (!moved.ok) return moved;
  const metadataServer = roles.includes('metadata-server');
  const metadataServerState: MetadataServerState = metadataServer && data.autoJoin ? 'AutoJoin' : 'Standby';
  const events: DomainEvent[] = [
    {
      type: 'NodeRegistered',
      data: {
        ...moved.transition,
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
  data: CommandData['RegisterNode'],
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
  const generation = nextGeneration(node.generation);
  const moved = expectMove('node-lifecycle', node.id, 'Registered', { type: 'restart', previousGeneration: node.generation, generation });
  if (!moved.ok) return moved;
  return accept([
    {
      type: 'NodeRestarted',
      data: {
        ...moved.transition,
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

/** The removal safety checks for one node, as the node-lifecycle machine's `remove` event carries them. */
function removalChecks(config: ClusterConfig, node: LiveNode, unsealed: readonly OpenSegment[], inNodeset: OpenSegment | undefined): RemovalChecks {
  const storage = STORAGE_CAPABILITIES[node.storageState];
  const logChecksApply = node.roles.includes('log-server') || inNodeset !== undefined;
  const logChainsChecked = logChecksApply && storage.removalChecksLogs;
  return {
    logServerReadWrite: logChecksApply && storage.refusesRemoval,
    inUnsealedNodeset: logChainsChecked && inNodeset !== undefined,
    localLoglets: logChainsChecked && (config.logProvider !== 'replicated' || unsealed.some((s) => s.provider !== undefined)),
    metadataMember: node.roles.includes('metadata-server') && !METADATA_REMOVABLE[node.metadataServerState],
  };
}

/** Why the machine refused a removal, first failed check first. */
function removalRefusal(config: ClusterConfig, id: PlainNodeId, checks: RemovalChecks, inNodeset: OpenSegment | undefined): ClusterchartError {
  if (checks.logServerReadWrite) {
    return new ClusterchartError(
      'LogServerReadWrite',
      `${N(id)}: log server cannot be disabled because it is in read-write state. Set it to read-only and wait until it is in no nodeset, or set it to disabled.`,
      { node: N(id) },
    );
  }
  if (checks.localLoglets && config.logProvider !== 'replicated') {
    return new ClusterchartError(
      'DefaultLogletProvider',
      `${N(id)}: the default log provider is ${config.logProvider}, so the log server may still hold log data; switch to replicated first.`,
      { node: N(id), provider: config.logProvider },
    );
  }
  if (checks.localLoglets) {
    return new ClusterchartError('LocalLoglet', `${N(id)}: an unsealed local/in-memory log segment exists; seal it before removing log servers.`, {
      node: N(id),
    });
  }
  if (checks.inUnsealedNodeset) {
    const s = inNodeset!;
    return new ClusterchartError(
      'NodeSetMember',
      `${N(id)}: log server is part of a node set of loglet ${s.logId} (segment ${s.segment}); seal or trim that segment first.`,
      { node: N(id), logId: s.logId, segment: s.segment },
    );
  }
  return new ClusterchartError(
    'MetadataMember',
    `${N(id)}: metadata server is an active member; remove it from the metadata cluster first (RemoveMetadataMember).`,
    { node: N(id) },
  );
}

/** `RemoveNodes`: unknown and already removed nodes are skipped; one refusal removes nothing. */
export function removeNodes(state: ProvisionedState, data: CommandData['RemoveNodes']): Outcome {
  const { config } = state;
  const events: DomainEvent[] = [];
  const refusals: ClusterchartError[] = [];
  const unsealed = unsealedSegments(state);
  for (const id of [...new Set(data.nodes)]) {
    const entry = state.nodes[id];
    if (entry === undefined || entry.removed) continue;
    const inNodeset = unsealed.find((s) => s.nodeset.includes(id));
    const checks = removalChecks(config, entry, unsealed, inNodeset);
    const t = move('node-lifecycle', id, 'Registered', { type: 'remove', ...checks });
    if (t !== null) events.push({ type: 'NodeRemoved', data: { ...t, nodeId: id, name: entry.name } });
    else refusals.push(removalRefusal(config, id, checks, inNodeset));
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
