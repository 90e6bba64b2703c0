/** `clusterchart health`: metadata quorum and log replication, derived from the projections; exit 1 when unhealthy. */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { healthText } from './views.js';

export function register(program: Command, cli: CliContext): void {
  program
    .command('health')
    .description('is the metadata quorum available and can the log replication be satisfied? exit 1 when unhealthy')
    .action(
      cli.action(async (run) => {
        const health = await (await run.reader()).health({ at: run.now() });
        if (!health.healthy) run.failCheck();
        run.out.data(health, () => healthText(health));
      }),
    );
}
