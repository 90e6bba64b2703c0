/**
 * Metadata cluster membership of one node (Restate #3275 / PR #3276).
 *
 * One event, `reconfigure`, is fed to a node whenever a new metadata configuration is applied; it carries the two
 * facts the rule needs, computed by the decider: is the node in the NEW members, and was it in the PREVIOUS ones.
 * The rule that fixes the article's bug lives here:
 * - a node in the new members becomes `Member`;
 * - a previous member that is not in the new members becomes `Standby`;
 * - every other node keeps its state (the event is not accepted). In particular an `AutoJoin` node that has not
 *   joined yet stays `AutoJoin` and joins later.
 */
import { setup } from 'xstate';

export const version = 1;

export type MetadataMembershipEvent = Readonly<{ type: 'reconfigure'; inNewMembers: boolean; wasPreviousMember: boolean }>;

export const metadataMembershipMachine = setup({
  types: {
    events: {} as MetadataMembershipEvent,
  },
  guards: {
    isInNewMembers: ({ event }) => event.inNewMembers,
    /** Only PREVIOUS members are demoted. */
    leftTheMembers: ({ event }) => event.wasPreviousMember && !event.inNewMembers,
  },
}).createMachine({
  id: 'metadata-membership',
  description: 'Whether a metadata-server node is part of the metadata (Raft) cluster.',
  initial: 'AutoJoin',
  states: {
    AutoJoin: {
      description:
        'Registered with the metadata-server role and auto-join: it should join the metadata cluster by itself ' +
        "(Restate's merged name is `Provisioning`). A configuration that does not include it leaves it alone.",
      on: { reconfigure: { target: 'Member', guard: 'isInNewMembers' } },
    },
    Member: {
      description:
        'Part of the metadata cluster. It cannot be removed from the cluster while a member (MetadataMember); ' +
        'a configuration without it demotes it to Standby.',
      on: { reconfigure: { target: 'Standby', guard: 'leftTheMembers' } },
    },
    Standby: {
      description:
        'Not a member and not trying to join; safe to decommission. A removed member restarts as Standby and does ' +
        'not rejoin by itself; an explicit join makes it a Member again. Nodes without the role report Standby.',
      on: { reconfigure: { target: 'Member', guard: 'isInNewMembers' } },
    },
  },
});
