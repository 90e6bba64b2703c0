/**
 * The projections: pure folds over events (immer), run by the projection runner (`src/engine/projection-runner.ts`).
 * Each is `{ name, version, initialState, evolve(draft, event) }`; selectors turn folded facts into the views
 * operators read.
 */
export { type ProjectionFold, type Positioned, type Projection, applyProjectionEvents, createProjectionFold, defineProjection, foldProjection } from './projection.js';
export {
  DEFAULT_DEAD_AFTER_MS,
  type LivenessOptions,
  type ObservedClusterFacts,
  type ObservedClusterStateJson,
  type ObservedClusterStateView,
  type ObservedNodeFacts,
  type PartitionId,
  isNodeAlive,
  observedClusterState,
  observedClusterStateProjection,
  observedClusterStateToJson,
} from './observed-cluster-state.js';
export {
  type NodeConfigurationEntry,
  type NodesConfigurationDocument,
  type NodesConfigurationState,
  nodesConfiguration,
  nodesConfigurationProjection,
} from './nodes-configuration.js';
export { type ClusterHealth, clusterHealth, metadataQuorum } from './health.js';
export { type AuditEntry, type AuditFilter, type AuditTrailState, auditEntries, auditEntryOf, auditTrailProjection } from './audit-trail.js';
