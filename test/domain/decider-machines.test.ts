/**
 * The decider and the statecharts agree: for every (from, to) pair of the operator transitions, with and without
 * force, the decider accepts exactly when the machine does, records the machine's to-state and marks the event
 * forced exactly when the move needed force. This drives every set-state transition of the log-server and worker
 * machines through the decider (the model-based tests drive them through the machines alone).
 */
import { describe, expect, it } from 'vitest';
import { runTransition } from '../../machines/index.js';
import { type Command, STORAGE_STATES, type StorageState, WORKER_STATES, type WorkerState } from '../../src/domain/index.js';
import { command, given } from '../../src/testing/given-when-then.js';

const AT = '2026-01-01T00:00:00.000Z';
const marker = (nodeId: number) => ({ nodeId, markerId: `m${nodeId}`, createdAt: AT });

/** Two log servers and workers; N1 stays ReadWrite and Active so every safety check passes; N2 is put in `from`. */
const base: Command[] = [
  command('ProvisionCluster', { clusterName: 'pairs' }),
  command('RegisterNode', { name: 'a', roles: ['log-server', 'worker'] }),
  command('RegisterNode', { name: 'b', roles: ['log-server', 'worker'] }),
  command('ProvisionLogServer', { node: 1, marker: marker(1) }),
  command('SetWorkerState', { node: 1, state: 'Active' }),
];

const reachStorage: Record<StorageState, Command[]> = {
  Provisioning: [],
  ReadWrite: [command('ProvisionLogServer', { node: 2, marker: marker(2) })],
  ReadOnly: [command('ProvisionLogServer', { node: 2, marker: marker(2) }), command('SetStorageState', { node: 2, state: 'ReadOnly' })],
  DataLoss: [command('ProvisionLogServer', { node: 2, marker: marker(2) }), command('StartLogServer', { node: 2, marker: null })],
  Gone: [command('ProvisionLogServer', { node: 2, marker: marker(2) }), command('SetStorageState', { node: 2, state: 'Gone', force: true })],
  Disabled: [command('SetStorageState', { node: 2, state: 'Disabled' })],
};

const reachWorker: Record<WorkerState, Command[]> = {
  Provisioning: [],
  Active: [command('SetWorkerState', { node: 2, state: 'Active' })],
  Draining: [command('SetWorkerState', { node: 2, state: 'Active' }), command('SetWorkerState', { node: 2, state: 'Draining' })],
  Disabled: [command('SetWorkerState', { node: 2, state: 'Disabled' })],
};

describe('decider and statecharts agree on every operator transition', () => {
  it('log-server: every (from, to, force) triple', () => {
    let accepted = 0;
    for (const from of STORAGE_STATES) {
      for (const to of STORAGE_STATES) {
        if (to === from) continue;
        for (const force of [false, true]) {
          const input = { type: 'set-state', to, force, nodesetsSatisfiable: true };
          const expected = runTransition('log-server', from, input);
          const when = given(...base, ...reachStorage[from]).when(command('SetStorageState', { node: 2, state: to, force }));
          if (expected === null) {
            when.then('UnsafeTransition');
            continue;
          }
          const neededForce = runTransition('log-server', from, { ...input, force: false }) === null;
          when.then([{ type: 'StorageStateChanged', data: { machine: 'log-server', nodeId: 2, from, to: expected, forced: neededForce, input } }]);
          accepted += 1;
        }
      }
    }
    // 3 safe moves (accepted with and without force) + 18 forced-only moves.
    expect(accepted).toBe(3 * 2 + 18);
  });

  it('worker: every (from, to, force) triple', () => {
    let accepted = 0;
    for (const from of WORKER_STATES) {
      for (const to of WORKER_STATES) {
        if (to === from) continue;
        for (const force of [false, true]) {
          const input = { type: 'set-state', to, force, replicaSetsSatisfiable: true };
          const expected = runTransition('worker', from, input);
          const when = given(...base, ...reachWorker[from]).when(command('SetWorkerState', { node: 2, state: to, force }));
          if (expected === null) {
            when.then('UnsafeTransition');
            continue;
          }
          const neededForce = runTransition('worker', from, { ...input, force: false }) === null;
          when.then([{ type: 'WorkerStateChanged', data: { machine: 'worker', nodeId: 2, from, to: expected, forced: neededForce, input } }]);
          accepted += 1;
        }
      }
    }
    // 6 safe moves (accepted with and without force) + 3 forced-only moves.
    expect(accepted).toBe(6 * 2 + 3);
  });
});
