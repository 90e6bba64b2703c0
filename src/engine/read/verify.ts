/**
 * Verifying a cluster's history: for each of the cluster's streams, in one forward read, it checks
 * - `RevisionGap`: revisions are dense from 0 (a deleted event leaves a gap);
 * - `PositionOrder`: global positions grow with revisions (rows moved or swapped);
 * - `HashMismatch`: every event's `metadata.hash` is the link `chainHash(previous link, event)` — the engine's hash
 *   chain, walked by `walkHashChain`, which continues from the RECORDED link, so one altered event is reported once;
 * - `UnknownEventType` / `HistoryInvalid`: the event decodes against the domain schemas;
 * - `TransitionMismatch`: the recorded input, run through its statechart from the recorded from-state (one reused
 *   actor scope per machine), yields the recorded to-state and agrees with the event's own fields (`verifyTransition`);
 * - the cluster stream folds into a valid aggregate: every recorded from-state is the node's current state, ids are
 *   never reused, no live N0 (`HistoryInvalid`, `LegacyNodeZero` from the decider's fold; folding stops there).
 * Each problem is reported once per stream with its FIRST position and how many events share it. Nothing is written.
 */
import { createTransitionRunner } from '../../../machines/index.js';
import { applyClusterEvent, copyClusterState, type MutableClusterState } from '../../decider/evolve.js';
import { verifyTransition } from '../../decider/verify-transition.js';
import { emptyClusterState } from '../../domain/cluster-state.js';
import { isClusterchartError } from '../../domain/errors.js';
import { clusterStreamId, observationsStreamId, parseDomainEvent } from '../../domain/events.js';
import type { EventStore } from '../../store/event-store.js';
import { walkHashChain } from '../hashing.js';

export type VerifyProblem = Readonly<{ position: number; code: string; message: string }>;
export type VerifyReport = Readonly<{ ok: boolean; events: number; problems: readonly VerifyProblem[] }>;

/** Progress of a verification: events checked so far, of `total` (the events the streams held when it began). */
export type VerifyProgress = (done: number, total: number) => void;

export type VerifyOptions = Readonly<{ onProgress?: VerifyProgress }>;

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

/** How many events a verification of `cluster` reads (both streams), for a progress bar. */
export async function historySize(store: EventStore, cluster: string): Promise<number> {
  return (
    Math.max(0, (await store.streamRevision(clusterStreamId(cluster))) + 1) + Math.max(0, (await store.streamRevision(observationsStreamId(cluster))) + 1)
  );
}

/**
 * Verifies every stream of a cluster. `onProgress` is called after each event.
 *
 * @example
 * const report = await verifyHistory(store, 'prod');
 * if (!report.ok) for (const p of report.problems) console.error(p.position, p.code, p.message);
 */
export async function verifyHistory(store: EventStore, cluster: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const { onProgress } = options;
  const total = onProgress === undefined ? 0 : await historySize(store, cluster);
  const problems = new Problems();
  const runner = createTransitionRunner();
  let events = 0;
  let state: MutableClusterState | null = copyClusterState(emptyClusterState());

  for (const streamId of [clusterStreamId(cluster), observationsStreamId(cluster)]) {
    const foldable = streamId === clusterStreamId(cluster);
    for await (const link of walkHashChain(store.readStream(streamId))) {
      const { event } = link;
      events++;
      const at = (code: string, message: string) => problems.add(streamId, { position: event.position, code, message });
      for (const problem of link.problems) at(problem.code, problem.message);
      try {
        const domainEvent = parseDomainEvent({ type: event.type, data: event.data, position: event.position });
        const problem = verifyTransition(domainEvent, runner);
        if (problem !== null) at('TransitionMismatch', `${event.streamId}@${event.revision} (position ${event.position}, ${event.type}): ${problem}.`);
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
      onProgress?.(events, total);
    }
  }
  const list = problems.list();
  return { ok: list.length === 0, events, problems: list };
}
