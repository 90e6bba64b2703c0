/**
 * The state the engine's parts share, passed to them explicitly: the two lanes, the committed aggregate, the
 * command index, and the jobs a lane's queue holds. Nothing here runs; the files beside it own the behaviour.
 */
import type { Logger } from 'pino';
import type { ClusterState } from '../domain/cluster-state.js';
import type { Command } from '../domain/commands.js';
import { ClusterchartError } from '../domain/errors.js';
import type { CommandResult } from '../domain/results.js';
import type { EventStore, RecordedEvent } from '../store/event-store.js';
import type { CommandIndex, Lane } from './command-index.js';
import type { AppendedEvent, EngineChange } from './types.js';

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

export function newLane(name: Lane, stream: string): LaneState {
  return { name, stream, revision: -1, lastHash: '', lastCommandId: null, queue: [], running: false };
}

export function engineClosed(cluster: string): ClusterchartError {
  return new ClusterchartError('EngineClosed', `The engine for cluster ${cluster} is closed; create a new one.`, { cluster });
}

/** The stored event in the shape listeners receive. */
export function appendedOf(raw: RecordedEvent): AppendedEvent {
  return { type: raw.type, data: raw.data, id: raw.id, streamId: raw.streamId, revision: raw.revision, metadata: raw.metadata } as unknown as AppendedEvent;
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
