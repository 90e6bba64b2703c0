/**
 * `clusterchart verify`: the audit of a cluster's history (issue 6 §3). For each of the cluster's streams it checks,
 * in one forward read:
 * - `RevisionGap`: revisions are dense from 0 (a deleted event leaves a gap);
 * - `PositionOrder`: global positions grow with revisions (rows moved or swapped);
 * - `HashMismatch`: every event's `metadata.hash` is the link `chainHash(previous link, event)` — the engine's hash
 *   chain. The check continues from the RECORDED link, so one altered event is reported once, not with every later one;
 * - `UnknownEventType` / `HistoryInvalid`: the event decodes against the domain schemas;
 * - `TransitionMismatch`: the recorded input, run through its statechart from the recorded from-state (one reused
 *   actor scope per machine), yields the recorded to-state, and agrees with the event's own fields (the domain's
 *   `verifyTransition`);
 * - the cluster stream folds into a valid aggregate: every recorded from-state is the node's current state, ids are
 *   never reused, no live N0 (`HistoryInvalid`, `LegacyNodeZero` from the domain's fold; folding stops there).
 * Each problem is reported once per stream with its FIRST position and how many events share it.
 */
import type { Command } from 'commander';
import { createTransitionRunner } from '../../machines/index.js';
import { applyClusterEvent, copyClusterState, type MutableClusterState } from '../decider/evolve.js';
import { emptyClusterState } from '../domain/cluster-state.js';
import { isClusterchartError } from '../domain/errors.js';
import { clusterStreamId, observationsStreamId, parseDomainEvent } from '../domain/events.js';
import { verifyTransition } from '../decider/verify-transition.js';
import { chainHash } from '../engine/hashing.js';
import type { EventStore, RecordedEvent } from '../store/event-store.js';
import type { CliContext } from './context.js';
import { table } from './output.js';

export type VerifyProblem = { position: number; code: string; message: string };
export type VerifyReport = { ok: boolean; events: number; problems: VerifyProblem[] };

type Found = { first: VerifyProblem; count: number };

/** Collects problems per (stream, code), keeping the first one and a count. */
class Problems {
  readonly #found = new Map<string, Found>();

  add(stream: string, problem: VerifyProblem): void {
    const key = `${stream}\u0000${problem.code}`;
    const found = this.#found.get(key);
    if (found === undefined) this.#found.set(key, { first: problem, count: 1 });
    else found.count++;
  }

  list(): VerifyProblem[] {
    return [...this.#found.values()]
      .map(({ first, count }) =>
        count === 1 ? first : { ...first, message: `${first.message} (${count - 1} later event(s) of this stream have the same problem)` },
      )
      .sort((a, b) => a.position - b.position || a.code.localeCompare(b.code));
  }
}

const describe = (e: RecordedEvent) => `${e.streamId}@${e.revision} (position ${e.position}, ${e.type})`;

/**
 * Verifies every stream of a cluster. `onEvent` is called after each event (for a progress bar).
 *
 * @example
 * const report = await verifyCluster(store, 'prod');
 * if (!report.ok) for (const p of report.problems) console.error(p.position, p.code, p.message);
 */
export async function verifyCluster(store: EventStore, cluster: string, onEvent: (done: number) => void = () => {}): Promise<VerifyReport> {
  const problems = new Problems();
  const runner = createTransitionRunner();
  let events = 0;
  let state: MutableClusterState | null = copyClusterState(emptyClusterState());

  for (const streamId of [clusterStreamId(cluster), observationsStreamId(cluster)]) {
    const foldable = streamId === clusterStreamId(cluster);
    let previousLink = '';
    let expectedRevision = 0;
    let previousPosition = 0;
    for await (const event of store.readStream(streamId)) {
      events++;
      const at = (code: string, message: string) => problems.add(streamId, { position: event.position, code, message });

      if (event.revision !== expectedRevision) {
        at('RevisionGap', `${describe(event)}: expected revision ${expectedRevision}; ${event.revision - expectedRevision} event(s) before it are missing.`);
      }
      if (event.position <= previousPosition) {
        at('PositionOrder', `${describe(event)} is stored before position ${previousPosition} of an earlier revision: events were moved or swapped.`);
      }
      const metadata = event.metadata as Record<string, unknown>;
      const recorded = typeof metadata.hash === 'string' ? metadata.hash : null;
      const link = chainHash(previousLink, {
        id: event.id,
        type: event.type,
        data: event.data,
        commandId: typeof metadata.commandId === 'string' ? metadata.commandId : '',
        at: typeof metadata.at === 'string' ? metadata.at : '',
      });
      if (recorded !== link) {
        at(
          'HashMismatch',
          recorded === null
            ? `${describe(event)} has no hash: it was not written by the clusterchart engine.`
            : `${describe(event)} breaks the hash chain: it, or the event before it, was altered, removed or reordered.`,
        );
      }
      previousLink = recorded ?? link;
      expectedRevision = event.revision + 1;
      previousPosition = Math.max(previousPosition, event.position);

      try {
        const domainEvent = parseDomainEvent({ type: event.type, data: event.data, position: event.position });
        const problem = verifyTransition(domainEvent, runner);
        if (problem !== null) at('TransitionMismatch', `${describe(event)}: ${problem}.`);
        if (foldable && state !== null) {
          try {
            applyClusterEvent(state, domainEvent, event.position);
          } catch (error) {
            // The aggregate cannot be trusted past an impossible event: report it and stop folding.
            if (!isClusterchartError(error)) throw error;
            at(error.code, error.message);
            state = null;
          }
        }
      } catch (error) {
        if (!isClusterchartError(error)) throw error;
        at(error.code, error.message);
      }
      onEvent(events);
    }
  }
  const list = problems.list();
  return { ok: list.length === 0, events, problems: list };
}

export function register(program: Command, cli: CliContext): void {
  program
    .command('verify')
    .description('check the hash chain and replay every recorded transition through its statechart; exit 1 on any problem')
    .action(
      cli.action(async (run) => {
        const store = await run.store();
        const cluster = await run.existingCluster();
        const total =
          Math.max(0, (await store.streamRevision(clusterStreamId(cluster))) + 1) +
          Math.max(0, (await store.streamRevision(observationsStreamId(cluster))) + 1);
        const progress = run.progress('verify', total);
        let report: VerifyReport;
        try {
          report = await verifyCluster(store, cluster, (done) => progress.update(done));
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
