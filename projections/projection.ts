/**
 * The shape of a projection and the two ways of folding events into it.
 *
 * A projection is plain data plus one pure function: `evolve(draft, event)` mutates a draft of the state and returns
 * nothing. It never reads the clock, randomness or any I/O; time comes from the events themselves.
 *
 * Rules every `evolve` keeps, because the same definition runs in two modes:
 * - through immer (`applyProjectionEvents`): one `produce` per batch, structural sharing, frozen result;
 * - on a private mutable copy (`createProjectionFold`) for cold rebuilds, frozen once at the end.
 * So `evolve` only mutates the draft in place (no return value, no immer-only helpers such as `original`), treats
 * event data as immutable (events are frozen; copy before mutating a value taken from an event), and ignores events
 * at or below `position` it has already applied, which makes re-delivery idempotent.
 */
import { type Draft, freeze, produce } from 'immer';
import type { StoredDomainEvent } from '../src/domain/index.js';

export type Projection<S> = Readonly<{
  /** Unique among the projections of one runner; names the stored checkpoint. */
  name: string;
  /** Bump when `evolve` or the state shape changes: a stored state of another version is rebuilt from zero. */
  version: number;
  /** JSON-serialisable (checkpoints store it as JSON); its `position` is 0. */
  initialState: S;
  evolve(draft: Draft<S>, event: StoredDomainEvent): void;
}>;

/** The state every projection keeps: the global position of the last event it applied (0 before any). */
export type Positioned = Readonly<{ position: number }>;

/**
 * Declares a projection. The identity function, there for inference and to freeze the initial state.
 *
 * @example
 * const counter = defineProjection({
 *   name: 'heartbeats', version: 1, initialState: { position: 0, count: 0 },
 *   evolve(draft, event) {
 *     if (event.position <= draft.position) return;
 *     draft.position = event.position;
 *     if (event.type === 'NodeHeartbeatObserved') draft.count += 1;
 *   },
 * });
 */
export function defineProjection<S extends Positioned>(projection: Projection<S>): Projection<S> {
  freeze(projection.initialState, true);
  return projection;
}

/**
 * Applies a batch of events inside one immer `produce`: the result is frozen and shares every unchanged branch with
 * `state`. Use it for incremental updates (live events); `createProjectionFold` is faster for long histories.
 *
 * @example
 * const next = applyProjectionEvents(observedClusterStateProjection, state, events);
 */
export function applyProjectionEvents<S>(projection: Projection<S>, state: S, events: Iterable<StoredDomainEvent>): S {
  const next = produce(state, (draft: Draft<S>) => {
    for (const event of events) projection.evolve(draft, event);
  });
  // Immer's auto-freeze already froze `next` deeply (this returns at once); the call keeps the guarantee when an
  // application turned auto-freeze off.
  return freeze(next, true);
}

/** A private mutable fold: events applied in place, one deep freeze when the result is taken. */
export type ProjectionFold<S> = Readonly<{
  apply(event: StoredDomainEvent): void;
  /** Freezes and returns the state; the fold must not be used afterwards. */
  result(): S;
}>;

/**
 * Starts a mutable fold from a deep copy of `state` (never mutates `state`). Several times faster than immer per
 * event because no proxy is involved; the result is frozen once.
 *
 * @example
 * const fold = createProjectionFold(projection, projection.initialState);
 * for (const event of history) fold.apply(event);
 * const state = fold.result();
 */
export function createProjectionFold<S>(projection: Projection<S>, state: S): ProjectionFold<S> {
  let working: S | null = structuredClone(state);
  return {
    apply(event) {
      if (working === null) throw new Error(`fold of projection ${projection.name} already finished`);
      projection.evolve(working as Draft<S>, event);
    },
    result() {
      if (working === null) throw new Error(`fold of projection ${projection.name} already finished`);
      const done = freeze(working, true);
      working = null;
      return done;
    },
  };
}

/** Folds a whole history from the initial state. */
export function foldProjection<S>(projection: Projection<S>, events: Iterable<StoredDomainEvent>, from: S = projection.initialState): S {
  const fold = createProjectionFold(projection, from);
  for (const event of events) fold.apply(event);
  return fold.result();
}
