/**
 * The registry of clusterchart's statecharts and the pure helpers that run one recorded transition.
 *
 * `runTransition` is what the decider calls for each role transition (a machine that does not accept the input is
 * the refusal); `createTransitionRunner` is the bulk variant `verify` uses: one actor scope per machine, reused for
 * every call (~3 us instead of ~20 us for the public `transition()`). Neither runs actions: the
 * machines have no effects, and the pure calls only compute the next state value.
 */
import { type AnyMachineSnapshot, type AnyStateMachine, type StateValueFrom, createActor } from 'xstate';
import type { MachineInput, MachineName } from '../src/domain/events.js';
import type { MetadataServerState, StorageState, WorkerState } from '../src/domain/states.js';
import {
  type ClusterProvisioningEvent,
  clusterProvisioningMachine,
  version as clusterProvisioningVersion,
} from './cluster-provisioning.machine.js';
import { type LogServerEvent, logServerMachine, version as logServerVersion } from './log-server.machine.js';
import {
  type MetadataMembershipEvent,
  metadataMembershipMachine,
  version as metadataMembershipVersion,
} from './metadata-membership.machine.js';
import { type NodeLifecycleEvent, nodeLifecycleMachine, version as nodeLifecycleVersion } from './node-lifecycle.machine.js';
import { type WorkerEvent, workerMachine, version as workerVersion } from './worker.machine.js';

export { clusterProvisioningMachine, logServerMachine, metadataMembershipMachine, nodeLifecycleMachine, workerMachine };
export type { ClusterProvisioningEvent } from './cluster-provisioning.machine.js';
export type { LogServerEvent } from './log-server.machine.js';
export type { MetadataMembershipEvent } from './metadata-membership.machine.js';
export type { NodeLifecycleEvent, RemovalChecks } from './node-lifecycle.machine.js';
export type { WorkerEvent } from './worker.machine.js';

/**
 * The input events each statechart accepts, by machine name. Whoever builds a machine input (the decider) types it
 * with this map, so renaming or reshaping a machine event fails to compile there.
 */
export type MachineEvents = {
  'cluster-provisioning': ClusterProvisioningEvent;
  'node-lifecycle': NodeLifecycleEvent;
  'metadata-membership': MetadataMembershipEvent;
  'log-server': LogServerEvent;
  worker: WorkerEvent;
};
// Every machine has an entry, and every entry is a machine input.
const _everyMachine: { [M in MachineName]: MachineEvents[M] extends MachineInput ? true : never } = null as never;
void _everyMachine;

/** The state values of each statechart, by machine name, read from the machine definitions themselves. */
export type MachineStates = {
  'cluster-provisioning': StateValueFrom<typeof clusterProvisioningMachine>;
  'node-lifecycle': StateValueFrom<typeof nodeLifecycleMachine>;
  'metadata-membership': StateValueFrom<typeof metadataMembershipMachine>;
  'log-server': StateValueFrom<typeof logServerMachine>;
  worker: StateValueFrom<typeof workerMachine>;
};
// The role machines' states are exactly the domain's state unions (and so the capability tables' keys): a state
// added to one side only fails to compile here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _sameStates: [
  Same<MachineStates['metadata-membership'], MetadataServerState>,
  Same<MachineStates['log-server'], StorageState>,
  Same<MachineStates['worker'], WorkerState>,
] = [true, true, true];
void _sameStates;

type MachineScope = Parameters<AnyStateMachine['transition']>[2];

export type MachineEntry = Readonly<{ machine: AnyStateMachine; version: number; description: string }>;

/**
 * Every statechart by name. A recorded Transition's `machine` is one of these keys and its `from`/`to` are state
 * values of that machine.
 *
 * @example
 * const { machine, version } = MACHINES['log-server'];
 * console.log(machine.id, version, Object.keys(machine.states));
 */
export const MACHINES: Readonly<Record<MachineName, MachineEntry>> = {
  'cluster-provisioning': {
    machine: clusterProvisioningMachine,
    version: clusterProvisioningVersion,
    description: 'Unprovisioned -> Provisioned once; the default log provider changes only to replicated.',
  },
  'node-lifecycle': {
    machine: nodeLifecycleMachine,
    version: nodeLifecycleVersion,
    description: 'Registration (generation 1), restarts (generation + 1) and removal to a tombstone.',
  },
  'metadata-membership': {
    machine: metadataMembershipMachine,
    version: metadataMembershipVersion,
    description: 'AutoJoin, Member, Standby; only previous members are demoted by a reconfiguration.',
  },
  'log-server': {
    machine: logServerMachine,
    version: logServerVersion,
    description: 'Storage state, LogStoreMarker association, start-up checks and operator transitions.',
  },
  worker: {
    machine: workerMachine,
    version: workerVersion,
    description: 'Provisioning, Active, Draining, Disabled: the model for adding a machine.',
  },
};

