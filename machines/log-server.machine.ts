/**
 * Log-server storage state.
 *
 * Events, each carrying every fact its guards read (guards never read the context):
 * - `provision`: the log server wrote its LogStoreMarker and claims the node (`Provisioning -> ReadWrite`); the
 *   marker must have been created by this node.
 * - `start`: the start-up check. `ReadWrite`/`ReadOnly` without a marker on disk means the data is gone -> `DataLoss`.
 *   Every other start changes nothing (the decider answers it without an event).
 * - `set-state`: the operator's `set-storage-state`. Safe without force: `Provisioning -> Disabled`,
 *   `ReadOnly -> ReadWrite`, and `ReadWrite -> ReadOnly` when the nodesets stay satisfiable. Every other move needs
 *   `force` and is marked forced in its event. Never allowed, even forced: re-entering `Provisioning` (a node
 *   provisions once) and leaving `Disabled` (terminal).
 */
import { assign, setup } from 'xstate';
import type { StorageState } from '../src/domain/states.js';

export const version = 1;

export type LogServerEvent =
  | Readonly<{ type: 'provision'; node: number; marker: Readonly<{ nodeId: number; markerId: string }> }>
  | Readonly<{ type: 'start'; hasMarker: boolean }>
  | Readonly<{ type: 'set-state'; to: StorageState; force: boolean; nodesetsSatisfiable: boolean }>;

export type LogServerContext = { markerId: string | null };

type Target = Readonly<{ to: StorageState }>;

export const logServerMachine = setup({
  types: {
    context: {} as LogServerContext,
    events: {} as LogServerEvent,
  },
  guards: {
    /** A marker names the node that created it; another node's marker means another disk (MarkerFromAnotherNode). */
    markerBelongsToNode: ({ event }) => event.type === 'provision' && event.marker.nodeId === event.node,
    /** ReadWrite/ReadOnly reported without a marker: the disk lost its data (Restate #2734). */
    markerMissing: ({ event }) => event.type === 'start' && !event.hasMarker,
    /** A move the operator may make without force. */
    isSafeMove: ({ event }, params: Target) => event.type === 'set-state' && event.to === params.to,
    /** A move to a non-writable state: safe without force only while the nodesets stay satisfiable. */
    isSafeDrain: ({ event }, params: Target) =>
      event.type === 'set-state' && event.to === params.to && (event.force || event.nodesetsSatisfiable),
    /** A move that is unsafe unless forced. */
    isForcedMove: ({ event }, params: Target) => event.type === 'set-state' && event.to === params.to && event.force,
  },
  actions: {
    recordMarker: assign({ markerId: ({ event }) => (event.type === 'provision' ? event.marker.markerId : null) }),
  },
}).createMachine({
  id: 'log-server',
  description: 'Storage state of one log server, its LogStoreMarker association and the operator transitions.',
  initial: 'Provisioning',
  context: { markerId: null },
  states: {
    Provisioning: {
      description:
        'Initial state, never re-entered: readable, not writable, never in a new nodeset; removable without ' +
        'checking log chains. The first start writes a marker and moves to ReadWrite; the operator may disable it.',
      on: {
        provision: { target: 'ReadWrite', guard: 'markerBelongsToNode', actions: 'recordMarker' },
        'set-state': [
          { target: 'Disabled', guard: { type: 'isSafeMove', params: { to: 'Disabled' } } },
          { target: 'ReadWrite', guard: { type: 'isForcedMove', params: { to: 'ReadWrite' } } },
          { target: 'ReadOnly', guard: { type: 'isForcedMove', params: { to: 'ReadOnly' } } },
          { target: 'DataLoss', guard: { type: 'isForcedMove', params: { to: 'DataLoss' } } },
          { target: 'Gone', guard: { type: 'isForcedMove', params: { to: 'Gone' } } },
        ],
      },
    },
    ReadWrite: {
      description:
        'Reads and writes; the only state admitted to new nodesets. It cannot be removed. Draining to ReadOnly is ' +
        'safe while the default replication stays satisfiable by the other ReadWrite servers.',
      on: {
        start: { target: 'DataLoss', guard: 'markerMissing' },
        'set-state': [
          { target: 'ReadOnly', guard: { type: 'isSafeDrain', params: { to: 'ReadOnly' } } },
          { target: 'DataLoss', guard: { type: 'isForcedMove', params: { to: 'DataLoss' } } },
          { target: 'Gone', guard: { type: 'isForcedMove', params: { to: 'Gone' } } },
          { target: 'Disabled', guard: { type: 'isForcedMove', params: { to: 'Disabled' } } },
        ],
      },
    },
    ReadOnly: {
      description:
        'Draining: readable, writes only to the nodesets it already belongs to, never in a new nodeset. ' +
        'Removable once it is in no unsealed nodeset. May return to ReadWrite safely.',
      on: {
        start: { target: 'DataLoss', guard: 'markerMissing' },
        'set-state': [
          { target: 'ReadWrite', guard: { type: 'isSafeMove', params: { to: 'ReadWrite' } } },
          { target: 'DataLoss', guard: { type: 'isForcedMove', params: { to: 'DataLoss' } } },
          { target: 'Gone', guard: { type: 'isForcedMove', params: { to: 'Gone' } } },
          { target: 'Disabled', guard: { type: 'isForcedMove', params: { to: 'Disabled' } } },
        ],
      },
    },
    DataLoss: {
      description:
        'The only non-authoritative state: it lost data, serves non-quorum reads only and refuses to start. ' +
        'Once repaired an operator may force it back to ReadWrite (or ReadOnly, Gone, Disabled).',
      on: {
        'set-state': [
          { target: 'ReadWrite', guard: { type: 'isForcedMove', params: { to: 'ReadWrite' } } },
          { target: 'ReadOnly', guard: { type: 'isForcedMove', params: { to: 'ReadOnly' } } },
          { target: 'Gone', guard: { type: 'isForcedMove', params: { to: 'Gone' } } },
          { target: 'Disabled', guard: { type: 'isForcedMove', params: { to: 'Disabled' } } },
        ],
      },
    },
    Gone: {
      description:
        'Permanently lost: readable but never written again. Any move out of it is unsafe and needs force.',
      on: {
        'set-state': [
          { target: 'ReadWrite', guard: { type: 'isForcedMove', params: { to: 'ReadWrite' } } },
          { target: 'ReadOnly', guard: { type: 'isForcedMove', params: { to: 'ReadOnly' } } },
          { target: 'DataLoss', guard: { type: 'isForcedMove', params: { to: 'DataLoss' } } },
          { target: 'Disabled', guard: { type: 'isForcedMove', params: { to: 'Disabled' } } },
        ],
      },
    },
    Disabled: {
      description:
        'Terminal: neither read nor written and refuses to start. No move leaves it, even forced; the node can be ' +
        'removed.',
    },
  },
});
