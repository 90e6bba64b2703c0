/** `clusterchart nodes register | remove | list`: node identities and the nodes configuration. */
import type { Command } from 'commander';
import { parseGenerationalNodeId, printPlainNodeId, type Role } from '../index.js';
import type { CliContext } from './context.js';
import { already, nodesJson, nodesText } from './format.js';
import { parseBooleanArg, parseNodeIdArg, parseNodeIdList, parseRolesArg } from './parse.js';
import { confirm } from './prompt.js';

type RegisterOptions = { name: string; roles: Role[]; forceId?: number; autoJoin?: boolean; address?: string; location?: string };

export function register(program: Command, cli: CliContext): void {
  const nodes = program.command('nodes').description('register, remove and list nodes');

  nodes
    .command('register')
    .description('register a new node, or restart a known name (generation + 1)')
    .requiredOption('--name <name>', 'node name, unique among live nodes')
    .requiredOption('--roles <list>', 'comma-separated roles: log-server, metadata-server, worker, admin, http-ingress', parseRolesArg)
    .option('--force-id <n>', 'use this node id instead of allocating one (0 is reserved)', parseNodeIdArg)
    .option('--auto-join <bool>', 'a metadata server joins the metadata cluster by itself (default true)', parseBooleanArg)
    .option('--address <addr>', 'advertised address')
    .option('--location <region.zone>', 'location, e.g. eu.a')
    .action(
      cli.action(async (run, options: RegisterOptions) => {
        const result = await run.execute('RegisterNode', {
          name: options.name,
          roles: options.roles,
          forceNodeId: options.forceId,
          autoJoin: options.autoJoin,
          address: options.address,
          location: options.location,
        });
        const node = result.node;
        const { id, generation } = parseGenerationalNodeId(node);
        run.out.data(
          { node, id: printPlainNodeId(id), generation, created: result.created, alreadyApplied: result.alreadyApplied },
          () => `${result.created ? 'Registered' : 'Restarted'} ${options.name} as ${node}.${already(result.alreadyApplied)}`,
        );
      }),
    );

  nodes
    .command('remove')
    .description('remove nodes after the safety checks, all or nothing (asks for confirmation unless --yes)')
    .argument('<nodes...>', 'node ids (N4 or 4)', parseNodeIdList)
    .option('--yes', 'do not ask for confirmation (required when stdin is not a terminal)')
    .action(
      cli.action(async (run, ids: number[], options: { yes?: boolean }) => {
        const names = ids.map(printPlainNodeId).join(', ');
        const confirmed = await confirm({
          question: `Remove ${names} permanently? Their ids are retired and can never be used again.`,
          yes: options.yes === true,
          flag: '--yes',
          input: cli.io.stdin,
          output: cli.io.stderr,
          command: 'nodes remove',
        });
        if (!confirmed) {
          run.failCheck();
          run.out.data({ removed: [], alreadyRemoved: [], cancelled: true }, () => 'Cancelled: nothing was removed.');
          return;
        }
        const result = await run.execute('RemoveNodes', { nodes: ids });
        const removed = result.removed;
        const alreadyRemoved = result.alreadyRemoved;
        run.out.data({ removed, alreadyRemoved, alreadyApplied: result.alreadyApplied }, () =>
          [
            removed.length > 0 ? `Removed ${removed.join(', ')}.` : 'Nothing to remove.',
            alreadyRemoved.length > 0 ? `Already removed or unknown: ${alreadyRemoved.join(', ')}.` : '',
          ]
            .filter((line) => line !== '')
            .join(' ') + already(result.alreadyApplied),
        );
      }),
    );

  nodes
    .command('list')
    .description('the nodes configuration: every node, tombstones included')
    .action(
      cli.action(async (run) => {
        const state = (await run.engine()).state();
        run.out.data(nodesJson(state), () => nodesText(state));
      }),
    );
}
