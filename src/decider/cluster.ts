/**
 * The cluster-provisioning rules: the initial configuration is written exactly once (`ProvisionCluster`, or a legacy
 * import), and afterwards only the default log provider changes, and only TO `replicated` (the machine's guard).
 */
import type { ClusterState } from '../domain/cluster-state.js';
import type { CommandData } from '../domain/commands.js';
import type { ClusterConfig } from '../domain/events.js';
import { type Outcome, type ProvisionedState, accept, expectMove, move, nothingToDo, refuse } from './outcome.js';

/** The configuration `ProvisionCluster` writes when given no options, and a legacy import adopts. */
export const DEFAULT_CLUSTER_CONFIG: ClusterConfig = {
  logProvider: 'replicated',
  replication: { node: 1 },
  targetNodesetSize: 0,
  numPartitions: 24,
  metadataServer: 'replicated',
};

/** `ProvisionCluster`: writes the initial configuration; a provisioned cluster refuses (AlreadyProvisioned). */
export function provisionCluster(state: ClusterState, data: CommandData['ProvisionCluster']): Outcome {
  if (state.config !== null) {
    return refuse('AlreadyProvisioned', 'The cluster has already been provisioned; change settings with SetDefaultLogProvider.', {
      clusterName: state.clusterName ?? '',
    });
  }
  const config: ClusterConfig = {
    logProvider: data.logProvider,
    replication: data.replication,
    targetNodesetSize: data.targetNodesetSize,
    numPartitions: data.numPartitions,
    metadataServer: data.metadataServer,
  };
  const moved = expectMove('cluster-provisioning', null, 'Unprovisioned', { type: 'provision', provider: config.logProvider });
  if (!moved.ok) return moved;
  return accept([{ type: 'ClusterProvisioned', data: { ...moved.transition, clusterName: data.clusterName, config } }]);
}

const sameReplication = (a: ClusterConfig['replication'], b: ClusterConfig['replication']) =>
  a.node === b.node && a.zone === b.zone && a.region === b.region;

/** `SetDefaultLogProvider`: the same settings again change nothing; a provider other than replicated is refused. */
export function setDefaultLogProvider(state: ProvisionedState, data: CommandData['SetDefaultLogProvider']): Outcome {
  const { config } = state;
  const next: ClusterConfig = {
    ...config,
    logProvider: data.provider,
    replication: data.replication ?? config.replication,
    targetNodesetSize: data.targetNodesetSize ?? config.targetNodesetSize,
  };
  if (
    next.logProvider === config.logProvider &&
    sameReplication(next.replication, config.replication) &&
    next.targetNodesetSize === config.targetNodesetSize
  ) {
    return nothingToDo;
  }
  const t = move('cluster-provisioning', null, 'Provisioned', { type: 'change-provider', provider: data.provider });
  if (t === null) {
    return refuse(
      'ChooseReplicatedLoglet',
      `changing default provider kind to ${data.provider} is not supported. Choose 'replicated' instead.`,
      { provider: data.provider, current: config.logProvider },
    );
  }
  return accept([{ type: 'DefaultLogProviderChanged', data: { ...t, config: next } }]);
}
