/**
 * Test helpers for users' own machines, deciders and projections (`clusterchart/testing`): the same given/when/then
 * helpers clusterchart's own specs use. They throw `AssertionError` (node:assert), so any test runner reports them.
 */
export {
  assertMatches,
  command,
  type Expected,
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
export { createLossyStore, type LossyStoreOptions, type LossyStoreStats, LostResponseError, seededRandom } from '../engine/testing/lossy-store.js';
