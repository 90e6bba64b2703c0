/**
 * The append and the retry policy around it.
 *
 * - A plan is appended with the revision its decisions were made on as the expected revision, then confirmed by
 *   reading back its last event: a store acknowledges a re-append of ids it already holds (EventStoreDB
 *   semantics), and what it holds then is the EARLIER write (another `at`, another chain hash), which the engine
 *   must read instead of adopting its own plan. One indexed read per append.
 * - `WrongExpectedVersion` (another writer got there first) and decisions found stale are conflicts: catch up,
 *   decide again, with a jittered exponential backoff; more than `maxConflictRetries` of them is `TooManyConflicts`.
 * - `AppendTooLarge` (the store refused the request itself, before writing anything) is a definite failure: the
 *   commands that were to be appended fail with it, nothing is read back or retried. Planning keeps appends within
 *   the limits the store declares, so this only happens when a server is configured below them.
 * - An append that fails any other way has an unknown outcome: the tail is read, and if the plan's own first event
 *   is there (same revision, same chain hash) the commands succeeded; otherwise they are decided and appended
 *   again, at most `MAX_UNKNOWN_OUTCOMES` times before the batch fails with the store's error.
 */
import { ClusterchartError, isClusterchartError } from '../domain/errors.js';
import type { RecordedEvent } from '../store/event-store.js';
import { eventAt } from './catch-up.js';
import { delay, type EngineContext } from './context.js';
import type { LaneState } from './lanes.js';
import { type Plan, settlePlan } from './planning.js';

/** Appends with an unknown outcome that did not land, retried before the batch fails with the store's error. */
const MAX_UNKNOWN_OUTCOMES = 20;
/** Upper bound of one conflict backoff. */
const MAX_BACKOFF_MS = 100;
/** Failed reads of the tail after an unknown outcome retried (with backoff) before `StoreUnavailable`. */
const MAX_READ_BACK_ATTEMPTS = 5;

type ExpectedRevision = number | 'no-stream';

/** Why an attempt must run again. */
export type Retry =
  | Readonly<{ kind: 'stale' }>
  | Readonly<{ kind: 'conflict'; error: unknown; expectedRevision: ExpectedRevision; commands: number }>
  | Readonly<{ kind: 'unknown-outcome'; error: unknown; expectedRevision: ExpectedRevision; commands: number; plan: Plan }>
  | Readonly<{ kind: 'earlier-write'; plan: Plan }>;

export type Appended =
  | Readonly<{ ok: true; position: number }>
  | Readonly<{ ok: false; retry: Retry }>
  /** The store refused the append as too large: nothing was written, the planned commands fail with `error`. */
  | Readonly<{ ok: false; tooLarge: ClusterchartError }>;

const isConflict = (error: unknown): boolean =>
  isClusterchartError(error, 'WrongExpectedVersion') || isClusterchartError(error, 'DuplicateEventId');

/**
 * Appends a plan's envelopes with the lane's revision as the expected revision and confirms the write. Resolves
 * with the append's global position, or with why the attempt must run again; throws only when the read-back fails.
 */
export async function appendPlan(ctx: EngineContext, lane: LaneState, plan: Plan, commands: number): Promise<Appended> {
  const expectedRevision: ExpectedRevision = lane.revision < 0 ? 'no-stream' : lane.revision;
  let position: number;
  try {
    position = (await ctx.store.appendToStream(lane.stream, plan.envelopes, { expectedRevision })).position;
  } catch (error) {
    if (isClusterchartError(error, 'AppendTooLarge')) return { ok: false, tooLarge: refusedAsTooLarge(ctx, lane, plan, error) };
    const kind = isConflict(error) ? 'conflict' : 'unknown-outcome';
    return { ok: false, retry: kind === 'conflict' ? { kind, error, expectedRevision, commands } : { kind, error, expectedRevision, commands, plan } };
  }
  if (!(await confirmAppend(ctx, lane, plan))) return { ok: false, retry: { kind: 'earlier-write', plan } };
  return { ok: true, position };
}

/** The error the commands of a plan the store refused as too large fail with (the store's error as its cause). */
function refusedAsTooLarge(ctx: EngineContext, lane: LaneState, plan: Plan, error: ClusterchartError): ClusterchartError {
  const commands = plan.items.filter((item) => item.kind === 'append').length;
  const declared = ctx.store.limits;
  const hint =
    declared === undefined
      ? 'The store declares no limits, so the engine cannot split its appends to fit.'
      : `The store declares ${declared.maxEventsPerAppend} events and ${declared.maxBytesPerAppend} bytes per append, more than its server accepts: declare the server's limits (etcd: the store URL's maxTxnOps / maxRequestBytes).`;
  ctx.log.warn({ stream: lane.stream, events: plan.envelopes.length, commands, ...error.context }, 'append refused by the store as too large; its commands fail');
  return new ClusterchartError(
    'AppendTooLarge',
    `The store ${ctx.store.url} refused the append of ${commands} command(s) (${plan.envelopes.length} events) to ${lane.stream} as too large: ${error.message} ` +
      `Nothing was written for these commands. ${hint} Retry them with the same command ids.`,
    { ...error.context, stream: lane.stream, commands, events: plan.envelopes.length },
    { cause: error },
  );
}

