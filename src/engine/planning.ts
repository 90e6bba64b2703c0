/**
 * Planning one append: the open commands of a batch decided in order against the lane's working copy (each
 * command sees the effects of the ones before it), and the events of the accepted ones turned into envelopes, as
 * many commands as fit in one append of the store (append-limits.ts); the rest wait for the next append.
 *
 * An envelope's id derives from (cluster, command id, index), so a re-append of the same command is recognised by
 * every store; its metadata records the command, the engine clock's time, the actor and causation, the machine
 * version of a transition, and the hash chain (each event's hash covers the previous one's).
 */
import { MACHINES } from '../../machines/index.js';
import { decide } from '../decider/decide.js';
import type { ClusterState } from '../domain/cluster-state.js';
import { type DomainEvent, OBSERVATION_EVENT_TYPES, transitionOf } from '../domain/events.js';
import { ClusterchartError } from '../domain/errors.js';
import type { CommandResult } from '../domain/results.js';
import type { EventData, JsonObject } from '../store/event-store.js';
import { AppendBudget } from './append-limits.js';
import type { EngineContext } from './context.js';
import type { CommandJob, LaneState, Outcome } from './lanes.js';
import { chainHash, eventIdFor } from './hashing.js';
import type { AppendedEvent } from './types.js';
import { WorkingState } from './working-state.js';

/** One command's part of a planned append. */
type Planned =
  | Readonly<{ kind: 'append'; job: CommandJob; result: CommandResult; firstRevision: number }>
  | Readonly<{ kind: 'answer'; job: CommandJob; outcome: Outcome }>
  | Readonly<{ kind: 'duplicate'; job: CommandJob; of: number }>;

export type Plan = Readonly<{
  items: readonly Planned[];
  envelopes: readonly EventData[];
  /** Revision the first envelope goes to. */
  firstRevision: number;
  /** The aggregate once the plan is durable (the committed one for the observations lane). */
  state: ClusterState;
  /** The lane's head once the plan is durable. */
  revision: number;
  lastHash: string;
  lastCommandId: string | null;
}>;

/**
 * Decides the jobs in order against the lane's pending state and builds the envelopes of one append. A command
 * id seen earlier in the batch is planned as a duplicate of it; refusals and "nothing to change" answers write
 * nothing. Within the store's limits: the first command whose events do not fit beside the ones before it, and
 * every job after it, are deferred (no item, no outcome: the engine queues them again); a command too large for
 * any append is answered with `AppendTooLarge`. The first job is always planned or answered, so each plan makes
 * progress. An event the decider produced but cannot apply is a decider bug: it throws (the whole batch fails).
 */
export function planAppend(ctx: EngineContext, lane: LaneState, jobs: readonly CommandJob[]): Plan {
  const work = lane.name === 'cluster' ? new WorkingState(ctx.state) : null;
  const state = ctx.state;
  let revision = lane.revision;
  let lastHash = lane.lastHash;
  let lastCommandId = lane.lastCommandId;
  const items: Planned[] = [];
  const envelopes: EventData[] = [];
  const budget = new AppendBudget(ctx.store.limits, ctx.store.url, lane.stream);

  const firstOf = new Map<string, number>();
  for (const job of jobs) {
    const { command } = job;
    const earlier = firstOf.get(command.commandId);
    if (earlier !== undefined) {
      items.push({ kind: 'duplicate', job, of: earlier });
      continue;
    }
    firstOf.set(command.commandId, items.length);
    let decision: ReturnType<typeof decide>;
    try {
      decision = decide(work?.state ?? state, command);
    } catch (error) {
      ctx.log.error({ err: error, type: command.type, commandId: command.commandId }, 'the decider threw; the command is refused');
      items.push({ kind: 'answer', job, outcome: { ok: false, error } });
      continue;
    }
    if (!decision.ok) {
      items.push({ kind: 'answer', job, outcome: { ok: false, error: decision.error } });
      continue;
    }
    if (decision.events.length === 0) {
      items.push({ kind: 'answer', job, outcome: { ok: true, result: decision.result } });
      continue;
    }
    const wrongLane = decision.events.find((event) => OBSERVATION_EVENT_TYPES.has(event.type) !== (lane.name === 'observations'));
    if (wrongLane !== undefined) {
      const error = new Error(`decider bug: ${command.type} produced ${wrongLane.type}, which does not belong in ${lane.stream}`);
      ctx.log.error({ type: command.type, commandId: command.commandId }, error.message);
      items.push({ kind: 'answer', job, outcome: { ok: false, error } });
      continue;
    }
    const own: EventData[] = [];
    const head = envelopesOf(ctx, job, decision.events, lastHash, own);
    const admission = budget.admit(command, own);
    // This command and every job after it wait for the next append (no item, no outcome).
    if (admission.kind === 'next-append') break;
    if (admission.kind === 'too-large') {
      ctx.log.warn(admission.error.context, 'command too large for one append of the store; refused');
      items.push({ kind: 'answer', job, outcome: { ok: false, error: admission.error } });
      continue;
    }
    const firstRevision = revision + 1;
    envelopes.push(...own);
    lastHash = head;
    revision += decision.events.length;
    lastCommandId = command.commandId;
    // Every later command of the batch is decided against this one's effects.
    if (work !== null) for (const event of decision.events) work.apply(event);
    items.push({ kind: 'append', job, result: decision.result, firstRevision });
  }
  return { items, envelopes, firstRevision: lane.revision + 1, state: work === null || envelopes.length === 0 ? state : work.finish(), revision, lastHash, lastCommandId };
}

