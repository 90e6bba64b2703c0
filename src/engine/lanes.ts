/**
 * Lanes and their scheduler. Each lane (the cluster aggregate stream, the high-volume observations stream) runs one batch
 * at a time; commands that arrive while a batch is in flight wait in the lane's queue, and everything queued
 * becomes the next batch (group commit: up to `maxBatchSize` commands decided into ONE append, as many as fit in
 * the store's limits; the commands that did not fit come back to the front of the queue, in order). A catch-up is
 * queued at the front of a lane as a sync job, so it never interleaves with the lane's own batches. The lanes
 * append independently, each with its own expected revision.
 */
import type { Logger } from 'pino';
import type { Command } from '../domain/commands.js';
import { isClusterchartError } from '../domain/errors.js';
import type { CommandResult } from '../domain/results.js';
import type { Lane } from './command-index.js';

/** One stream the engine appends to, with its own expected revision, chain head and queue. */
export type LaneState = {
  readonly name: Lane;
  readonly stream: string;
  /** Last revision of the stream this engine has applied (-1: none). */
  revision: number;
  /** Chain hash of the event at `revision` ('' before the first). */
  lastHash: string;
  /** Command id of the event at `revision`: a command's events are contiguous, so a new id starts a new entry. */
  lastCommandId: string | null;
  readonly queue: (CommandJob | SyncJob)[];
  /** True while the lane's queue is being drained (one batch at a time per lane). */
  running: boolean;
};

export type Lanes = Readonly<Record<Lane, LaneState>>;

/** How a command ended: its result, or the error its caller receives. */
export type Outcome = Readonly<{ ok: true; result: CommandResult }> | Readonly<{ ok: false; error: unknown }>;

/** A validated command waiting in a lane's queue; `outcome` is set once, then the caller is settled. */
export type CommandJob = {
  readonly kind: 'command';
  readonly command: Command;
  readonly actor: string | undefined;
  readonly causationId: string | undefined;
  readonly correlationId: string | undefined;
  readonly resolve: (result: CommandResult) => void;
  readonly reject: (error: unknown) => void;
  outcome?: Outcome;
};

/** A catch-up queued on a lane, so that it never interleaves with the lane's own batches. */
export type SyncJob = { readonly kind: 'sync'; readonly resolve: () => void; readonly reject: (error: unknown) => void };

export function newLane(name: Lane, stream: string): LaneState {
  return { name, stream, revision: -1, lastHash: '', lastCommandId: null, queue: [], running: false };
}

export type LaneWork = Readonly<{
  /**
   * Runs one batch through the command flow and never throws. Settles every job it answered and resolves with the
   * ones that did not fit in the batch's append (the store's limits), in order: they go back to the front of the
   * queue.
   */
  runBatch: (lane: LaneState, jobs: CommandJob[]) => Promise<CommandJob[]>;
  /** Catches the lane up with its stream. */
  catchUp: (lane: LaneState) => Promise<unknown>;
}>;

export class LaneScheduler {
  readonly #lanes: Lanes;
  readonly #maxBatch: number;
  readonly #work: LaneWork;

  constructor(lanes: Lanes, maxBatch: number, work: LaneWork) {
    this.#lanes = lanes;
    this.#maxBatch = maxBatch;
    this.#work = work;
  }

  /** Queues a command on its lane. */
  enqueue(lane: LaneState, job: CommandJob): void {
    lane.queue.push(job);
    void this.#drain(lane);
  }

  /** Queues a catch-up at the front of the lane; resolves once it ran. */
  sync(lane: LaneState): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      lane.queue.unshift({ kind: 'sync', resolve, reject });
      void this.#drain(lane);
    });
  }

  /** True while a lane runs a batch or holds queued work. */
  busy(): boolean {
    return Object.values(this.#lanes).some((lane) => lane.running || lane.queue.length > 0);
  }

  /** Runs a lane's queue: everything queued while a batch is in flight becomes the next batch (group commit). */
  async #drain(lane: LaneState): Promise<void> {
    if (lane.running) return;
    lane.running = true;
    try {
      while (lane.queue.length > 0) {
        const jobs = lane.queue.splice(0, this.#maxBatch);
        const syncs = jobs.filter((job): job is SyncJob => job.kind === 'sync');
        const commands = jobs.filter((job): job is CommandJob => job.kind === 'command');
        if (syncs.length > 0) {
          try {
            await this.#work.catchUp(lane);
            for (const job of syncs) job.resolve();
          } catch (error) {
            for (const job of syncs) job.reject(error);
          }
        }
        if (commands.length > 0) lane.queue.unshift(...(await this.#work.runBatch(lane, commands)));
      }
    } finally {
      lane.running = false;
    }
  }
}

/** Resolves or rejects a job's caller with its outcome (a job left without one is an internal error). */
export function settle(log: Logger, job: CommandJob): void {
  const outcome = job.outcome ?? { ok: false, error: new Error('internal: command left without an outcome') };
  const { type, commandId } = job.command;
  if (outcome.ok) {
    if (log.isLevelEnabled('debug')) {
      log.debug({ type, commandId, outcome: outcome.result.alreadyApplied ? 'already-applied' : 'applied' }, 'command');
    }
    job.resolve(outcome.result);
  } else {
    const error = outcome.error;
    if (isClusterchartError(error)) {
      log.info({ type, commandId, code: error.code, outcome: 'refused' }, error.message);
    } else {
      log.error({ type, commandId, err: error }, 'command failed');
    }
    job.reject(error);
  }
}
