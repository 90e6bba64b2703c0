/**
 * Worker rules (worker machine): the operator's worker-state changes with the replica-set safety check. The model
 * for adding a machine's rules: look the node up, compute the facts the guards read, let the machine decide.
 */
import type { CommandData } from '../domain/commands.js';
import { ClusterchartError } from '../domain/errors.js';
import { WORKER_CAPABILITIES } from '../domain/states.js';
import { activeWorkerCount } from './node-index.js';
import { operatorMove } from './operator.js';
import { N, type Outcome, type ProvisionedState, accept, lookupLive, nothingToDo, refuse } from './outcome.js';

/** `SetWorkerState`: without force only workers, and only safe moves. */
export function setWorkerState(state: ProvisionedState, data: CommandData['SetWorkerState']): Outcome {
  const found = lookupLive(state, data.node);
  if (!found.ok) return found;
  const node = found.node;
  if (!data.force && !node.roles.includes('worker')) {
    return refuse('InvalidRole', `${N(node.id)} does not have the worker role (use --force to set its worker state anyway).`, {
      node: N(node.id),
    });
  }
  if (node.workerState === data.state) return nothingToDo;
  // Leaving the replica sets is safe while another worker in them remains to build them.
  const satisfiable =
    !WORKER_CAPABILITIES[node.workerState].inReplicaSets || activeWorkerCount(state) - (node.roles.includes('worker') ? 1 : 0) > 0;
  const t = operatorMove(
    'worker',
    node,
    { from: node.workerState, to: data.state, force: data.force },
    (force, replicaSetsSatisfiable) => ({ type: 'set-state', to: data.state, force, replicaSetsSatisfiable }),
    satisfiable,
    'worker-state',
    `Safety-check failed: Can no longer create new replica sets if ${N(node.id)} leaves Active (it is the last Active ` +
      'worker). Activate another worker first, or use --force.',
  );
  if (t instanceof ClusterchartError) return { ok: false, error: t };
  return accept([{ type: 'WorkerStateChanged', data: { ...t, nodeId: node.id } }]);
}
