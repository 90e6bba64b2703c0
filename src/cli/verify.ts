/**
 * `clusterchart verify`: the library's `verifyHistory` over the cluster's streams (hash chain, revisions, positions,
 * decoding, every transition replayed through its statechart, the fold of the cluster stream), with a progress bar
 * on a terminal; exit 1 on any problem.
 */
import type { Command } from 'commander';
import type { VerifyReport } from '../index.js';
import type { CliContext } from './context.js';
import { table } from './output.js';

export function register(program: Command, cli: CliContext): void {
  program
    .command('verify')
    .description('check the hash chain and replay every recorded transition through its statechart; exit 1 on any problem')
    .action(
      cli.action(async (run) => {
        const reader = await run.reader();
        const cluster = await reader.cluster();
        const revisions = await reader.streamRevisions();
        const progress = run.progress('verify', Math.max(0, revisions.cluster + 1) + Math.max(0, revisions.observations + 1));
        let report: VerifyReport;
        try {
          report = await reader.verify({ onProgress: (done) => progress.update(done) });
        } finally {
          progress.finish();
        }
        if (!report.ok) run.failCheck();
        run.out.data(report, () =>
          report.ok
            ? `Verified ${report.events} events of cluster ${cluster}: the hash chain holds and every transition replays to its recorded state.`
            : `Verified ${report.events} events of cluster ${cluster}: ${report.problems.length} problem(s).\n` +
              table(
                ['POSITION', 'CODE', 'MESSAGE'],
                report.problems.map((p) => [String(p.position), p.code, p.message]),
              ),
        );
      }),
    );
}
