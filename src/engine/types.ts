/**
 * The engine's public types: its options, the per-command options, what listeners receive, and the `Engine`
 * interface itself (every method documented with an example). `engine.ts` re-exports them.
 */
import type { Logger } from 'pino';
import type { AuditEntry, AuditFilter } from '../../projections/audit-trail.js';
import type { ClusterHealth } from '../../projections/health.js';
import type { NodesConfigurationDocument } from '../../projections/nodes-configuration.js';
import type { ObservedClusterStateJson } from '../../projections/observed-cluster-state.js';
import type { ClusterState } from '../domain/cluster-state.js';
import type { CommandInputData, CommandType } from '../domain/commands.js';
import type { DomainEvent, EventMetadata } from '../domain/events.js';
import type { CommandResult } from '../domain/results.js';
import type { EventStore } from '../store/event-store.js';
import type { ProjectionCheckpoints } from '../store/projection-checkpoints.js';
import type { Lane } from './command-index.js';
import type { InspectTarget } from './inspection.js';
import type { AsOf } from './projection-runner.js';

export type EngineOptions = Readonly<{
  /** An open store (the caller keeps ownership and closes it) or a store URL (`sqlite:./cluster.db`, `memory:`). */
  store: EventStore | string;
  /** The cluster's name: its streams are `cluster-NAME`, `observations-NAME` and `snapshot-NAME`. */
  cluster: string;
  /** Default: pino to stderr, level from `LOG_LEVEL` (default `info`). */
  logger?: Logger;
  /** The engine's only source of time (event `metadata.at`). Default: the system clock. */
  clock?: () => Date;
  /** Receives XState inspection events for every durable transition (see `Inspection`). */
  inspect?: InspectTarget;
  /**
   * Take a snapshot after at least this many new events (default 1000; `false`: never). The spacing also grows
   * with the aggregate (at least a quarter of nodes + indexed commands) so that writing snapshots costs O(1)
   * amortised per event; `close()` writes a final one when anything changed since the last.
   */
  snapshotEvery?: number | false;
  /**
   * Appends retried after `WrongExpectedVersion` (another writer appended first) before `TooManyConflicts`, with a
   * jittered exponential backoff (at most 100 ms each). Default 100.
   */
  maxConflictRetries?: number;
  /** Most commands decided into one append. Default 2048. */
  maxBatchSize?: number;
  /** Recorded as `metadata.actor` when a command names none. */
  actor?: string;
  /**
   * Liveness window of `observedClusterState` and `health`: a node is alive when it was heard within it and not
   * reported unreachable since. Default 10 000 ms.
   */
  deadAfterMs?: number;
  /**
   * Where projection checkpoints live. Default: the store's own SQLite file when `store` is a `sqlite:` URL,
   * otherwise memory (projections are rebuilt on the first read after a start).
   */
  projectionCheckpoints?: ProjectionCheckpoints;
}>;

/** Per-call options every command method accepts. */
export type CommandOptions = Readonly<{
  /** Idempotency key: a retry with the same id returns the first outcome. Default: a random UUID. */
  commandId?: string;
  /** Who asked (recorded in the events' metadata; shown by the audit trail). */
  actor?: string;
  causationId?: string;
  correlationId?: string;
}>;

/** A command for `execute`: any type, unvalidated data. */
export type ExecuteInput<T extends CommandType = CommandType> = CommandOptions & Readonly<{ type: T; data: unknown }>;

/** An event as the engine appended or read it (positions are known per append, see `EngineChange`). */
export type AppendedEvent = DomainEvent &
  Readonly<{ id: string; streamId: string; revision: number; metadata: EventMetadata }>;

/** What a `subscribe` listener receives after each durable append (this engine's or another writer's). */
export type EngineChange = Readonly<{
  lane: Lane;
  streamId: string;
  events: readonly AppendedEvent[];
  /** `this-engine`: appended by this engine; `other-writer`: found in the store while catching up. */
  origin: 'this-engine' | 'other-writer';
  /** Global position of the last event of the change (for `waitFor`-style read-your-writes). */
  position: number;
}>;

export type EngineListener = (events: readonly AppendedEvent[], state: ClusterState, change: EngineChange) => void;

