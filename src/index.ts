/**
 * clusterchart's public API: an explicit list of named exports.
 */
export * from './domain/index.js';
export * from './decider/index.js';
export type {
  AppendResult,
  EventData,
  EventStore,
  ExpectedRevision,
  JsonObject,
  JsonValue,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
  SubscriptionHandler,
} from './store/event-store.js';

// Stores ------------------------------------------------------------------------------------------------------------
export { createMemoryStore } from './store/memory.js';
export { openStore, parseStoreUrl, redactUrl, type StoreLocation } from './store/open-store.js';
export { openSqliteStore, SQLITE_SCHEMA_VERSION, type SqliteEventStore, type SqliteStoreOptions } from './store/sqlite.js';
// The EventStoreDB adapter loads the gRPC client (slow to import): reach it through openStore(url).
export type { EsdbClient, EsdbStoreOptions } from './store/esdb.js';
export {
  createMemoryCheckpoints,
  openProjectionCheckpoints,
  openSqliteCheckpoints,
  type ProjectionCheckpoints,
  type StoredProjectionState,
} from './store/projection-checkpoints.js';

// Engine ------------------------------------------------------------------------------------------------------------
export {
  type AppendedEvent,
  type CommandOptions,
  createEngine,
  type Engine,
  type EngineChange,
  type EngineListener,
  type EngineOptions,
  type ExecuteInput,
} from './engine/engine.js';
export { canonicalJson, chainHash, type ChainedFields, eventIdFor, type HashChainReport, verifyHashChain } from './engine/hashing.js';
export {
  ClusterStateSchema,
  decodeSnapshot,
  type DecodedSnapshot,
  encodeSnapshot,
  SNAPSHOT_EVENT_TYPE,
  SNAPSHOT_SCHEMA_VERSION,
  type SnapshotContent,
  type SnapshotPoint,
  snapshotStreamId,
} from './engine/snapshots.js';
export { CommandIndex, type CommandLocation, type Lane } from './engine/command-index.js';
export { Inspection, type InspectionEvent, type InspectTarget } from './engine/inspection.js';
export { createDefaultLogger, type Logger } from './engine/logger.js';
export { createLossyStore, type LossyStoreOptions, type LossyStoreStats, LostResponseError, seededRandom } from './testing/lossy-store.js';
export {
  type AsOf,
  createProjectionRunner,
  decodeRecordedEvent,
  type ProjectionRunner,
  type ProjectionRunnerOptions,
} from './engine/projection-runner.js';

// Statecharts and projections ----------------------------------------------------------------------------------------
export {
  clusterProvisioningMachine,
  createTransitionRunner,
  logServerMachine,
  MACHINES,
  type MachineEntry,
  machineVersions,
  metadataMembershipMachine,
  nodeLifecycleMachine,
  runTransition,
  stateNames,
  type TransitionRunner,
  workerMachine,
} from '../machines/index.js';
export {
  applyProjectionEvents,
  type AuditEntry,
  type AuditFilter,
  type AuditTrailState,
  auditEntries,
  auditEntryOf,
  auditTrailProjection,
  type ClusterHealth,
  clusterHealth,
  createProjectionFold,
  DEFAULT_DEAD_AFTER_MS,
  defineProjection,
  foldProjection,
  isNodeAlive,
  type LivenessOptions,
  metadataQuorum,
  type NodeConfigurationEntry,
  type NodesConfigurationDocument,
  type NodesConfigurationState,
  nodesConfiguration,
  nodesConfigurationProjection,
  type ObservedClusterFacts,
  type ObservedClusterStateJson,
  type ObservedClusterStateView,
  type ObservedNodeFacts,
  observedClusterState,
  observedClusterStateProjection,
  observedClusterStateToJson,
  type PartitionId,
  type Positioned,
  type Projection,
  type ProjectionFold,
} from '../projections/index.js';

// Test helpers (also available as `clusterchart/testing`) -------------------------------------------------------------
export {
  assertMatches,
  command,
  type EnvelopeOptions,
  type Expected,
  type ExpectedEvent,
  given,
  type Given,
  givenState,
  type HistoryItem,
  type Outcome,
  projectionSpec,
  type ProjectionSpec,
  type ProjectionSpecGiven,
  type ProjectionSpecWhen,
  storedEvent,
  type When,
} from './testing/index.js';