/** Appends one command's envelopes to `into`, chained after `lastHash`; returns the new chain head. */
function envelopesOf(ctx: EngineContext, job: CommandJob, events: readonly DomainEvent[], lastHash: string, into: EventData[]): string {
  const { command } = job;
  const at = ctx.clock().toISOString();
  let head = lastHash;
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    const id = eventIdFor(ctx.cluster, command.commandId, i);
    const hash = chainHash(head, { id, type: event.type, data: event.data, commandId: command.commandId, at });
    const transition = transitionOf(event);
    const metadata: Record<string, string | number> = { commandId: command.commandId, commandType: command.type, at, hash };
    if (transition !== null) metadata.machineVersion = MACHINES[transition.machine].version;
    if (job.actor !== undefined) metadata.actor = job.actor;
    if (job.causationId !== undefined) metadata.causationId = job.causationId;
    if (job.correlationId !== undefined) metadata.correlationId = job.correlationId;
    head = hash;
    into.push({ id, type: event.type, data: event.data as unknown as JsonObject, metadata });
  }
  return head;
}

/**
 * Makes a durable plan the engine's state: the lane's head, the aggregate, the last position, the index. Returns
 * the appended events as listeners receive them (built only when called).
 */
export function commitPlan(ctx: EngineContext, lane: LaneState, plan: Plan, position: number): () => readonly AppendedEvent[] {
  lane.revision = plan.revision;
  lane.lastHash = plan.lastHash;
  lane.lastCommandId = plan.lastCommandId;
  if (lane.name === 'cluster') ctx.state = plan.state;
  if (position > ctx.lastPosition) ctx.lastPosition = position;
  for (const item of plan.items) {
    if (item.kind === 'append') ctx.index.add(item.job.command.commandId, lane.name, item.firstRevision);
  }
  return () => plan.envelopes.map((envelope, i) => ({ ...envelope, streamId: lane.stream, revision: plan.firstRevision + i }) as unknown as AppendedEvent);
}

/** Sets every job's outcome from a settled plan: duplicates within the batch get their first occurrence's. */
export function settlePlan(plan: Plan): void {
  for (const item of plan.items) {
    if (item.kind === 'append') item.job.outcome = { ok: true, result: item.result };
    else if (item.kind === 'answer') item.job.outcome = item.outcome;
  }
  for (const item of plan.items) {
    if (item.kind !== 'duplicate') continue;
    const first = plan.items[item.of]!;
    const outcome = first.job.outcome!;
    if (first.job.command.type !== item.job.command.type) {
      item.job.outcome = {
        ok: false,
        error: new ClusterchartError(
          'CommandIdReused',
          `Command id ${item.job.command.commandId} was used by a ${first.job.command.type} command in the same batch; a ${item.job.command.type} needs a command id of its own.`,
          { commandId: item.job.command.commandId, recordedType: first.job.command.type, type: item.job.command.type },
        ),
      };
    } else {
      item.job.outcome = outcome.ok && first.kind === 'append' ? { ok: true, result: { ...outcome.result, alreadyApplied: true } } : outcome;
    }
  }
}

/**
 * Fails the commands a plan was to append (and their duplicates in the batch) with `error`, after the store
 * refused the append and wrote nothing. The plan's other jobs keep no outcome: they were decided against a state
 * that included the failed commands, so they are decided again in the next append.
 */
export function failPlan(plan: Plan, error: unknown): void {
  for (const item of plan.items) {
    if (item.kind === 'append') item.job.outcome = { ok: false, error };
  }
  for (const item of plan.items) {
    if (item.kind === 'duplicate' && plan.items[item.of]!.kind === 'append') item.job.outcome = { ok: false, error };
  }
}
