/** `clusterchart audit [--node N] [--from POS] [--to POS]`: the transition history, who/what/when/why. */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { parseNodeIdArg, parsePositionArg } from './parse.js';
import { auditText, toAuditJson } from './views.js';

type Options = { node?: number; from?: number; to?: number };

export function register(program: Command, cli: CliContext): void {
  program
    .command('audit')
    .description('the transition history of the cluster stream (position, time, command, machine, node, from -> to)')
    .option('--node <n>', 'only entries about this node (N0 finds a remapped legacy node)', parseNodeIdArg)
    .option('--from <position>', 'first global position (inclusive)', parsePositionArg)
    .option('--to <position>', 'last global position (inclusive)', parsePositionArg)
    .action(
      cli.action(async (run, options: Options) => {
        const entries = (await run.views(['audit'])).audit({
          ...(options.node === undefined ? {} : { node: `N${options.node}` }),
          ...(options.from === undefined ? {} : { fromPosition: options.from }),
          ...(options.to === undefined ? {} : { toPosition: options.to }),
        });
        const json = toAuditJson(entries);
        run.out.data(json, () => auditText(json));
      }),
    );
}
