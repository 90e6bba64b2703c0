/** The engine layer: the command engine, its hash chain and snapshot helpers, inspection, and the projection runner. */
export {
  type AppendedEvent,
  type CommandOptions,
  createEngine,
  type Engine,
  type EngineChange,
  type EngineListener,
  type EngineOptions,
  type ExecuteInput,
} from './engine.js';
export { canonicalJson, chainHash, type ChainedFields, eventIdFor, type HashChainReport, verifyHashChain } from './hashing.js';
export { CommandIndex, type CommandLocation, hashCommandId, type Lane } from './command-index.js';
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
} from './snapshots.js';
export { Inspection, type InspectionEvent, type InspectTarget } from './inspection.js';
export { createDefaultLogger, type Logger } from './logger.js';
export { createLossyStore, type LossyStoreOptions, type LossyStoreStats, LostResponseError, seededRandom } from './testing/lossy-store.js';
export {
  type AsOf,
  createProjectionRunner,
  decodeRecordedEvent,
  type ProjectionRunner,
  type ProjectionRunnerOptions,
} from './projection-runner.js';
