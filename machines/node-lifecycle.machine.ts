/**
 * Node lifecycle: a node registers with generation >= 1, every restart moves its generation
 * forward by exactly one, and removal leaves a tombstone forever (its id is never reused).
 *
 * Cross-node facts (the removal safety checks) arrive inside the `remove` event, computed by the decider against
 * one consistent cluster state, so the recorded transition can be re-checked on its own. Guards never read the
 * context; the context only mirrors the last generation for the visualiser.
 */
import { assign, setup } from 'xstate';
import { FIRST_GENERATION, nextGeneration } from '../src/domain/ids.js';

export const version = 1;

/** The removal safety checks, evaluated by the decider for this node. Any `true` forbids removal. */
export type RemovalChecks = Readonly<{
  logServerReadWrite: boolean;
  inUnsealedNodeset: boolean;
  localLoglets: boolean;
  metadataMember: boolean;
}>;

export type NodeLifecycleEvent =
  | Readonly<{ type: 'register'; nodeId: number; generation: number }>
  | Readonly<{ type: 'remap'; fromId: number; nodeId: number; generation: number }>
  | Readonly<{ type: 'restart'; previousGeneration: number; generation: number }>
  | (Readonly<{ type: 'remove' }> & RemovalChecks);

export type NodeLifecycleContext = { generation: number };

const isValidIdentity = (nodeId: number, generation: number) =>
  Number.isSafeInteger(nodeId) && nodeId >= 1 && Number.isSafeInteger(generation) && generation >= FIRST_GENERATION;

export const nodeLifecycleMachine = setup({
  types: {
    context: {} as NodeLifecycleContext,
    events: {} as NodeLifecycleEvent,
  },
  guards: {
    /** Id 0 is reserved (no sender; not a Raft id) and generations start at 1. */
    hasValidIdentity: ({ event }) => event.type === 'register' && isValidIdentity(event.nodeId, event.generation),
    /** The legacy N0 moves to a valid id and keeps its generation. */
    isLegacyRemap: ({ event }) =>
      event.type === 'remap' && event.fromId === 0 && isValidIdentity(event.nodeId, event.generation),
    /** Generations only move forward, one step per restart. */
    generationAdvances: ({ event }) =>
      event.type === 'restart' &&
      event.previousGeneration >= FIRST_GENERATION &&
      event.generation === nextGeneration(event.previousGeneration),
    /** All removal checks passed. */
    isSafeToRemove: ({ event }) =>
      event.type === 'remove' &&
      !event.logServerReadWrite &&
      !event.inUnsealedNodeset &&
      !event.localLoglets &&
      !event.metadataMember,
  },
  actions: {
    recordGeneration: assign({
      generation: ({ event, context }) => ('generation' in event ? event.generation : context.generation),
    }),
  },
}).createMachine({
  id: 'node-lifecycle',
  description: 'Identity of one node: registration, restarts (generation + 1) and removal (tombstone).',
  initial: 'Unregistered',
  context: { generation: 0 },
  states: {
    Unregistered: {
      description:
        'The id is not in the configuration. `register` creates the node at generation 1 with a fresh id ' +
        '(max ever used + 1) or a forced one; `remap` re-registers a legacy N0 under a valid id, keeping its generation.',
      on: {
        register: { target: 'Registered', guard: 'hasValidIdentity', actions: 'recordGeneration' },
        remap: { target: 'Registered', guard: 'isLegacyRemap', actions: 'recordGeneration' },
      },
    },
    Registered: {
      description:
        'A live node. `restart` (the same name registering again) moves the generation forward by one, replaces ' +
        'roles and address and keeps every role state. `remove` is allowed only when every safety check passed.',
      on: {
        restart: { target: 'Registered', guard: 'generationAdvances', actions: 'recordGeneration' },
        remove: { target: 'Removed', guard: 'isSafeToRemove' },
      },
    },
    Removed: {
      type: 'final',
      description: 'A tombstone: the id stays reserved forever and observations for it are ignored.',
    },
  },
});
