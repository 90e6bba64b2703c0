/**
 * Idempotency from history: a command whose id is already recorded (by this engine or any other writer, however
 * long ago) is answered with its ORIGINAL outcome, rebuilt from its recorded events, with `alreadyApplied: true`;
 * nothing is decided or appended for it. The command index (see command-index.ts) only names candidates: the
 * events are read and their recorded command id compared, so a hash collision never makes a new command look
 * applied. The same id used for another command type is `CommandIdReused`.
 */
import { resultOf } from '../decider/decide.js';
import { type DomainEvent, parseDomainEvent } from '../domain/events.js';
import { ClusterchartError } from '../domain/errors.js';
import type { CommandLocation } from './command-index.js';
import type { EngineContext } from './context.js';
import type { CommandJob } from './lanes.js';

/** Events read per page while reading a recorded command back. */
const READ_PAGE = 256;

type RecordedCommand = Readonly<{ commandType: string; events: DomainEvent[]; revision: number; streamId: string }>;

/** Sets the outcome of every job (without one yet) whose command id is already in history. */
export async function answerFromHistory(ctx: EngineContext, jobs: readonly CommandJob[]): Promise<void> {
  for (const job of jobs) {
    if (job.outcome !== undefined) continue;
    const candidates = ctx.index.candidates(job.command.commandId);
    if (candidates.length === 0) continue;
    const recorded = await readCommand(ctx, job.command.commandId, candidates);
    if (recorded === null) continue;
    if (recorded.commandType !== job.command.type) {
      job.outcome = {
        ok: false,
        error: new ClusterchartError(
          'CommandIdReused',
          `Command id ${job.command.commandId} was already used by a ${recorded.commandType} command (revision ${recorded.revision} of ${recorded.streamId}); a ${job.command.type} needs a command id of its own.`,
          { commandId: job.command.commandId, recordedType: recorded.commandType, type: job.command.type },
        ),
      };
      continue;
    }
    try {
      job.outcome = { ok: true, result: resultOf(job.command, recorded.events, ctx.state, { alreadyApplied: true }) };
    } catch (error) {
      job.outcome = { ok: false, error };
    }
  }
}

/** The events of a recorded command, confirmed by reading them (a hash match alone proves nothing). */
async function readCommand(ctx: EngineContext, commandId: string, candidates: readonly CommandLocation[]): Promise<RecordedCommand | null> {
  for (const candidate of candidates) {
    const streamId = ctx.lanes[candidate.lane].stream;
    const events: DomainEvent[] = [];
    let commandType = '';
    let next = candidate.revision;
    let more = true;
    while (more) {
      more = false;
      let read = 0;
      for await (const raw of ctx.store.readStream(streamId, { fromRevision: next, maxCount: READ_PAGE })) {
        read++;
        const metadata = raw.metadata as Partial<Record<string, unknown>>;
        if (metadata.commandId !== commandId) break;
        if (events.length === 0) commandType = typeof metadata.commandType === 'string' ? metadata.commandType : '';
        events.push(parseDomainEvent(raw));
        next = raw.revision + 1;
        if (read === READ_PAGE) more = true;
      }
    }
    if (events.length > 0) return { commandType, events, revision: candidate.revision, streamId };
  }
  return null;
}
