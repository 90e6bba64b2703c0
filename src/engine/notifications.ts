/**
 * Fan-out of durable events: to `subscribe` listeners and to the inspection target. Only durable events are
 * announced (this engine's own appends once confirmed, other writers' once read); a listener that throws is
 * logged and otherwise ignored.
 */
import type { Logger } from 'pino';
import type { ClusterState } from '../domain/cluster-state.js';
import type { LaneState } from './lanes.js';
import { Inspection, type InspectTarget } from './inspection.js';
import type { AppendedEvent, EngineChange, EngineListener } from './types.js';

export class Notifications {
  readonly #listeners = new Set<EngineListener>();
  readonly #inspection: Inspection | null;
  /** The state listeners receive (the engine's public, frozen copy). */
  readonly #state: () => ClusterState;
  readonly #log: Logger;

  constructor(cluster: string, inspect: InspectTarget | undefined, state: () => ClusterState, log: Logger) {
    this.#inspection = inspect === undefined ? null : new Inspection(cluster, inspect);
    this.#state = state;
    this.#log = log;
  }

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: EngineListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Announces every machine of a freshly loaded state to the inspection target. */
  announce(state: ClusterState): void {
    this.#inspection?.announce(state);
  }

  /** Announces durable events; `events` is only called when someone listens. */
  publish(lane: LaneState, events: () => readonly AppendedEvent[], position: number, origin: EngineChange['origin']): void {
    if (this.#inspection === null && this.#listeners.size === 0) return;
    const appended = events();
    this.#inspection?.record(appended);
    const change: EngineChange = { lane: lane.name, streamId: lane.stream, events: appended, origin, position };
    for (const listener of this.#listeners) {
      try {
        listener(appended, this.#state(), change);
      } catch (error) {
        this.#log.warn({ err: error }, 'an engine listener threw; ignored');
      }
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}
