/** `clusterchart metadata join | remove | status`: metadata cluster membership. */
import type { Command } from 'commander';
import { type CommandResult, metadataQuorum, printPlainNodeId } from '../index.js';
import type { CliContext } from './context.js';
import { already } from './format.js';
import { parseIsoArg, parseNodeIdArg } from './parse.js';

type MembershipResult = CommandResult<'JoinMetadataCluster'> | CommandResult<'RemoveMetadataMember'>;

function membershipJson(result: MembershipResult) {
  return {
    node: result.node,
    metadataServerState: result.metadataServerState,
    version: result.version,
    members: result.members,
    alreadyApplied: result.alreadyApplied,
  };
}

function membershipText(json: ReturnType<typeof membershipJson>): string {
  return `${json.node} is ${json.metadataServerState}; members (version ${json.version}): ${json.members.join(', ')}.${already(json.alreadyApplied)}`;
}

export function register(program: Command, cli: CliContext): void {
  const metadata = program.command('metadata').description('metadata cluster membership');

  metadata
    .command('join')
    .description('add a node (AutoJoin or Standby) to the metadata cluster')
    .argument('<node>', 'node id (N3 or 3)', parseNodeIdArg)
    .option('--created-at <iso>', 'storage identity of the joining server (a different one for a member means disk loss)', parseIsoArg)
    .action(
      cli.action(async (run, node: number, options: { createdAt?: string }) => {
        const result = await run.execute('JoinMetadataCluster', { node, createdAt: options.createdAt });
        const json = membershipJson(result);
        run.out.data(json, () => membershipText(json));
      }),
    );

  metadata
    .command('remove')
    .description('remove a member from the metadata cluster (it becomes Standby)')
    .argument('<node>', 'node id (N3 or 3)', parseNodeIdArg)
    .action(
      cli.action(async (run, node: number) => {
        const result = await run.execute('RemoveMetadataMember', { node });
        const json = membershipJson(result);
        run.out.data(json, () => membershipText(json));
      }),
    );

  metadata
    .command('status')
    .description('the metadata cluster configuration: version, members, quorum')
    .action(
      cli.action(async (run) => {
        const { metadata: config } = (await run.engine()).state();
        const members = Object.keys(config.members)
          .map(Number)
          .sort((a, b) => a - b)
          .map(printPlainNodeId);
        const status = { version: config.version, members, quorum: metadataQuorum(members.length) };
        run.out.data(status, () =>
          members.length === 0
            ? `The metadata cluster has no members (version ${status.version}).`
            : `Metadata cluster version ${status.version}: members ${members.join(', ')}; writes need ${status.quorum} of ${members.length}.`,
        );
      }),
    );
}