/**
 * `{ machineName: version }`, stored with snapshots so a definition change is detected.
 *
 * @example
 * machineVersions(); // { 'cluster-provisioning': 1, 'node-lifecycle': 1, ... }
 */
export function machineVersions(): Record<MachineName, number> {
  const out = {} as Record<MachineName, number>;
  for (const [name, entry] of Object.entries(MACHINES) as [MachineName, MachineEntry][]) out[name] = entry.version;
  return out;
}

/**
 * The top-level state values of a machine.
 *
 * @example
 * stateNames('worker'); // ['Provisioning', 'Active', 'Draining', 'Disabled']
 */
export function stateNames(name: MachineName): string[] {
  return Object.keys(MACHINES[name].machine.states);
}

/** Resolved snapshots are immutable, so one per (machine, state value) is shared by every call. */
const snapshotCache = new Map<string, AnyMachineSnapshot | null>();

function snapshotAt(name: MachineName, from: string): AnyMachineSnapshot | null {
  const key = `${name}\u0000${from}`;
  let snapshot = snapshotCache.get(key);
  if (snapshot === undefined) {
    const { machine } = MACHINES[name];
    snapshot = Object.hasOwn(machine.states, from)
      ? machine.resolveState({ value: from, context: (machine.config.context ?? {}) as Record<string, unknown> })
      : null;
    snapshotCache.set(key, snapshot);
  }
  return snapshot;
}

function valueOf(snapshot: AnyMachineSnapshot): string | null {
  return typeof snapshot.value === 'string' ? snapshot.value : null;
}

/**
 * Runs `input` through machine `name` from state `from` with the pure transition function and returns the next
 * state value, or null when the machine does not accept it (no transition selected, an unknown `from`, or a guard
 * that threw on a malformed input). Uses one shared runner (`createTransitionRunner`): the machines have no
 * children and no effects, so sharing its inert scopes cannot leak state between calls.
 *
 * @example
 * runTransition('log-server', 'ReadWrite', { type: 'set-state', to: 'ReadOnly', force: false, nodesetsSatisfiable: true }); // 'ReadOnly'
 * runTransition('log-server', 'Disabled', { type: 'set-state', to: 'ReadWrite', force: true, nodesetsSatisfiable: true });  // null
 */
export function runTransition(name: MachineName, from: string, input: MachineInput): string | null {
  sharedRunner ??= createTransitionRunner();
  return sharedRunner.run(name, from, input);
}

let sharedRunner: TransitionRunner | undefined;

export type TransitionRunner = Readonly<{
  /** Same contract as `runTransition`. */
  run(name: MachineName, from: string, input: MachineInput): string | null;
}>;

/**
 * A runner that keeps one inert actor scope per machine, for bulk work (verifying a whole history). The machines
 * have no children, so reusing a scope across calls is safe.
 *
 * @example
 * const runner = createTransitionRunner();
 * for (const t of transitions) if (runner.run(t.machine, t.from, t.input) !== t.to) report(t);
 */
export function createTransitionRunner(): TransitionRunner {
  const scopes = new Map<MachineName, MachineScope>();
  const scopeFor = (name: MachineName): MachineScope => {
    let scope = scopes.get(name);
    if (scope === undefined) {
      const self = createActor(MACHINES[name].machine);
      scope = {
        self,
        id: '',
        sessionId: '',
        logger: () => undefined,
        defer: () => undefined,
        emit: () => undefined,
        system: self.system,
        stopChild: () => undefined,
        actionExecutor: () => undefined,
      };
      scopes.set(name, scope);
    }
    return scope;
  };
  return {
    run(name, from, input) {
      const snapshot = snapshotAt(name, from);
      if (snapshot === null) return null;
      try {
        const next = MACHINES[name].machine.transition(snapshot, input, scopeFor(name));
        // An event that selects no transition returns the very same snapshot. Every accepted transition of our
        // machines, self-transitions included, assigns or changes the state value, so it yields a new one.
        return next === snapshot ? null : valueOf(next);
      } catch {
        return null;
      }
    },
  };
}
