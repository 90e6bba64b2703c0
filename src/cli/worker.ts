/** `clusterchart worker set-state`: worker state (Provisioning -> Active, Active <-> Draining, -> Disabled). */
import type { Command } from 'commander';
import type { WorkerState } from '../index.js';
import type { CliContext } from './context.js';
import { stateChangeOutput } from './format.js';
import { parseNodeIdArg, parseWorkerStateArg } from './parse.js';

export function register(program: Command, cli: CliContext): void {
  program
    .command('worker')
    .description('worker state')
    .command('set-state')
    .description('operator worker-state change; unsafe moves need --force and are marked forced')
    .argument('<node>', 'node id (N3 or 3)', parseNodeIdArg)
    .argument('<state>', 'Provisioning, Active, Draining or Disabled (or kebab-case)', parseWorkerStateArg)
    .option('--force', 'allow an unsafe transition (recorded as forced)')
    .action(
      cli.action(async (run, node: number, state: WorkerState, options: { force?: boolean }) => {
        const result = await run.execute('SetWorkerState', { node, state, force: options.force === true });
        const { json, text } = stateChangeOutput(result, 'worker ');
        run.out.data(json, text);
      }),
    );
}
