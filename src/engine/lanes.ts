/**
 * The lane scheduler. Each lane (the cluster aggregate stream, the high-volume observations stream) runs one batch
 * at a time; commands that arrive while a batch is in flight wait in the lane's queue, and everything queued
 * becomes the next batch (group commit: up to `maxBatchSize` commands decided into ONE append). A catch-up is
 * queued at the front of a lane as a sync job, so it never interleaves with the lane's own batches. The lanes
 * append independently, each with its own expected revision.
 */
import type { Logger } from 'pino';
import { isClusterchartError } from '../domain/errors.js';
import type { CommandJob, LaneState, Lanes, SyncJob } from './context.js';

export type LaneWork = Readonly<{
  /** Runs one batch through the command flow; settles every job and never throws. */
  runBatch: (lane: LaneState, jobs: CommandJob[]) => Promise<void>;
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
        if (commands.length > 0) await this.#work.runBatch(lane, commands);
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
