/**
 * clusterchart's public API: an explicit list of named exports. What is not listed here is internal and may change.
 * The CLI and the viewer use only this list (and `clusterchart/testing`), so everything they need is here too.
 */

// Vocabulary: errors, node ids, states, replication, commands, events, results, the aggregate ---------------------------
export { ClusterchartError, type DomainError, ERROR_CODES, type ErrorCode, type ErrorContext, isClusterchartError, isErrorCode } from './domain/errors.js';
export {
  generationalNodeId,
  type GenerationalNodeId,
  isGenerational,
  parseGenerationalNodeId,
  parseNodeId,
  parsePlainNodeId,
  plainNodeId,
  type PlainNodeId,
  printGenerationalNodeId,
  printNodeId,
  printPlainNodeId,
} from './domain/ids.js';
export {
  METADATA_SERVER_STATES,
  type MetadataServerState,
  parseMetadataServerState,
  parseProviderKind,
  parseRole,
  parseStorageState,
  parseWorkerState,
  PROVIDER_KINDS,
  type ProviderKind,
  type Role,
  ROLES,
  RUN_MODES,
  type RunMode,
  STORAGE_STATES,
  type StorageState,
  WORKER_STATES,
  type WorkerState,
} from './domain/states.js';
export { parseReplicationProperty, formatReplication, type ReplicationProperty, replicationProperty } from './domain/replication.js';
export { ISO_TIME_FORM, isIsoDateTime, type LogStoreMarker } from './domain/schemas.js';
export {
  type Command,
  type CommandData,
  type CommandInput,
  type CommandInputData,
  type CommandType,
  COMMAND_TYPES,
  type LegacyDocument,
  parseCommand,
} from './domain/commands.js';
export type { CommandResult, CommandResults } from './domain/results.js';
export {
  type ClusterConfig,
  clusterStreamId,
  DOMAIN_EVENT_TYPES,
  type DomainEvent,
  type DomainEventData,
  type DomainEventType,
  type EventMetadata,
  MACHINE_NAMES,
  type MachineInput,
  type MachineName,
  observationsStreamId,
  parseDomainEvent,
  type StoredDomainEvent,
  type Transition,
  transitionOf,
} from './domain/events.js';
export {
  type ClusterState,
  emptyClusterState,
  type LiveNode,
  liveNodes,
  type LogSegment,
  type MetadataClusterConfiguration,
  type MetadataMember,
  type NodeEntry,
  type Tombstone,
} from './domain/cluster-state.js';

// The decider: judge a command, apply its events ------------------------------------------------------------------
export { decide, type Decision } from './decider/decide.js';
export { evolve } from './decider/evolve.js';
export { machineStatesOf, provisioningStateOf } from './decider/machine-states.js';

// Statecharts ---------------------------------------------------------------------------------------------------------
export {
  clusterProvisioningMachine,
  logServerMachine,
  MACHINES,
  type MachineEntry,
  metadataMembershipMachine,
  nodeLifecycleMachine,
  stateNames,
  workerMachine,
} from '../machines/index.js';

// Stores ------------------------------------------------------------------------------------------------------------
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
export { createMemoryStore } from './store/memory.js';
export { openStore, parseStoreUrl, redactUrl, type StoreLocation } from './store/open-store.js';
export { createMemoryCheckpoints, openProjectionCheckpoints, type ProjectionCheckpoints } from './store/projection-checkpoints.js';

// Engine (the command path) -------------------------------------------------------------------------------------------
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
export { createDefaultLogger, type Logger } from './engine/logger.js';
export { type InspectionEvent, inspectionSessionId, type InspectTarget } from './engine/inspection.js';
export { snapshotStreamId } from './engine/snapshots.js';
export { type HashChainReport, verifyHashChain } from './engine/hashing.js';

// Read side: reader, read models, verify, audit, time travel ---------------------------------------------------------
export {
  audit,
  type AuditOptions,
  ClusterHistory,
  type ClusterReader,
  type ClusterReaderOptions,
  clusterStateAt,
  type HistoryPoint,
  MAX_TIMELINE_WINDOW,
  openClusterReader,
  type StreamRevisions,
  summarize,
  timeline,
  type TimelineEntry,
  verifyHistory,
  type VerifyOptions,
  type VerifyProblem,
  type VerifyProgress,
  type VerifyReport,
} from './engine/read/index.js';

// Projections: the built-in ones, their selectors, and running your own ------------------------------------------------
export { type AsOf, createProjectionRunner, type ProjectionRunner, type ProjectionRunnerOptions } from './engine/projection-runner.js';
export { defineProjection, type Positioned, type Projection } from '../projections/projection.js';
export {
  DEFAULT_DEAD_AFTER_MS,
  isNodeAlive,
  type LivenessOptions,
  type ObservedClusterFacts,
  type ObservedClusterStateJson,
  type ObservedClusterStateView,
  type ObservedNodeFacts,
  observedClusterState,
  observedClusterStateProjection,
  observedClusterStateToJson,
  type PartitionId,
} from '../projections/observed-cluster-state.js';
export {
  type NodeConfigurationEntry,
  type NodesConfigurationDocument,
  type NodesConfigurationState,
  nodesConfiguration,
  nodesConfigurationProjection,
} from '../projections/nodes-configuration.js';
export { type ClusterHealth, clusterHealth, metadataQuorum } from '../projections/health.js';
export { type AuditEntry, type AuditFilter, type AuditTrailState, auditEntries, auditTrailProjection } from '../projections/audit-trail.js';
