/**
 * Test helpers for users' own machines, deciders and projections (`clusterchart/testing`): a given/when/then for any
 * decider (`DeciderSpecification`), clusterchart's own decider specs built on it (`given`, `command`), projection
 * specs, and stores that misbehave on purpose (`wrapStore`, `createLossyStore`). They throw `AssertionError`
 * (node:assert), so any test runner reports them.
 */
export {
  type Decided,
  type Decider,
  DeciderSpecification,
  type DeciderSpec,
  type ErrorCheck,
  type GivenSpec,
  type SpecOptions,
  type SpecOutcome,
  type WhenSpec,
} from './decider-specification.js';
export { assertMatches, type Expected } from './matching.js';
export {
  clusterDecider,
  command,
  type ExpectedEvent,
  given,
  type Given,
  givenState,
  type HistoryItem,
  type Outcome,
  type When,
} from './given-when-then.js';
export {
  type EnvelopeOptions,
  projectionSpec,
  type ProjectionSpec,
  type ProjectionSpecGiven,
  type ProjectionSpecWhen,
  storedEvent,
} from './projection.js';
export { type StoreOverrides, wrapStore } from './wrap-store.js';
export { createLossyStore, type LossyStoreOptions, type LossyStoreStats, LostResponseError, seededRandom } from './lossy-store.js';
