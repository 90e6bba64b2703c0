/**
 * Worker state — the smallest machine and the model for adding one: a closed union of states with its capability
 * table in `src/domain/states.ts` (`WORKER_STATES`, `WORKER_CAPABILITIES`, read by the rules), the machine name in
 * `MACHINE_NAMES`, one event carrying every fact its guards read, named guards, entries in `machines/index.ts`
 * (`MACHINES`, `MachineEvents`, `MachineStates`), and its rules in one file of `src/decider` (here `worker.ts`)
 * listed in the decider's `RULES`. The compiler points at every place a new machine or state still lacks.
 *
 * `set-worker-state` without force: `Provisioning -> any`, `Active <-> Draining` (leaving Active only while other
 * Active workers remain to build replica sets), `Disabled -> Active`. Everything else needs force, except
 * re-entering `Provisioning`, which nothing may do.
 */
import { setup } from 'xstate';
import type { WorkerState } from '../src/domain/states.js';

export const version = 1;

export type WorkerEvent = Readonly<{ type: 'set-state'; to: WorkerState; force: boolean; replicaSetsSatisfiable: boolean }>;

type Target = Readonly<{ to: WorkerState }>;

export const workerMachine = setup({
  types: {
    events: {} as WorkerEvent,
  },
  guards: {
    isSafeMove: ({ event }, params: Target) => event.to === params.to,
    /** Leaving Active: safe without force only while replica sets can still be built from the other workers. */
    isSafeDrain: ({ event }, params: Target) => event.to === params.to && (event.force || event.replicaSetsSatisfiable),
    isForcedMove: ({ event }, params: Target) => event.to === params.to && event.force,
  },
}).createMachine({
  id: 'worker',
  description: 'Whether a worker node runs partition processors and may join replica sets.',
  initial: 'Provisioning',
  states: {
    Provisioning: {
      description: 'Initial state, never re-entered: not yet serving. Any target is safe from here.',
      on: {
        'set-state': [
          { target: 'Active', guard: { type: 'isSafeMove', params: { to: 'Active' } } },
          { target: 'Draining', guard: { type: 'isSafeMove', params: { to: 'Draining' } } },
          { target: 'Disabled', guard: { type: 'isSafeMove', params: { to: 'Disabled' } } },
        ],
      },
    },
    Active: {
      description: 'Runs partition processors; the only state that joins replica sets.',
      on: {
        'set-state': [
          { target: 'Draining', guard: { type: 'isSafeDrain', params: { to: 'Draining' } } },
          { target: 'Disabled', guard: { type: 'isForcedMove', params: { to: 'Disabled' } } },
        ],
      },
    },
    Draining: {
      description: 'Hands its partitions over; joins no new replica set. May become Active again.',
      on: {
        'set-state': [
          { target: 'Active', guard: { type: 'isSafeMove', params: { to: 'Active' } } },
          { target: 'Disabled', guard: { type: 'isForcedMove', params: { to: 'Disabled' } } },
        ],
      },
    },
    Disabled: {
      description:
        'Starts idle and runs nothing; a partition reconfiguration completes once all current replicas are Disabled. ' +
        'May be re-activated.',
      on: {
        'set-state': [
          { target: 'Active', guard: { type: 'isSafeMove', params: { to: 'Active' } } },
          { target: 'Draining', guard: { type: 'isForcedMove', params: { to: 'Draining' } } },
        ],
      },
    },
  },
});
