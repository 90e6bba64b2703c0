/**
 * Log segment rules: a new segment follows a sealed one (an open segment is sealed in the same append, Restate's
 * reconfiguration), and a replicated segment gets a nodeset chosen for the default replication.
 */
import type { CommandData } from '../domain/commands.js';
import type { DomainEvent } from '../domain/events.js';
import { selectNodeset } from './nodeset.js';
import { type Outcome, type ProvisionedState, accept, nothingToDo, refuse } from './outcome.js';

/** `CreateLogSegment`: seals the open segment, if any, and opens the next one. */
export function createLogSegment(state: ProvisionedState, data: CommandData['CreateLogSegment']): Outcome {
  const { config } = state;
  const { logId } = data;
  const segments = state.logs[logId] ?? [];
  const last = segments[segments.length - 1];
  const events: DomainEvent[] = [];
  if (last !== undefined && !last.sealed) events.push({ type: 'LogSegmentSealed', data: { logId, segment: last.segment } });
  const segment = last === undefined ? 0 : last.segment + 1;
  if (config.logProvider === 'replicated') {
    const { nodeset, warning } = selectNodeset(state, config.replication, config.targetNodesetSize, logId);
    events.push({ type: 'LogSegmentCreated', data: { logId, segment, nodeset, replication: config.replication, warning } });
  } else {
    events.push({
      type: 'LogSegmentCreated',
      data: { logId, segment, nodeset: [], replication: config.replication, warning: null, provider: config.logProvider },
    });
  }
  return accept(events);
}

/** `SealLogSegment`: seals the open segment; a sealed one stays as it is. */
export function sealLogSegment(state: ProvisionedState, data: CommandData['SealLogSegment']): Outcome {
  const { logId } = data;
  const last = state.logs[logId]?.at(-1);
  if (last === undefined) {
    return refuse('UnknownLog', `Log ${logId} has no segment to seal: create one first (CreateLogSegment).`, { logId });
  }
  if (last.sealed) return nothingToDo;
  return accept([{ type: 'LogSegmentSealed', data: { logId, segment: last.segment } }]);
}