/** True when the stream's event at the plan's last revision is the plan's own (same chain hash). */
async function confirmAppend(ctx: EngineContext, lane: LaneState, plan: Plan): Promise<boolean> {
  const last = plan.envelopes[plan.envelopes.length - 1]!;
  const stored = await eventAt(ctx, lane.stream, plan.revision);
  return stored !== null && stored.id === last.id && (stored.metadata as { hash?: unknown }).hash === last.metadata.hash;
}

/**
 * The retry policy of one batch: counts its conflicts and unknown outcomes, and recovers from each failed attempt
 * (backs off, catches the lane up, reads an unknown outcome back) before the batch is attempted again.
 */
export class RetryPolicy {
  readonly #ctx: EngineContext;
  readonly #lane: LaneState;
  readonly #maxConflicts: number;
  /** Catches the lane up (and, for observations, the cluster lane); resolves with the lane's new events. */
  readonly #refresh: (lane: LaneState) => Promise<readonly RecordedEvent[]>;
  /** Appends lost to another writer (or decisions found stale); bounded by `maxConflicts`. */
  #conflicts = 0;
  /** Appends whose outcome was unknown and turned out not to have landed; bounded separately. */
  #failures = 0;
  #lastError: unknown = null;

  constructor(ctx: EngineContext, lane: LaneState, maxConflicts: number, refresh: (lane: LaneState) => Promise<readonly RecordedEvent[]>) {
    this.#ctx = ctx;
    this.#lane = lane;
    this.#maxConflicts = maxConflicts;
    this.#refresh = refresh;
  }

  /** The error the remaining commands fail with once the budget is spent, or null while attempts remain. */
  spent(): Readonly<{ error: unknown }> | null {
    if (this.#conflicts > this.#maxConflicts) {
      const error = new ClusterchartError(
        'TooManyConflicts',
        `Gave up after ${this.#conflicts} attempts to append to ${this.#lane.stream}: other writers kept appending first. ` +
          'Nothing was written for these commands; retry them with the same command ids.',
        { stream: this.#lane.stream, attempts: this.#conflicts },
      );
      return { error };
    }
    if (this.#failures > MAX_UNKNOWN_OUTCOMES) return { error: this.#lastError };
    return null;
  }

  /**
   * Recovers from a failed attempt. Resolves true when recovering answered the batch (an append with an unknown
   * outcome had landed: its jobs are settled from the plan), false when the batch must be attempted again.
   */
  async recover(retry: Retry): Promise<boolean> {
    const lane = this.#lane;
    const log = this.#ctx.log;
    switch (retry.kind) {
      case 'stale':
        this.#conflicts++;
        await this.#refresh(lane);
        return false;
      case 'conflict': {
        this.#lastError = retry.error;
        this.#conflicts++;
        const code = (retry.error as ClusterchartError).code;
        log.warn({ stream: lane.stream, expectedRevision: retry.expectedRevision, commands: retry.commands, attempt: this.#conflicts, code }, 'append conflict; reading the tail and deciding again');
        // Jittered exponential backoff: a writer that keeps losing the race spreads its attempts out.
        if (this.#conflicts > 1) await delay(Math.random() * Math.min(MAX_BACKOFF_MS, 2 ** (this.#conflicts - 1)));
        await this.#refresh(lane);
        return false;
      }
      case 'unknown-outcome':
        this.#lastError = retry.error;
        this.#failures++;
        log.warn({ stream: lane.stream, expectedRevision: retry.expectedRevision, commands: retry.commands, attempt: this.#failures, err: retry.error }, 'append outcome unknown; reading the tail to find out');
        if (!(await this.#landed(retry.plan))) return false;
        settlePlan(retry.plan);
        return true;
      case 'earlier-write':
        // The store acknowledged these ids as a retry of an earlier, identical-id append (ours, whose response
        // was lost, or another writer's): what is stored is that earlier write, not this plan. Read it and answer
        // the commands from history.
        log.info({ stream: lane.stream, revision: retry.plan.revision }, 'append acknowledged as an earlier write of the same command ids; reading it back');
        await this.#refresh(lane);
        return false;
    }
  }

  /**
   * After an append with an unknown outcome: reads the tail (retrying while the store is unreachable) and reports
   * whether this very append is in it (its first event at the planned revision with the planned chain hash).
   */
  async #landed(plan: Plan): Promise<boolean> {
    const lane = this.#lane;
    const first = plan.envelopes[0]!;
    for (let attempt = 0; ; attempt++) {
      try {
        const fresh = await this.#refresh(lane);
        const found = fresh.find((event) => event.revision === plan.firstRevision);
        const landed = found !== undefined && found.id === first.id && (found.metadata as { hash?: unknown }).hash === first.metadata.hash;
        if (landed) this.#ctx.log.info({ stream: lane.stream, revision: plan.firstRevision }, 'the append had committed (lost response); no retry needed');
        return landed;
      } catch (error) {
        if (isClusterchartError(error) && this.#ctx.fatal !== null) throw error;
        if (attempt >= MAX_READ_BACK_ATTEMPTS) {
          throw new ClusterchartError(
            'StoreUnavailable',
            `The store ${this.#ctx.store.url} failed during an append and could not be read back: the outcome is unknown. Retry the commands with the same command ids once it is reachable.`,
            { store: this.#ctx.store.url, stream: lane.stream },
            { cause: error },
          );
        }
        await delay(10 * 2 ** attempt);
      }
    }
  }
}
