/**
 * An operator's state change (`set-storage-state`, `set-worker-state`) through a role machine, shared by the
 * log-server and worker rules. The machine alone decides; this explains its refusal.
 */
import type { MachineEvents, MachineStates } from '../../machines/index.js';
import type { LiveNode } from '../domain/cluster-state.js';
import { ClusterchartError } from '../domain/errors.js';
import type { Transition } from '../domain/events.js';
import { N, accepts, move } from './outcome.js';

type OperatorMachine = 'log-server' | 'worker';
export type OperatorRequest<M extends OperatorMachine> = Readonly<{ from: MachineStates[M]; to: MachineStates[M]; force: boolean }>;

/**
 * Asks `machine` to move `node` as the operator requested. `inputOf(force, satisfiable)` builds the machine's
 * `set-state` event; `satisfiable` is the safety fact the rule computed, `safetyFailed` the message when only that
 * fact stands in the way. Returns the transition to record (marked `forced` when the move needed force), or the
 * refusal: `SafetyCheckFailed` (safe in general, not now), or `UnsafeTransition` (needs force, or never allowed).
 */
export function operatorMove<M extends OperatorMachine>(
  machine: M,
  node: LiveNode,
  request: OperatorRequest<M>,
  inputOf: (force: boolean, satisfiable: boolean) => MachineEvents[M],
  satisfiable: boolean,
  what: string,
  safetyFailed: string,
): Transition | ClusterchartError {
  const { from, to, force } = request;
  // Without force the accepted move is safe by definition; with force, ask whether it needed it (the event says so).
  const neededForce = force && !accepts(machine, from, inputOf(false, satisfiable));
  const t = move(machine, node.id, from, inputOf(force, satisfiable), neededForce);
  if (t !== null) return t;
  if (accepts(machine, from, inputOf(false, true))) {
    return new ClusterchartError('SafetyCheckFailed', safetyFailed, { node: N(node.id), from, to });
  }
  const forcible = accepts(machine, from, inputOf(true, true));
  return new ClusterchartError(
    'UnsafeTransition',
    forcible
      ? `${N(node.id)} is currently in ${what} ${from}. Transitioning into ${to} is unsafe; use --force if you are sure.`
      : `${N(node.id)} is currently in ${what} ${from}. Transitioning into ${to} is never allowed` +
          (to === 'Provisioning' ? ' (Provisioning is never re-entered).' : ` (${from} is terminal).`),
    { node: N(node.id), from, to, forcible },
  );
}
