/**
 * What each command returns to its caller. Results are derived from the decided events (or, for a retry, from the
 * events the command wrote the first time), so a retried command returns its first outcome. Results are plain JSON
 * data, and node ids in them are printed (`N3`, `N3:2`), as in every read model.
 */
import type { CommandType } from './commands.js';
import type { ErrorCode } from './errors.js';
import type { ClusterConfig } from './events.js';
import type { GenerationalNodeName, NodeName } from './ids.js';
import type { MetadataServerState, StorageState, WorkerState } from './states.js';

export interface CommandResults {
  ProvisionCluster: Readonly<{ clusterName: string; config: ClusterConfig }>;
  SetDefaultLogProvider: Readonly<{ config: ClusterConfig }>;
  /** `created: false` for a restart of a known name (generation + 1). */
  RegisterNode: Readonly<{ node: GenerationalNodeName; created: boolean }>;
  /** Unknown or already removed nodes are listed in `alreadyRemoved` (removal is idempotent). */
  RemoveNodes: Readonly<{ removed: readonly NodeName[]; alreadyRemoved: readonly NodeName[] }>;
  JoinMetadataCluster: Readonly<{ node: NodeName; metadataServerState: MetadataServerState; version: number; members: readonly NodeName[] }>;
  RemoveMetadataMember: Readonly<{ node: NodeName; metadataServerState: MetadataServerState; version: number; members: readonly NodeName[] }>;
  ProvisionLogServer: Readonly<{ node: NodeName; storageState: StorageState }>;
  /**
   * `started: false` with a refusal when the start-up checks refuse to run the log server (DataLoss, Disabled).
   * A start that finds ReadWrite/ReadOnly without a marker records the move to DataLoss AND refuses.
   */
  StartLogServer: Readonly<{
    node: NodeName;
    storageState: StorageState;
    started: boolean;
    refusal: Readonly<{ code: ErrorCode; message: string }> | null;
  }>;
  SetStorageState: Readonly<{ node: NodeName; from: StorageState; to: StorageState; forced: boolean }>;
  SetWorkerState: Readonly<{ node: NodeName; from: WorkerState; to: WorkerState; forced: boolean }>;
  CreateLogSegment: Readonly<{ logId: number; segment: number; nodeset: readonly NodeName[]; warning: string | null }>;
  SealLogSegment: Readonly<{ logId: number; segment: number }>;
  ImportLegacyConfiguration: Readonly<{
    clusterName: string;
    nodes: number;
    tombstones: number;
    remapped: Readonly<{ from: NodeName; to: NodeName; generation: number }> | null;
  }>;
  /**
   * `ignored: true` (with the `reason`) for a heartbeat of an older generation than the node's current one: it is
   * recorded, but changes nothing the controller believes.
   */
  RecordHeartbeat: Readonly<{ node: GenerationalNodeName; at: string; ignored: boolean; reason: string | null }>;
  RecordUnreachable: Readonly<{ node: NodeName; at: string }>;
}

/**
 * Every result carries `alreadyApplied`: true when nothing was written because the command's effect was already
 * there — either a retry of the same command id (found in history) or a command whose effect is the current state.
 */
export type CommandResult<T extends CommandType = CommandType> = {
  [K in T]: CommandResults[K] & Readonly<{ type: K; alreadyApplied: boolean }>;
}[T];
