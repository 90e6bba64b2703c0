/**
 * The state the engine's parts share, passed to them explicitly: the two lanes, the committed aggregate, the
 * command index, the last position, and the engine's fatal error and closed flag. The files beside it own the
 * behaviour.
 */
import type { Logger } from 'pino';
import type { ClusterState } from '../domain/cluster-state.js';
import { ClusterchartError } from '../domain/errors.js';
import type { EventStore, RecordedEvent } from '../store/event-store.js';
import type { CommandIndex } from './command-index.js';
import type { LaneState, Lanes } from './lanes.js';
import type { AppendedEvent, EngineChange } from './types.js';

/** Called after every durable append: `events` is built only when someone listens. */
export type AfterDurable = (
  lane: LaneState,
  count: number,
  events: () => readonly AppendedEvent[],
  position: number,
  origin: EngineChange['origin'],
) => void;

export type EngineContext = {
  readonly cluster: string;
  readonly store: EventStore;
  /** The `engine` subsystem's logger. */
  readonly log: Logger;
  readonly clock: () => Date;
  readonly lanes: Lanes;
  /** The committed aggregate; its `nodes`/`logs` containers are private (see working-state.ts). */
  state: ClusterState;
  index: CommandIndex;
  /** Highest global position this engine has written or read: projection reads wait for it (read-your-writes). */
  lastPosition: number;
  /** Set when the store returned a history this engine cannot apply: every later command fails with it. */
  fatal: ClusterchartError | null;
  /** Set by `close()`: later commands and reads reject with `EngineClosed`. */
  closed: boolean;
};

export function engineClosed(cluster: string): ClusterchartError {
  return new ClusterchartError('EngineClosed', `The engine for cluster ${cluster} is closed; create a new one.`, { cluster });
}

/** The stored event in the shape listeners receive. */
export function appendedOf(raw: RecordedEvent): AppendedEvent {
  return { type: raw.type, data: raw.data, id: raw.id, streamId: raw.streamId, revision: raw.revision, metadata: raw.metadata } as unknown as AppendedEvent;
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
