/**
 * Given/when/then for projections, in the style of the decider specs: fold the `given` history, apply the `when`
 * events, check the result. Every spec also proves, for free, the properties every projection must have:
 * - applying the `when` events through immer (one produce) gives the same state as the mutable fold of the whole
 *   history (the runner uses both modes);
 * - the state is deeply frozen;
 * - idempotency: applying the whole history again changes nothing (docs/ARCHITECTURE.md, "Conventions").
 *
 * @example
 * projectionSpec(observedClusterStateProjection)
 *   .given(registered, heartbeat)
 *   .when(removed)
 *   .then((state) => expect(state.nodes).toEqual({}));
 */
import { deepStrictEqual } from 'node:assert/strict';
import { type DomainEvent, type EventMetadata, type StoredDomainEvent } from '../domain/events.js';
import { type Projection, applyProjectionEvents, foldProjection } from '../../projections/projection.js';

export type ProjectionSpec<S> = Readonly<{
  given(...events: readonly StoredDomainEvent[]): ProjectionSpecGiven<S>;
}>;

export type ProjectionSpecGiven<S> = Readonly<{
  when(...events: readonly StoredDomainEvent[]): ProjectionSpecWhen<S>;
}>;

export type ProjectionSpecWhen<S> = Readonly<{
  /** Runs `check` on the resulting state (after the built-in checks) and returns the state. */
  then(check: (state: S) => void): S;
}>;

function assertDeepFrozen(value: unknown, path: string): void {
  if (value === null || typeof value !== 'object') return;
  if (!Object.isFrozen(value)) throw new Error(`projection state is not frozen at ${path}`);
  for (const [key, child] of Object.entries(value)) assertDeepFrozen(child, `${path}.${key}`);
}

export function projectionSpec<S>(projection: Projection<S>): ProjectionSpec<S> {
  return {
    given: (...given) => ({
      when: (...when) => ({
        then(check) {
          const before = foldProjection(projection, given);
          const state = applyProjectionEvents(projection, before, when);
          const all = [...given, ...when];
          deepStrictEqual(state, foldProjection(projection, all), `${projection.name}: immer batch and mutable fold disagree`);
          assertDeepFrozen(state, projection.name);
          deepStrictEqual(applyProjectionEvents(projection, state, all), state, `${projection.name}: re-applying the history changed the state`);
          check(state);
          return state;
        },
      }),
    }),
  };
}

export type EnvelopeOptions = Readonly<{
  position: number;
  revision?: number;
  streamId?: string;
  id?: string;
  at?: string;
  commandId?: string;
  metadata?: Partial<EventMetadata>;
}>;

/**
 * Wraps a domain event in a stored envelope (for specs; the runner builds these from the store).
 *
 * @example
 * storedEvent({ type: 'NodeUnreachableObserved', data: { nodeId: plainNodeId(3), at } }, { position: 7, streamId: 'observations-test' });
 */
export function storedEvent<E extends DomainEvent>(event: E, options: EnvelopeOptions): StoredDomainEvent {
  const at = options.at ?? '2026-01-01T00:00:00.000Z';
  return {
    ...event,
    id: options.id ?? `event-${options.position}`,
    streamId: options.streamId ?? 'cluster-test',
    revision: options.revision ?? options.position - 1,
    position: options.position,
    metadata: { commandId: options.commandId ?? `command-${options.position}`, at, ...options.metadata },
  };
}
