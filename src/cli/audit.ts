/**
 * `clusterchart audit [--node N] [--from POS] [--to POS]`: the transition history, who/what/when/why.
 *
 * The audit trail is a fold of the cluster stream alone (observations are liveness facts, not decisions), so this
 * reads only that stream — with a progress bar on a terminal — and builds each entry with the AuditTrail
 * projection's own `auditEntryOf` / `auditEntries`. On a store full of heartbeats that skips almost everything.
 */
import type { Command } from 'commander';
import { type AuditEntry, auditEntries, auditEntryOf } from '../../projections/audit-trail.js';
import { clusterStreamId } from '../domain/events.js';
import { decodeRecordedEvent } from '../engine/projection-runner.js';
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
        const store = await run.store();
        const stream = clusterStreamId(await run.existingCluster());
        const progress = run.progress('audit', (await store.streamRevision(stream)) + 1);
        const entries: AuditEntry[] = [];
        try {
          for await (const raw of store.readStream(stream)) {
            // Positions grow with revisions: nothing after --to can match.
            if (options.to !== undefined && raw.position > options.to) break;
            entries.push(auditEntryOf(decodeRecordedEvent(raw)));
            progress.update(entries.length);
          }
        } finally {
          progress.finish();
        }
        const json = toAuditJson(
          auditEntries(
            { position: 0, entries },
            {
              ...(options.node === undefined ? {} : { node: `N${options.node}` }),
              ...(options.from === undefined ? {} : { fromPosition: options.from }),
              ...(options.to === undefined ? {} : { toPosition: options.to }),
            },
          ),
        );
        run.out.data(json, () => auditText(json));
      }),
    );
}
