/** `clusterchart provision`: writes the cluster's initial configuration exactly once. */
import type { Command } from 'commander';
import type { ProviderKind, ReplicationProperty } from '../index.js';
import type { CliContext } from './context.js';
import { already, configText } from './format.js';
import { usageError } from './output.js';
import { parseIntegerArg, parseProviderArg, parseReplicationArg } from './parse.js';

type Options = { replication?: ReplicationProperty; logProvider?: ProviderKind; partitions?: number; nodesetSize?: number };

export function register(program: Command, cli: CliContext): void {
  program
    .command('provision')
    .description('provision a cluster with the replicated defaults (--cluster NAME is required)')
    .option('--replication <r>', 'log replication: 2 or {zone: 2, node: 3} (default {node: 1})', parseReplicationArg)
    .option('--log-provider <kind>', 'default log provider: replicated or local (default replicated)', parseProviderArg)
    .option('--partitions <n>', 'number of partitions (default 24)', parseIntegerArg('--partitions', 1, 65535))
    .option('--nodeset-size <n>', 'target nodeset size, 0 = automatic (default 0)', parseIntegerArg('--nodeset-size', 0, 255))
    .action(
      cli.action(async (run, options: Options) => {
        const cluster = run.options.cluster;
        if (cluster === undefined) throw usageError('provision needs the name of the new cluster: clusterchart provision --cluster NAME.');
        const result = await run.execute(
          'ProvisionCluster',
          {
            clusterName: cluster,
            logProvider: options.logProvider,
            replication: options.replication,
            numPartitions: options.partitions,
            targetNodesetSize: options.nodesetSize,
          },
          { cluster, mode: 'create' },
        );
        run.out.data({ cluster: result.clusterName, config: result.config, alreadyApplied: result.alreadyApplied }, () =>
          `Provisioned cluster ${result.clusterName}: ${configText(result.config)}.${already(result.alreadyApplied)}`,
        );
      }),
    );
}
