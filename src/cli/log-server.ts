/** `clusterchart log-server provision | start | set-state`: log-server storage state and its marker. */
import type { Command } from 'commander';
import type { StorageState } from '../index.js';
import type { CliContext, Run } from './context.js';
import { already, stateChangeOutput } from './format.js';
import { parseIsoArg, parseNodeIdArg, parseStorageStateArg } from './parse.js';

type MarkerOptions = { marker?: string; createdAt?: string; markerNode?: number };

/**
 * The LogStoreMarker a log server found on its disk. `--marker-node` says which node wrote it (default: the node
 * itself); a different one is how another node's disk shows up (`MarkerFromAnotherNode`).
 */
function markerOf(run: Run, node: number, options: MarkerOptions & { marker: string }) {
  return { nodeId: options.markerNode ?? node, markerId: options.marker, createdAt: options.createdAt ?? run.at() };
}

const markerOptions = (command: Command, required: boolean) =>
  (required
    ? command.requiredOption('--marker <id>', "id of the LogStoreMarker on the server's disk")
    : command.option('--marker <id>', "id of the LogStoreMarker on the server's disk (none: the disk has no marker)")
  )
    .option('--created-at <iso>', 'creation time of the marker (default: now)', parseIsoArg)
    .option('--marker-node <n>', 'node that wrote the marker (default: the node itself)', parseNodeIdArg);

export function register(program: Command, cli: CliContext): void {
  const logServer = program.command('log-server').description('log-server storage state');

  markerOptions(
    logServer
      .command('provision')
      .description('self-provisioning: Provisioning -> ReadWrite, recording the marker (a retry with the same marker writes nothing)')
      .argument('<node>', 'node id (N3 or 3)', parseNodeIdArg),
    true,
  ).action(
    cli.action(async (run, node: number, options: MarkerOptions & { marker: string }) => {
      const result = await run.execute('ProvisionLogServer', { node, marker: markerOf(run, node, options) });
      const json = { node: result.node, storageState: result.storageState, alreadyApplied: result.alreadyApplied };
      run.out.data(json, () => `${json.node} is ${json.storageState}.${already(json.alreadyApplied)}`);
    }),
  );

  markerOptions(
    logServer
      .command('start')
      .description('start-up checks: a ReadWrite/ReadOnly server without its marker moves to DataLoss and is refused')
      .argument('<node>', 'node id (N3 or 3)', parseNodeIdArg),
    false,
  ).action(
    cli.action(async (run, node: number, options: MarkerOptions) => {
      const marker = options.marker === undefined ? null : markerOf(run, node, { ...options, marker: options.marker });
      const result = await run.execute('StartLogServer', { node, marker });
      const json = {
        node: result.node,
        storageState: result.storageState,
        started: result.started,
        refusal: result.refusal,
        alreadyApplied: result.alreadyApplied,
      };
      // A refused start is a domain refusal even when it recorded the move to DataLoss: exit 1.
      if (!result.started) run.failCheck();
      run.out.data(json, () =>
        result.started
          ? `${json.node} may start: it is ${json.storageState}.`
          : `${json.node} must not start (${result.refusal?.code ?? 'refused'}): ${result.refusal?.message ?? ''} It is now ${json.storageState}.`,
      );
    }),
  );

  logServer
    .command('set-state')
    .description('operator storage-state change; unsafe moves need --force and are marked forced')
    .argument('<node>', 'node id (N3 or 3)', parseNodeIdArg)
    .argument('<state>', 'Provisioning, ReadWrite, ReadOnly, DataLoss, Gone or Disabled (or kebab-case)', parseStorageStateArg)
    .option('--force', 'allow an unsafe transition (recorded as forced)')
    .action(
      cli.action(async (run, node: number, state: StorageState, options: { force?: boolean }) => {
        const result = await run.execute('SetStorageState', { node, state, force: options.force === true });
        const { json, text } = stateChangeOutput(result, '');
        run.out.data(json, text);
      }),
    );
}
