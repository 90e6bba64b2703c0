/**
 * Metadata cluster membership rules (metadata-membership machine).
 *
 * A configuration change is decided and appended atomically with every node state it implies (one append, guarded
 * by the stream revision), so no in-between "pending" configuration is ever observable and `PendingReconfiguration`
 * is never produced. Which nodes move is the machine's rule alone ("only previous members are demoted"): every
 * metadata-server node is fed the same `reconfigure` event with its two facts.
 */
import type { ClusterState, MetadataMember } from '../domain/cluster-state.js';
import type { CommandData } from '../domain/commands.js';
import type { DomainEvent, DomainEventData } from '../domain/events.js';
import type { PlainNodeId } from '../domain/ids.js';
import type { MetadataServerState } from '../domain/states.js';
import { N, type Outcome, accept, lookupLive, move, nothingToDo, refuse } from './outcome.js';

/**
 * The configuration change plus every node state it implies. Every live metadata-server node is fed the
 * `reconfigure` event with its two facts (in the new members? in the previous ones?) and the metadata-membership
 * machine alone decides who moves. `pending` holds nodes registered in the same decision (not in `state` yet) with
 * their state.
 */
export function reconfigure(
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
    const input = { type: 'reconfigure', inNewMembers: members[id] !== undefined, wasPreviousMember: previous[id] !== undefined } as const;
    const t = move('metadata-membership', id as PlainNodeId, from, input);
    if (t !== null) events.push({ type: 'MetadataServerStateChanged', data: { ...t, nodeId: id as PlainNodeId } });
  }
  return events;
}

/**
 * `JoinMetadataCluster`: a member joining again changes nothing, unless its storage was created anew (the node lost
 * its disk: ClusterIdentityMismatch).
 */
export function joinMetadataCluster(state: ClusterState, data: CommandData['JoinMetadataCluster']): Outcome {
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

/** `RemoveMetadataMember`: the node must be a member, and not the only one. */
export function removeMetadataMember(state: ClusterState, data: CommandData['RemoveMetadataMember']): Outcome {
  const id = data.node;
  const found = lookupLive(state, id);
  if (!found.ok) return found;
  const members = state.metadata.members;
  if (members[id] === undefined) {
    return refuse('NotMember', `node '${N(id)}' is not a member of the metadata cluster.`, { node: N(id) });
  }
  if (Object.keys(members).length === 1) {
    return refuse('OnlyMember', `cannot remove the only member ${N(id)} of the metadata cluster: join another metadata server first.`, {
      node: N(id),
    });
  }
  const next: Record<string, MetadataMember> = { ...members };
  delete next[id];
  return accept(reconfigure(state, next, { kind: 'remove', node: id }));
}
