/** `clusterchart heartbeat | unreachable`: liveness observations, written to the observations stream. */
import type { Command } from 'commander';
import type { RunMode } from '../index.js';
import type { CliContext } from './context.js';
import { already } from './format.js';
import { parseGenerationalArg, parseNodeIdArg, parsePartitionsArg } from './parse.js';

export function register(program: Command, cli: CliContext): void {
  program
    .command('heartbeat')
    .description('record that a node is alive at a generation, with the partitions it runs (replaces its previous set)')
    .argument('<node>', 'generational node id, e.g. N3:2', parseGenerationalArg)
    .option('--partitions <list>', 'partition roles, e.g. 0=leader,3=follower', parsePartitionsArg)
    .action(
      cli.action(async (run, node: { id: number; generation: number }, options: { partitions?: Record<string, RunMode> }) => {
        const result = await run.execute('RecordHeartbeat', { node, at: run.at(), partitions: options.partitions ?? {} });
        const json = {
          node: result.node,
          at: result.at,
          partitions: options.partitions ?? {},
          alreadyApplied: result.alreadyApplied,
          ignored: result.ignored,
          reason: result.reason,
        };
        run.out.data(json, () => {
          const parts = Object.entries(json.partitions).map(([p, mode]) => `${p}=${mode}`);
          const heartbeat = `Heartbeat of ${json.node} at ${json.at}${parts.length > 0 ? ` (partitions ${parts.join(', ')})` : ''}`;
          if (json.reason !== null) return `${heartbeat} recorded but ignored: ${json.reason}${already(json.alreadyApplied)}`;
          return `${heartbeat}.${already(json.alreadyApplied)}`;
        });
      }),
    );

  program
    .command('unreachable')
    .description('record that a node cannot be reached: it is dead and loses its partitions')
    .argument('<node>', 'node id (N3 or 3)', parseNodeIdArg)
    .action(
      cli.action(async (run, node: number) => {
        const result = await run.execute('RecordUnreachable', { node, at: run.at() });
        const json = { node: result.node, at: result.at, alreadyApplied: result.alreadyApplied };
        run.out.data(json, () => `${json.node} recorded unreachable at ${json.at}.${already(json.alreadyApplied)}`);
      }),
    );
}
