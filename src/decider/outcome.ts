/**
 * What every rule of the decider returns, and the few helpers all of them share: refusing, accepting, finding a live
 * node, and asking a statechart for a transition.
 *
 * A rule never throws for a domain refusal and never reads the clock or randomness; a refusal produces no events; a
 * command whose effect is already the state succeeds with no events.
 */
import { type MachineEvents, type MachineStates, runTransition } from '../../machines/index.js';
import type { ClusterState, LiveNode, NodeEntry } from '../domain/cluster-state.js';
import { ClusterchartError, type ErrorCode, type ErrorContext } from '../domain/errors.js';
import type { ClusterConfig, DomainEvent, MachineName, Transition } from '../domain/events.js';
import type { PlainNodeId } from '../domain/ids.js';

/** The events a command records, or why it is refused. */
export type Outcome = Readonly<{ ok: true; events: readonly DomainEvent[] }> | Failure;
export type Failure = Readonly<{ ok: false; error: ClusterchartError }>;

/** A cluster state with its configuration: every command but provisioning and legacy import needs one. */
export type ProvisionedState = ClusterState & Readonly<{ config: ClusterConfig }>;

export const refuse = (code: ErrorCode, message: string, context: ErrorContext = {}): Failure => ({
  ok: false,
  error: new ClusterchartError(code, message, context),
});
export const accept = (events: readonly DomainEvent[]): Outcome => ({ ok: true, events });
/** The command's effect is already the state: success, nothing recorded (`alreadyApplied: true`). */
export const nothingToDo: Outcome = accept([]);

/** A node id as messages print it. */
export const N = (id: number): string => `N${id}`;

export type Lookup = Readonly<{ ok: true; node: LiveNode }> | Failure;

/** The live node `id` (a plain id matches any generation), or UnknownNode / NodeDeleted. */
export function lookupLive(state: ClusterState, id: number): Lookup {
  const entry: NodeEntry | undefined = state.nodes[id];
  if (entry === undefined) return refuse('UnknownNode', `node ${N(id)} was not found in config`, { node: N(id) });
  if (entry.removed) return refuse('NodeDeleted', `node ${N(id)} has been permanently deleted from config`, { node: N(id) });
  return { ok: true, node: entry };
}

/** The live node `id` if it exists, else null (results describe what the state holds). */
export function liveOrNull(state: ClusterState, id: number): LiveNode | null {
  const entry = state.nodes[id];
  return entry === undefined || entry.removed ? null : entry;
}

/**
 * Asks `machine` whether it accepts `input` from `from`: the transition to record, or null for a refusal. The input
 * and the from-state are typed by the machine's own definition.
 */
export function move<M extends MachineName>(
  machine: M,
  node: PlainNodeId | null,
  from: MachineStates[M],
  input: MachineEvents[M],
  forced?: boolean,
): Transition | null {
  const to = runTransition(machine, from, input);
  if (to === null) return null;
  return forced === undefined ? { machine, node, from, to, input } : { machine, node, from, to, input, forced };
}

/** Whether `machine` accepts `input` from `from` (a question, nothing is recorded). */
export const accepts = <M extends MachineName>(machine: M, from: MachineStates[M], input: MachineEvents[M]): boolean =>
  runTransition(machine, from, input) !== null;

export type Moved = Readonly<{ ok: true; transition: Transition }> | Failure;

/**
 * A transition the rule has already judged possible: the machine refusing it is a defect of the decider, reported
 * as `InvalidState` rather than as the operator's fault.
 */
export function expectMove<M extends MachineName>(
  machine: M,
  node: PlainNodeId | null,
  from: MachineStates[M],
  input: MachineEvents[M],
): Moved {
  const transition = move(machine, node, from, input);
  if (transition !== null) return { ok: true, transition };
  return refuse(
    'InvalidState',
    `The ${machine} statechart does not accept ${input.type} in state ${from}; this is a defect of the decider, please report it.`,
    { machine, from, event: input.type },
  );
}
