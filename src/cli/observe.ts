/** `clusterchart observe [--as-of POSITION|ISO]`: ObservedClusterState now, or as it was (time travel). */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { parseAsOfArg } from './parse.js';
import { observeText, toObserveJson } from './views.js';

export function register(program: Command, cli: CliContext): void {
  program
    .command('observe')
    .description('ObservedClusterState: alive and dead nodes, partitions and their processors')
    .option('--as-of <position|iso>', 'the state as it was at a global position (inclusive) or at a time', parseAsOfArg)
    .action(
      cli.action(async (run, options: { asOf?: number | Date }) => {
        const views = await run.views(options.asOf === undefined ? ['observed'] : []);
        const view = options.asOf === undefined ? views.observed(run.now()) : await views.observedAsOf(options.asOf);
        const json = toObserveJson(view);
        run.out.data(json, () => observeText(json));
      }),
    );
}