/** A command method's input: the command's data and the per-call options side by side. */
export type CommandInput<K extends CommandType> = CommandInputData[K] & CommandOptions;
type In<K extends CommandType> = CommandInput<K>;

/**
 * One cluster's engine. Every command method validates its input (zod), decides it against the in-memory aggregate,
 * appends the resulting events durably, and resolves with the typed result; refusals reject with a
 * `ClusterchartError` whose `code` names the rule (nothing is appended).
 */
export interface Engine {
  readonly cluster: string;
  readonly store: EventStore;
  /**
   * Provisions the cluster once (defaults: replicated log provider and metadata server, replication `{ node: 1 }`,
   * 24 partitions). A second provisioning is refused with `AlreadyProvisioned`, unless it is the retry of the same
   * command id.
   * @example
   * await engine.provision({ replication: 2 });
   */
  provision(input?: Partial<In<'ProvisionCluster'>>): Promise<CommandResult<'ProvisionCluster'>>;
  /**
   * Changes the default log provider (only to `replicated`; else `ChooseReplicatedLoglet`).
   * @example
   * await engine.setDefaultLogProvider({ provider: 'replicated', replication: { zone: 2 } });
   */
  setDefaultLogProvider(input: In<'SetDefaultLogProvider'>): Promise<CommandResult<'SetDefaultLogProvider'>>;
  /**
   * Registers a new node (next free id, generation 1) or restarts a known name (generation + 1).
   * @example
   * const { node } = await engine.registerNode({ name: 'n1', roles: ['log-server', 'metadata-server'] });
   */
  registerNode(input: In<'RegisterNode'>): Promise<CommandResult<'RegisterNode'>>;
  /**
   * Removes nodes in one atomic step after the safety checks (all or nothing; unknown/removed ids are ok).
   * @example
   * await engine.removeNodes({ nodes: ['N4', 'N5'] });
   */
  removeNodes(input: In<'RemoveNodes'>): Promise<CommandResult<'RemoveNodes'>>;
  /**
   * Adds a metadata-server node to the metadata cluster.
   * @example
   * await engine.joinMetadata({ node: 'N2' });
   */
  joinMetadata(input: In<'JoinMetadataCluster'>): Promise<CommandResult<'JoinMetadataCluster'>>;
  /**
   * Removes a member from the metadata cluster (it becomes Standby).
   * @example
   * await engine.removeMetadataMember({ node: 'N2' });
   */
  removeMetadataMember(input: In<'RemoveMetadataMember'>): Promise<CommandResult<'RemoveMetadataMember'>>;
  /**
   * A log server's self-provisioning (`Provisioning -> ReadWrite`) with its LogStoreMarker. A retry with the same
   * marker succeeds without writing; another marker is `MarkerMismatch`.
   * @example
   * await engine.provisionLogServer({ node: 'N1', marker: { nodeId: 1, markerId: 'm-1', createdAt: now } });
   */
  provisionLogServer(input: In<'ProvisionLogServer'>): Promise<CommandResult<'ProvisionLogServer'>>;
  /**
   * A log server's start-up check (see `CommandResults['StartLogServer']`).
   * @example
   * const { started, refusal } = await engine.startLogServer({ node: 'N1', marker });
   */
  startLogServer(input: In<'StartLogServer'>): Promise<CommandResult<'StartLogServer'>>;
  /**
   * The operator's `set-storage-state` (unsafe moves need `force`).
   * @example
   * await engine.setStorageState({ node: 'N3', state: 'read-only' });
   */
  setStorageState(input: In<'SetStorageState'>): Promise<CommandResult<'SetStorageState'>>;
  /**
   * Moves a worker (`Provisioning -> Active`, `Active <-> Draining`, `-> Disabled`).
   * @example
   * await engine.setWorkerState({ node: 'N3', state: 'Active' });
   */
  setWorkerState(input: In<'SetWorkerState'>): Promise<CommandResult<'SetWorkerState'>>;
  /**
   * Opens the next segment of a log with a nodeset selected from ReadWrite log servers.
   * @example
   * const { nodeset } = await engine.createLogSegment({ logId: 1 });
   */
  createLogSegment(input: In<'CreateLogSegment'>): Promise<CommandResult<'CreateLogSegment'>>;
  /**
   * Seals a log's open segment.
   * @example
   * await engine.sealLogSegment({ logId: 1 });
   */
  sealLogSegment(input: In<'SealLogSegment'>): Promise<CommandResult<'SealLogSegment'>>;
  /**
   * Records a heartbeat observation (observations stream).
   * @example
   * await engine.recordHeartbeat({ node: 'N1:1', at: new Date().toISOString(), partitions: { '0': 'leader' } });
   */
  recordHeartbeat(input: In<'RecordHeartbeat'>): Promise<CommandResult<'RecordHeartbeat'>>;
  /**
   * Records that a node was found unreachable (observations stream).
   * @example
   * await engine.recordUnreachable({ node: 'N1', at: new Date().toISOString() });
   */
  recordUnreachable(input: In<'RecordUnreachable'>): Promise<CommandResult<'RecordUnreachable'>>;
  /**
   * Imports a legacy NodesConfiguration document into an empty cluster (remapping a live N0).
   * @example
   * await engine.importLegacy({ document: JSON.parse(readFileSync('legacy.json', 'utf8')) });
   */
  importLegacy(input: In<'ImportLegacyConfiguration'>): Promise<CommandResult<'ImportLegacyConfiguration'>>;
  /**
   * Runs any command by type (the CLI's path). Unknown types and bad data are `InvalidInput`.
   * @example
   * await engine.execute({ type: 'SealLogSegment', data: { logId: 1 }, commandId: 'seal-1' });
   */
  execute<T extends CommandType>(input: ExecuteInput<T>): Promise<CommandResult<T>>;
  /**
   * The cluster aggregate as of the last durable append this engine knows of (deeply frozen).
   * @example
   * const { nodes, revision } = engine.state();
   */
  state(): ClusterState;
  /**
   * The controller's view: alive and dead nodes, partitions, last heard. Liveness is judged at the engine clock's
   * now, or at `asOf` when it is a time; with `asOf` the projection is rebuilt as it was then (a position is
   * inclusive; liveness is then judged at the clock's now). Includes every write this engine made.
   * @example
   * const view = await engine.observedClusterState();
   * isNodeAlive(view, parseNodeId('N1:2'));
   */
  observedClusterState(options?: Readonly<{ asOf?: AsOf }>): Promise<ObservedClusterStateJson>;
  /**
   * The Restate-shaped NodesConfiguration document (nodes, tombstones, per-role states), from its projection.
   * @example
   * const { version, nodes } = await engine.nodesConfiguration();
   */
  nodesConfiguration(): Promise<NodesConfigurationDocument>;
  /**
   * Metadata quorum and log replication health, with reasons an operator can act on.
   * @example
   * const { healthy, reasons } = await engine.health();
   */
  health(): Promise<ClusterHealth>;
  /**
   * The audit trail (who, what, when, from -> to), optionally filtered by node and position range.
   * @example
   * for (const entry of await engine.audit({ node: 'N3' })) console.log(entry.at, entry.machine, entry.from, entry.to);
   */
  audit(filter?: AuditFilter): Promise<readonly AuditEntry[]>;
  /**
   * Calls `listener` after each durable append (this engine's and, once caught up, other writers'). Returns the
   * unsubscribe function. A listener that throws is logged and otherwise ignored.
   * @example
   * const stop = engine.subscribe((events, state) => console.log(events.length, state.revision));
   */
  subscribe(listener: EngineListener): () => void;
  /**
   * Reads what other writers appended since this engine last looked (normally done on demand by the engine).
   * @example
   * await engine.refresh(); engine.state(); // includes other processes' writes
   */
  refresh(): Promise<void>;
  /**
   * Writes a snapshot now (normally automatic). Resolves to the cluster revision it covers, or null if nothing
   * was written: snapshots are disabled, the snapshot is larger than one append of the store allows (skipped with
   * a warning), or the write failed (logged).
   * @example
   * await engine.snapshot();
   */
  snapshot(): Promise<number | null>;
  /**
   * Finishes queued commands, writes a final snapshot when something changed, and closes the store if the engine
   * opened it from a URL. Later commands reject with `EngineClosed`. Idempotent.
   * @example
   * await engine.close();
   */
  close(): Promise<void>;
}
