/** `clusterchart observe [--as-of POSITION|ISO]`: ObservedClusterState now, or as it was (time travel). */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { parseAsOfArg } from './parse.js';
import { observeText } from './views.js';

export function register(program: Command, cli: CliContext): void {
  program
    .command('observe')
    .description('ObservedClusterState: alive and dead nodes, partitions and their processors')
    .option('--as-of <position|iso>', 'the state as it was at a global position (inclusive) or at a time', parseAsOfArg)
    .action(
      cli.action(async (run, options: { asOf?: number | Date }) => {
        const json = await (await run.reader()).observed(options.asOf === undefined ? { at: run.now() } : { asOf: options.asOf });
        run.out.data(json, () => observeText(json));
      }),
    );
}
