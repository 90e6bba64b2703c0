/**
 * `clusterchart migrate legacy FILE`: imports a legacy (Restate 1.0-1.1) NodesConfiguration document into an empty
 * cluster stream. A lone live N0 is remapped to a valid id keeping its generation; N0 next to other live nodes is
 * refused (`MultiNodeCluster`) and nothing is written.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { CommandInputData } from '../index.js';
import type { CliContext } from './context.js';
import { already } from './format.js';
import { usageError } from './output.js';
import { parseNodeIdArg } from './parse.js';

async function readDocument(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw usageError(`Cannot read the legacy document ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`, { file });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw usageError(`The legacy document ${file} is not JSON: ${(error as Error).message}.`, { file });
  }
}

export function register(program: Command, cli: CliContext): void {
  program
    .command('migrate')
    .description('import history from older formats')
    .command('legacy')
    .description('import a legacy nodes-configuration document into an empty cluster (node 0 remapped)')
    .argument('<file>', 'the legacy NodesConfiguration JSON document')
    .option('--force-node-id <n>', 'id for the remapped legacy N0 (default: the lowest free id)', parseNodeIdArg)
    .action(
      cli.action(async (run, file: string, options: { forceNodeId?: number }) => {
        const document = await readDocument(file);
        const named = (document as { clusterName?: unknown } | null)?.clusterName;
        const cluster = run.options.cluster ?? (typeof named === 'string' ? named : undefined);
        if (cluster === undefined) throw usageError(`The legacy document ${file} has no clusterName: name the cluster with --cluster NAME.`, { file });
        // The engine validates the document (zod) at its boundary; the CLI only reads the JSON.
        const legacy = document as CommandInputData['ImportLegacyConfiguration']['document'];
        const result = await run.execute('ImportLegacyConfiguration', { document: legacy, forceNodeId: options.forceNodeId }, { cluster, mode: 'create' });
        const remapped =
          result.remapped === null ? null : { from: result.remapped.from, to: result.remapped.to, generation: result.remapped.generation };
        const json = { cluster: result.clusterName, nodes: result.nodes, tombstones: result.tombstones, remapped, alreadyApplied: result.alreadyApplied };
        run.out.data(json, () =>
          `Imported cluster ${json.cluster}: ${json.nodes} live node(s), ${json.tombstones} tombstone(s).` +
          (remapped === null ? '' : ` Legacy ${remapped.from} is now ${remapped.to}:${remapped.generation} (generation kept; ${remapped.from} is a tombstone).`) +
          already(json.alreadyApplied),
        );
      }),
    );
}
