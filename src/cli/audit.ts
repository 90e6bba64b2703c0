/**
 * `clusterchart audit [--node N] [--from POS] [--to POS]`: the transition history, who/what/when/why, from the
 * library's `audit` (a read of the cluster stream alone), with a progress bar on a terminal.
 */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { parseNodeIdArg, parsePositionArg } from './parse.js';
import { auditText } from './views.js';

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
        const reader = await run.reader();
        const progress = run.progress('audit', (await reader.streamRevisions()).cluster + 1);
        let json;
        try {
          json = await reader.audit(
            {
              ...(options.node === undefined ? {} : { node: `N${options.node}` }),
              ...(options.from === undefined ? {} : { fromPosition: options.from }),
              ...(options.to === undefined ? {} : { toPosition: options.to }),
            },
            { onProgress: (done) => progress.update(done) },
          );
        } finally {
          progress.finish();
        }
        run.out.data(json, () => auditText(json));
      }),
    );
}
