/**
 * The engine: commands through the decider to durable events (ARCHITECTURE.md "The flow of one command").
 *
 * Guarantees:
 * - Idempotency from history: a command whose id is recorded (by this process or any other, however long ago)
 *   returns its ORIGINAL outcome, rebuilt from its recorded events, with `alreadyApplied: true`; nothing is
 *   appended. Event ids derive from (cluster, command id, index), so a re-append is recognised by every store.
 * - Optimistic concurrency: each append expects the revision its decisions were made on. `WrongExpectedVersion`
 *   (another writer got there first) -> read the tail, re-decide, retry (bounded: `TooManyConflicts`).
 * - Lost responses: an append that fails any other way has an unknown outcome. The engine reads the tail: if its
 *   own events are there (same revision, same chain hash) the commands succeeded; otherwise it re-decides and
 *   retries. A caller that gives up and retries with the same command id is equally safe.
 * - Every successful append is confirmed by reading back its last event: a store acknowledges a re-append of ids it
 *   already holds (EventStoreDB semantics), and what it holds then is the EARLIER write (another `at`, another
 *   chain hash), which the engine must read instead of adopting its own plan. One indexed read per append.
 * - Snapshots (state + command index) are an optimisation only: taken every `snapshotEvery` events (spaced out as
 *   the aggregate grows), loaded only after every check passes, else the events are replayed.
 * - Group commit: commands that arrive while an append is in flight wait in a queue; the next append decides them
 *   in order against the pending state and writes all their events in ONE append. Every caller gets its own
 *   result or its own error; a refused command writes nothing and never fails its neighbours.
 * - A refusal (or a "nothing to change" answer) is only given against the newest state: when a batch appends
 *   nothing, the engine first checks that no other writer moved the stream (else it catches up and decides again).
 * - Two lanes: the cluster aggregate stream and the high-volume observations stream (heartbeats, unreachability)
 *   append independently, each with its own expected revision; observations are judged against the cluster state.
 * - Listeners, projections and inspection only ever see durable events.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { MACHINES, machineVersions } from '../../machines/index.js';
import { type AuditEntry, type AuditFilter, auditEntries, auditTrailProjection } from '../../projections/audit-trail.js';
import { type ClusterHealth, clusterHealth } from '../../projections/health.js';
import { type NodesConfigurationDocument, nodesConfiguration, nodesConfigurationProjection } from '../../projections/nodes-configuration.js';
import {
  DEFAULT_DEAD_AFTER_MS,
  type ObservedClusterStateView,
  observedClusterState,
  observedClusterStateProjection,
} from '../../projections/observed-cluster-state.js';
import { type ClusterState, emptyClusterState } from '../domain/cluster-state.js';
import {
  type Command,
  type CommandInputData,
  type CommandType,
  OBSERVATION_COMMANDS,
  parseCommand,
} from '../domain/commands.js';
import { decide, resultOf } from '../decider/decide.js';
import { ClusterchartError, isClusterchartError } from '../domain/errors.js';
import {
  DOMAIN_EVENT_TYPES,
  type DomainEvent,
  type DomainEventType,
  type EventMetadata,
  OBSERVATION_EVENT_TYPES,
  clusterStreamId,
  observationsStreamId,
  parseDomainEvent,
  transitionOf,
} from '../domain/events.js';
import type { CommandResult } from '../domain/results.js';
import type { EventData, EventStore, JsonObject, RecordedEvent } from '../store/event-store.js';
import { openStore } from '../store/open-store.js';
import { type ProjectionCheckpoints, openProjectionCheckpoints } from '../store/projection-checkpoints.js';
import { type CommandLocation, CommandIndex, type Lane } from './command-index.js';
import { chainHash, eventIdFor } from './hashing.js';
import { Inspection, type InspectTarget } from './inspection.js';
import { createDefaultLogger } from './logger.js';
import { type AsOf, type ProjectionRunner, createProjectionRunner } from './projection-runner.js';
import { decodeSnapshot, encodeSnapshot, snapshotStreamId, type SnapshotContent } from './snapshots.js';
import { publicState, sealState, WorkingState } from './working-state.js';

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
  /** Liveness window of `observedClusterState` and `health` (DOMAIN.md §3). Default 10 000 ms. */
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

type In<K extends CommandType> = CommandInputData[K] & CommandOptions;

/**
 * One cluster's engine. Every command method validates its input (zod), decides it against the in-memory aggregate,
 * appends the resulting events durably, and resolves with the typed result; refusals reject with a
 * `ClusterchartError` whose `code` names the rule (nothing is appended).
 */
export interface Engine {
  readonly cluster: string;
  readonly store: EventStore;
  /**
   * Provisions the cluster once with the replicated defaults (DOMAIN.md §4). A second provisioning is refused with
   * `AlreadyProvisioned`, unless it is the retry of the same command id.
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
   * The controller's view (DOMAIN.md §3): alive and dead nodes, partitions, last heard. Liveness is judged at the
   * engine clock's now, or at `asOf` when it is a time; with `asOf` the projection is rebuilt as it was then (a
   * position is inclusive; liveness is then judged at the clock's now). Includes every write this engine made.
   * @example
   * const view = await engine.observedClusterState();
   * isNodeAlive(view, parseNodeId('N1:2'));
   */
  observedClusterState(options?: Readonly<{ asOf?: AsOf }>): Promise<ObservedClusterStateView>;
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
   * was written because snapshots are disabled.
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

// ------------------------------------------------------------------------------------------------------------------

type Outcome = Readonly<{ ok: true; result: CommandResult }> | Readonly<{ ok: false; error: unknown }>;

type CommandJob = {
  readonly kind: 'command';
  readonly command: Command;
  readonly actor: string | undefined;
  readonly causationId: string | undefined;
  readonly correlationId: string | undefined;
  readonly resolve: (result: CommandResult) => void;
  readonly reject: (error: unknown) => void;
  outcome?: Outcome;
};

type SyncJob = { readonly kind: 'sync'; readonly resolve: () => void; readonly reject: (error: unknown) => void };

type LaneState = {
  readonly name: Lane;
  readonly stream: string;
  /** Last revision of the stream this engine has applied (-1: none). */
  revision: number;
  /** Chain hash of the event at `revision` ('' before the first). */
  lastHash: string;
  /** Command id of the event at `revision`: a command's events are contiguous, so a new id starts a new entry. */
  lastCommandId: string | null;
  readonly queue: (CommandJob | SyncJob)[];
  running: boolean;
};

/** One command's part of a planned append. */
type Planned =
  | Readonly<{ kind: 'append'; job: CommandJob; result: CommandResult; firstRevision: number }>
  | Readonly<{ kind: 'answer'; job: CommandJob; outcome: Outcome }>
  | Readonly<{ kind: 'duplicate'; job: CommandJob; of: number }>;

type Plan = {
  readonly items: Planned[];
  readonly envelopes: EventData[];
  /** Revision the first envelope goes to. */
  readonly firstRevision: number;
  readonly state: ClusterState;
  readonly revision: number;
  readonly lastHash: string;
  readonly lastCommandId: string | null;
};

const KNOWN_EVENT_TYPES: ReadonlySet<string> = new Set(DOMAIN_EVENT_TYPES);
const READ_PAGE = 256;
/** Appends with an unknown outcome that did not land, retried before the batch fails with the store's error. */
const MAX_UNKNOWN_OUTCOMES = 20;
/** Upper bound of one conflict backoff. */
const MAX_BACKOFF_MS = 100;

const isConflict = (error: unknown): boolean =>
  isClusterchartError(error, 'WrongExpectedVersion') || isClusterchartError(error, 'DuplicateEventId');

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Opens (or creates) a cluster's engine: loads the newest valid snapshot plus the tail of both streams.
 *
 * @example
 * const engine = await createEngine({ store: 'sqlite:./cluster.db', cluster: 'prod' });
 * await engine.provision({ replication: 2 });
 * const { node } = await engine.registerNode({ name: 'n1', roles: ['log-server', 'metadata-server'] });
 * await engine.close();
 */
export async function createEngine(options: EngineOptions): Promise<Engine> {
  if (typeof options.cluster !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(options.cluster)) {
    throw new ClusterchartError(
      'InvalidInput',
      `Cluster name ${JSON.stringify(options.cluster)} is not valid: use 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit.`,
      { cluster: String(options.cluster) },
    );
  }
  const ownsStore = typeof options.store === 'string';
  const store = typeof options.store === 'string' ? await openStore(options.store) : options.store;
  const engine = new ClusterEngine(store, ownsStore, options);
  try {
    await engine.load();
  } catch (error) {
    await engine.close().catch(() => undefined);
    throw error;
  }
  return engine;
}

class ClusterEngine implements Engine {
  readonly cluster: string;
  readonly store: EventStore;
  readonly #ownsStore: boolean;
  readonly #log: Logger;
  readonly #snapLog: Logger;
  readonly #clock: () => Date;
  readonly #inspection: Inspection | null;
  readonly #snapshotEvery: number | false;
  readonly #maxRetries: number;
  readonly #maxBatch: number;
  readonly #defaultActor: string | undefined;
  readonly #machineVersions: Readonly<Record<string, number>> = machineVersions();
  readonly #listeners = new Set<EngineListener>();
  readonly #cluster: LaneState;
  readonly #observations: LaneState;
  /** The committed aggregate; its `nodes`/`logs` containers are private (see working-state.ts). */
  #state: ClusterState = emptyClusterState();
  /** The frozen copy `state()` hands out, made at most once per committed state. */
  #public: { source: ClusterState; state: ClusterState } | null = null;
  #index = new CommandIndex();
  #eventsSinceSnapshot = 0;
  #snapshotWrite: Promise<unknown> | null = null;
  #closed = false;
  #closing: Promise<void> | null = null;
  readonly #root: Logger;
  readonly #deadAfterMs: number;
  readonly #checkpoints: ProjectionCheckpoints | undefined;
  readonly #ownsCheckpoints: boolean;
  /** Started on the first projection read, so that loading the engine never waits for a projection rebuild. */
  #projections: Promise<ProjectionRunner> | null = null;
  /** Highest global position this engine has written or read: projection reads wait for it (read-your-writes). */
  #lastPosition = 0;
  /** Set when the store returned a history this engine cannot apply: every later command fails with it. */
  #fatal: ClusterchartError | null = null;

  constructor(store: EventStore, ownsStore: boolean, options: EngineOptions) {
    this.cluster = options.cluster;
    this.store = store;
    this.#ownsStore = ownsStore;
    const root = options.logger ?? createDefaultLogger();
    this.#root = root;
    this.#deadAfterMs = options.deadAfterMs ?? DEFAULT_DEAD_AFTER_MS;
    this.#ownsCheckpoints = options.projectionCheckpoints === undefined && typeof options.store === 'string';
    this.#checkpoints = options.projectionCheckpoints ?? (typeof options.store === 'string' ? openProjectionCheckpoints(options.store) : undefined);
    this.#log = root.child({ subsystem: 'engine', cluster: options.cluster });
    this.#snapLog = root.child({ subsystem: 'snapshots', cluster: options.cluster });
    this.#clock = options.clock ?? (() => new Date());
    this.#inspection = options.inspect === undefined ? null : new Inspection(options.cluster, options.inspect);
    this.#snapshotEvery = options.snapshotEvery === undefined ? 1000 : options.snapshotEvery;
    if (this.#snapshotEvery !== false && (!Number.isInteger(this.#snapshotEvery) || this.#snapshotEvery < 1)) {
      throw new ClusterchartError('InvalidInput', `snapshotEvery must be a whole number >= 1 or false, got ${String(options.snapshotEvery)}.`);
    }
    this.#maxRetries = options.maxConflictRetries ?? 100;
    this.#maxBatch = options.maxBatchSize ?? 2048;
    this.#defaultActor = options.actor;
    const lane = (name: Lane, stream: string): LaneState => ({
      name,
      stream,
      revision: -1,
      lastHash: '',
      lastCommandId: null,
      queue: [],
      running: false,
    });
    this.#cluster = lane('cluster', clusterStreamId(options.cluster));
    this.#observations = lane('observations', observationsStreamId(options.cluster));
  }

  // --- loading ------------------------------------------------------------------------------------------------------

  async load(): Promise<void> {
    const started = performance.now();
    const snapshot = await this.#loadSnapshot();
    if (snapshot !== null) {
      this.#state = snapshot.state;
      this.#index = snapshot.index;
      this.#cluster.revision = snapshot.cluster.revision;
      this.#cluster.lastHash = snapshot.cluster.hash;
      this.#observations.revision = snapshot.observations.revision;
      this.#observations.lastHash = snapshot.observations.hash;
    } else {
      // A full replay indexes every command: size the table once (at most one command per event) instead of growing it.
      const events = (await this.store.streamRevision(this.#cluster.stream)) + (await this.store.streamRevision(this.#observations.stream)) + 2;
      this.#index = new CommandIndex(events);
    }
    const tail = (await this.#catchUp(this.#cluster, false)).count + (await this.#catchUp(this.#observations, false)).count;
    this.#state = sealState(this.#state);
    this.#eventsSinceSnapshot = tail;
    this.#inspection?.announce(this.#state);
    this.#log.info(
      {
        store: this.store.url,
        revision: this.#cluster.revision,
        observationsRevision: this.#observations.revision,
        snapshotRevision: snapshot?.cluster.revision ?? null,
        tailEvents: tail,
        commands: this.#index.size,
        ms: Math.round(performance.now() - started),
      },
      'engine loaded',
    );
  }

  /** The newest snapshot that passes every check, or null (full replay). Each rejected one is logged with why. */
  async #loadSnapshot(): Promise<SnapshotContent | null> {
    const stream = snapshotStreamId(this.cluster);
    let examined = 0;
    // One snapshot per read (each can be megabytes): the newest, then older ones only while they fail the checks.
    for (let revision = await this.store.streamRevision(stream); revision >= 0 && examined < 3; revision--) {
      const recorded = await this.#eventAt(stream, revision);
      if (recorded === null) break;
      examined++;
      const decoded = decodeSnapshot(recorded, this.cluster, this.#machineVersions);
      if (!decoded.ok) {
        this.#snapLog.warn({ stream, revision: recorded.revision, reason: decoded.reason }, 'snapshot ignored; replaying events instead');
        continue;
      }
      const content = decoded.content;
      const clusterTie = await this.#eventAt(this.#cluster.stream, content.cluster.revision);
      const observationsTie = await this.#eventAt(this.#observations.stream, content.observations.revision);
      const problem = tieProblem(this.#cluster.stream, content.cluster, clusterTie) ?? tieProblem(this.#observations.stream, content.observations, observationsTie);
      if (problem !== null) {
        this.#snapLog.warn({ stream, revision: recorded.revision, reason: problem }, 'snapshot ignored; replaying events instead');
        continue;
      }
      this.#lastPosition = Math.max(clusterTie?.position ?? 0, observationsTie?.position ?? 0);
      this.#cluster.lastCommandId = commandIdOf(clusterTie);
      this.#observations.lastCommandId = commandIdOf(observationsTie);
      this.#snapLog.debug({ revision: content.cluster.revision, commands: content.index.size }, 'snapshot loaded');
      return content;
    }
    if (examined > 0) this.#snapLog.warn({ stream, examined }, 'no usable snapshot; the aggregate is rebuilt from every event');
    return null;
  }

  async #eventAt(stream: string, revision: number): Promise<RecordedEvent | null> {
    if (revision < 0) return null;
    for await (const event of this.store.readStream(stream, { fromRevision: revision, maxCount: 1 })) return event;
    return null;
  }

  /**
   * Applies everything the lane's stream holds beyond `revision`: the cluster state (cluster lane), the command
   * index, the chain head. Returns the events read. Other writers' events are announced to listeners when `notify`.
   */
  async #catchUp(lane: LaneState, notify = true): Promise<{ count: number; events: RecordedEvent[] }> {
    const read: RecordedEvent[] = [];
    let count = 0;
    let chunk: RecordedEvent[] = [];
    let work: WorkingState | null = null;
    const flush = () => {
      if (chunk.length === 0) return;
      if (lane.name === 'cluster') {
        work ??= new WorkingState(this.#state);
        for (const raw of chunk) this.#applyRecorded(work, raw);
      }
      for (const raw of chunk) this.#indexRecorded(lane, raw);
      count += chunk.length;
      if (notify) for (const raw of chunk) read.push(raw);
      chunk = [];
    };
    // The state is replaced only at the end; if reading or applying fails midway, the lane's position goes back
    // with it, so the next catch-up starts over from the same point (index entries added meanwhile stay valid).
    const start = { revision: lane.revision, lastHash: lane.lastHash, lastCommandId: lane.lastCommandId };
    try {
      for await (const raw of this.store.readStream(lane.stream, { fromRevision: lane.revision + 1 })) {
        const expected = lane.revision + 1 + chunk.length;
        if (raw.revision !== expected) {
          throw new ClusterchartError(
            'StoreCorrupt',
            `Stream ${lane.stream} returned revision ${raw.revision} where ${expected} was expected; revisions must be dense.`,
            { stream: lane.stream, expected, actual: raw.revision },
          );
        }
        chunk.push(raw);
        if (chunk.length >= 4096) flush();
      }
      flush();
    } catch (error) {
      Object.assign(lane, start);
      throw error;
    }
    if (work !== null) this.#state = (work as WorkingState).finish();
    if (notify && read.length > 0) {
      this.#afterDurable(lane, read.length, () => read.map(appendedOf), read[read.length - 1]!.position, 'other-writer');
    }
    return { count, events: read };
  }

  /** Applies one stored cluster event. Only the type is checked up front; bad data is reported by the zod schema. */
  #applyRecorded(work: WorkingState, raw: RecordedEvent): void {
    const event = this.#checkRecorded(this.#cluster, raw);
    try {
      work.apply(event, raw.position);
    } catch (error) {
      if (isClusterchartError(error)) throw error;
      parseDomainEvent(raw); // throws HistoryInvalid naming the position when the data is malformed
      throw error;
    }
  }

  #indexRecorded(lane: LaneState, raw: RecordedEvent): void {
    if (lane.name === 'observations') this.#checkRecorded(lane, raw);
    const metadata = raw.metadata as Partial<Record<string, unknown>>;
    const commandId = typeof metadata.commandId === 'string' ? metadata.commandId : null;
    if (commandId !== null && commandId !== lane.lastCommandId) this.#index.add(commandId, lane.name, raw.revision);
    lane.lastCommandId = commandId;
    lane.lastHash = typeof metadata.hash === 'string' ? metadata.hash : '';
    lane.revision = raw.revision;
    if (raw.position > this.#lastPosition) this.#lastPosition = raw.position;
  }

  #checkRecorded(lane: LaneState, raw: RecordedEvent): DomainEvent {
    if (!KNOWN_EVENT_TYPES.has(raw.type)) {
      throw new ClusterchartError(
        'UnknownEventType',
        `Unknown event type "${raw.type}" at position ${raw.position} of ${raw.streamId}: this history was written by a newer or different program; upgrade clusterchart.`,
        { type: raw.type, position: raw.position },
      );
    }
    if (OBSERVATION_EVENT_TYPES.has(raw.type as DomainEventType) !== (lane.name === 'observations')) {
      throw new ClusterchartError(
        'HistoryInvalid',
        `Event ${raw.type} at position ${raw.position} does not belong in stream ${raw.streamId}.`,
        { type: raw.type, position: raw.position },
      );
    }
    return raw as unknown as DomainEvent;
  }

  // --- commands -----------------------------------------------------------------------------------------------------

  provision(input: Partial<In<'ProvisionCluster'>> = {}) {
    return this.#run('ProvisionCluster', { clusterName: this.cluster, ...input });
  }
  setDefaultLogProvider(input: In<'SetDefaultLogProvider'>) {
    return this.#run('SetDefaultLogProvider', input);
  }
  registerNode(input: In<'RegisterNode'>) {
    return this.#run('RegisterNode', input);
  }
  removeNodes(input: In<'RemoveNodes'>) {
    return this.#run('RemoveNodes', input);
  }
  joinMetadata(input: In<'JoinMetadataCluster'>) {
    return this.#run('JoinMetadataCluster', input);
  }
  removeMetadataMember(input: In<'RemoveMetadataMember'>) {
    return this.#run('RemoveMetadataMember', input);
  }
  provisionLogServer(input: In<'ProvisionLogServer'>) {
    return this.#run('ProvisionLogServer', input);
  }
  startLogServer(input: In<'StartLogServer'>) {
    return this.#run('StartLogServer', input);
  }
  setStorageState(input: In<'SetStorageState'>) {
    return this.#run('SetStorageState', input);
  }
  setWorkerState(input: In<'SetWorkerState'>) {
    return this.#run('SetWorkerState', input);
  }
  createLogSegment(input: In<'CreateLogSegment'>) {
    return this.#run('CreateLogSegment', input);
  }
  sealLogSegment(input: In<'SealLogSegment'>) {
    return this.#run('SealLogSegment', input);
  }
  recordHeartbeat(input: In<'RecordHeartbeat'>) {
    return this.#run('RecordHeartbeat', input);
  }
  recordUnreachable(input: In<'RecordUnreachable'>) {
    return this.#run('RecordUnreachable', input);
  }
  importLegacy(input: In<'ImportLegacyConfiguration'>) {
    return this.#run('ImportLegacyConfiguration', input);
  }

  execute<T extends CommandType>(input: ExecuteInput<T>): Promise<CommandResult<T>> {
    if (input === null || typeof input !== 'object') {
      return Promise.reject(new ClusterchartError('InvalidInput', 'execute expects { type, data, commandId? }.'));
    }
    const { type, data, ...options } = input;
    return this.#submit(type, data, options) as Promise<never>;
  }

  #run<T extends CommandType>(type: T, input: CommandOptions & Readonly<Record<string, unknown>>): Promise<CommandResult<T>> {
    if (input === null || typeof input !== 'object') {
      return Promise.reject(new ClusterchartError('InvalidInput', `${type} expects an object of options.`, { type }));
    }
    const { commandId, actor, causationId, correlationId, ...data } = input;
    return this.#submit(type, data, { commandId, actor, causationId, correlationId }) as Promise<never>;
  }

  #submit(type: string, data: unknown, options: CommandOptions): Promise<CommandResult> {
    if (this.#closed) {
      return Promise.reject(new ClusterchartError('EngineClosed', `The engine for cluster ${this.cluster} is closed; create a new one.`, { cluster: this.cluster }));
    }
    if (this.#fatal !== null) return Promise.reject(this.#fatal);
    let command: Command;
    try {
      for (const [name, value] of Object.entries({ actor: options.actor, causationId: options.causationId, correlationId: options.correlationId })) {
        if (value !== undefined && typeof value !== 'string') {
          throw new ClusterchartError('InvalidInput', `${type}: ${name} must be a string.`, { type, path: name });
        }
      }
      command = parseCommand({ type, data, commandId: options.commandId ?? randomUUID() });
    } catch (error) {
      if (isClusterchartError(error)) this.#log.info({ type, code: error.code, commandId: options.commandId ?? null }, 'command refused: invalid input');
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const lane = OBSERVATION_COMMANDS.has(command.type) ? this.#observations : this.#cluster;
    return new Promise<CommandResult>((resolve, reject) => {
      lane.queue.push({
        kind: 'command',
        command,
        actor: options.actor ?? this.#defaultActor,
        causationId: options.causationId,
        correlationId: options.correlationId,
        resolve,
        reject,
      });
      void this.#drain(lane);
    });
  }

  /** Runs a lane's queue: everything queued while a batch is in flight becomes the next batch (group commit). */
  async #drain(lane: LaneState): Promise<void> {
    if (lane.running) return;
    lane.running = true;
    try {
      while (lane.queue.length > 0) {
        const jobs = lane.queue.splice(0, this.#maxBatch);
        const syncs = jobs.filter((job): job is SyncJob => job.kind === 'sync');
        const commands = jobs.filter((job): job is CommandJob => job.kind === 'command');
        if (syncs.length > 0) {
          try {
            await this.#catchUpOrFail(lane);
            for (const job of syncs) job.resolve();
          } catch (error) {
            for (const job of syncs) job.reject(error);
          }
        }
        if (commands.length > 0) await this.#processBatch(lane, commands);
      }
    } finally {
      lane.running = false;
    }
  }

  /** Catches up; a history this engine cannot apply makes the engine fail every later command with that error. */
  async #catchUpOrFail(lane: LaneState): Promise<RecordedEvent[]> {
    if (this.#fatal !== null) throw this.#fatal;
    try {
      return (await this.#catchUp(lane)).events;
    } catch (error) {
      if (isClusterchartError(error) && ['UnknownEventType', 'HistoryInvalid', 'LegacyNodeZero', 'StoreCorrupt'].includes(error.code)) {
        this.#fatal = error;
        this.#log.error({ err: error, stream: lane.stream }, 'stored history cannot be applied; the engine refuses further commands');
      }
      throw error;
    }
  }

  /** Queues a catch-up on the cluster lane (so it never interleaves with that lane's own batches). */
  #syncCluster(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#cluster.queue.unshift({ kind: 'sync', resolve, reject });
      void this.#drain(this.#cluster);
    });
  }

  async #isStale(lane: LaneState): Promise<boolean> {
    if ((await this.store.streamRevision(lane.stream)) !== lane.revision) return true;
    return lane.name === 'observations' && (await this.store.streamRevision(this.#cluster.stream)) !== this.#cluster.revision;
  }

  async #refresh(lane: LaneState): Promise<void> {
    await this.#catchUpOrFail(lane);
    if (lane.name === 'observations') await this.#syncCluster();
  }

  /** Decides and appends one batch, retrying on conflicts and unknown outcomes. Settles every job; never throws. */
  async #processBatch(lane: LaneState, jobs: CommandJob[]): Promise<void> {
    let open = jobs;
    /** Appends lost to another writer (or decisions found stale); bounded by `maxConflictRetries`. */
    let conflicts = 0;
    /** Appends whose outcome was unknown and turned out not to have landed; bounded separately. */
    let failures = 0;
    let lastError: unknown = null;
    try {
      for (;;) {
        await this.#answerFromHistory(open);
        open = open.filter((job) => job.outcome === undefined);
        if (open.length === 0) return;
        if (conflicts > this.#maxRetries) {
          const error = new ClusterchartError(
            'TooManyConflicts',
            `Gave up after ${conflicts} attempts to append to ${lane.stream}: other writers kept appending first. ` +
              'Nothing was written for these commands; retry them with the same command ids.',
            { stream: lane.stream, attempts: conflicts },
          );
          for (const job of open) job.outcome = { ok: false, error };
          return;
        }
        if (failures > MAX_UNKNOWN_OUTCOMES) {
          for (const job of open) job.outcome = { ok: false, error: lastError };
          return;
        }
        const plan = this.#plan(lane, open);
        if (plan.envelopes.length === 0) {
          // Refusals and "nothing to change" must be judged against the newest state, not a stale copy.
          if (await this.#isStale(lane)) {
            conflicts++;
            await this.#refresh(lane);
            continue;
          }
          this.#settlePlan(plan);
          return;
        }
        const expectedRevision = lane.revision < 0 ? 'no-stream' : lane.revision;
        let position: number;
        try {
          position = (await this.store.appendToStream(lane.stream, plan.envelopes, { expectedRevision })).position;
        } catch (error) {
          lastError = error;
          if (isConflict(error)) {
            conflicts++;
            this.#log.warn({ stream: lane.stream, expectedRevision, commands: open.length, attempt: conflicts, code: (error as ClusterchartError).code }, 'append conflict; reading the tail and deciding again');
            // Jittered exponential backoff: a writer that keeps losing the race spreads its attempts out.
            if (conflicts > 1) await delay(Math.random() * Math.min(MAX_BACKOFF_MS, 2 ** (conflicts - 1)));
            await this.#refresh(lane);
            continue;
          }
          failures++;
          this.#log.warn({ stream: lane.stream, expectedRevision, commands: open.length, attempt: failures, err: error }, 'append outcome unknown; reading the tail to find out');
          if (await this.#landedAfterUnknown(lane, plan)) {
            this.#settlePlan(plan);
            return;
          }
          continue;
        }
        if (!(await this.#confirmAppend(lane, plan))) {
          // The store acknowledged these ids as a retry of an earlier, identical-id append (ours, whose response
          // was lost, or another writer's): what is stored is that earlier write, not this plan. Read it and answer
          // the commands from history.
          this.#log.info({ stream: lane.stream, revision: plan.revision }, 'append acknowledged as an earlier write of the same command ids; reading it back');
          await this.#refresh(lane);
          continue;
        }
        this.#commit(lane, plan, position);
        this.#settlePlan(plan);
        return;
      }
    } catch (error) {
      for (const job of open) job.outcome ??= { ok: false, error };
    } finally {
      for (const job of jobs) this.#settle(job);
    }
  }

  /** True when the stream's event at the plan's last revision is the plan's own (same chain hash). */
  async #confirmAppend(lane: LaneState, plan: Plan): Promise<boolean> {
    const last = plan.envelopes[plan.envelopes.length - 1]!;
    const stored = await this.#eventAt(lane.stream, plan.revision);
    return stored !== null && stored.id === last.id && (stored.metadata as { hash?: unknown }).hash === last.metadata.hash;
  }

  /**
   * After an append with an unknown outcome: reads the tail (retrying while the store is unreachable) and reports
   * whether this very append is in it (its first event at the planned revision with the planned chain hash).
   */
  async #landedAfterUnknown(lane: LaneState, plan: Plan): Promise<boolean> {
    const first = plan.envelopes[0]!;
    for (let attempt = 0; ; attempt++) {
      try {
        const fresh = await this.#catchUpOrFail(lane);
        const found = fresh.find((event) => event.revision === plan.firstRevision);
        const landed = found !== undefined && found.id === first.id && (found.metadata as { hash?: unknown }).hash === first.metadata.hash;
        if (landed) this.#log.info({ stream: lane.stream, revision: plan.firstRevision }, 'the append had committed (lost response); no retry needed');
        if (lane.name === 'observations') await this.#syncCluster();
        return landed;
      } catch (error) {
        if (isClusterchartError(error) && this.#fatal !== null) throw error;
        if (attempt >= 5) {
          throw new ClusterchartError(
            'StoreUnavailable',
            `The store ${this.store.url} failed during an append and could not be read back: the outcome is unknown. Retry the commands with the same command ids once it is reachable.`,
            { store: this.store.url, stream: lane.stream },
            { cause: error },
          );
        }
        await delay(10 * 2 ** attempt);
      }
    }
  }

  /** Answers jobs whose command id is already in history with their recorded outcome. */
  async #answerFromHistory(jobs: readonly CommandJob[]): Promise<void> {
    for (const job of jobs) {
      if (job.outcome !== undefined) continue;
      const candidates = this.#index.candidates(job.command.commandId);
      if (candidates.length === 0) continue;
      const recorded = await this.#readCommand(job.command.commandId, candidates);
      if (recorded === null) continue;
      if (recorded.commandType !== job.command.type) {
        job.outcome = {
          ok: false,
          error: new ClusterchartError(
            'CommandIdReused',
            `Command id ${job.command.commandId} was already used by a ${recorded.commandType} command (revision ${recorded.revision} of ${recorded.streamId}); a ${job.command.type} needs a command id of its own.`,
            { commandId: job.command.commandId, recordedType: recorded.commandType, type: job.command.type },
          ),
        };
        continue;
      }
      try {
        job.outcome = { ok: true, result: resultOf(job.command, recorded.events, this.#state, { alreadyApplied: true }) };
      } catch (error) {
        job.outcome = { ok: false, error };
      }
    }
  }

  /** The events of a recorded command, confirmed by reading them (a hash match alone proves nothing). */
  async #readCommand(
    commandId: string,
    candidates: readonly CommandLocation[],
  ): Promise<{ commandType: string; events: DomainEvent[]; revision: number; streamId: string } | null> {
    for (const candidate of candidates) {
      const streamId = candidate.lane === 'cluster' ? this.#cluster.stream : this.#observations.stream;
      const events: DomainEvent[] = [];
      let commandType = '';
      let next = candidate.revision;
      let more = true;
      while (more) {
        more = false;
        let read = 0;
        for await (const raw of this.store.readStream(streamId, { fromRevision: next, maxCount: READ_PAGE })) {
          read++;
          const metadata = raw.metadata as Partial<Record<string, unknown>>;
          if (metadata.commandId !== commandId) break;
          if (events.length === 0) commandType = typeof metadata.commandType === 'string' ? metadata.commandType : '';
          events.push(parseDomainEvent(raw));
          next = raw.revision + 1;
          if (read === READ_PAGE) more = true;
        }
      }
      if (events.length > 0) return { commandType, events, revision: candidate.revision, streamId };
    }
    return null;
  }

  /** Decides every open job in order against the lane's pending state and builds the envelopes of one append. */
  #plan(lane: LaneState, jobs: readonly CommandJob[]): Plan {
    const work = lane.name === 'cluster' ? new WorkingState(this.#state) : null;
    const state = this.#state;
    let revision = lane.revision;
    let lastHash = lane.lastHash;
    let lastCommandId = lane.lastCommandId;
    const items: Planned[] = [];
    const envelopes: EventData[] = [];

    const firstOf = new Map<string, number>();
    for (const job of jobs) {
      const { command } = job;
      const earlier = firstOf.get(command.commandId);
      if (earlier !== undefined) {
        items.push({ kind: 'duplicate', job, of: earlier });
        continue;
      }
      firstOf.set(command.commandId, items.length);
      let decision: ReturnType<typeof decide>;
      try {
        decision = decide(work?.state ?? state, command);
      } catch (error) {
        this.#log.error({ err: error, type: command.type, commandId: command.commandId }, 'the decider threw; the command is refused');
        items.push({ kind: 'answer', job, outcome: { ok: false, error } });
        continue;
      }
      if (!decision.ok) {
        items.push({ kind: 'answer', job, outcome: { ok: false, error: decision.error } });
        continue;
      }
      if (decision.events.length === 0) {
        items.push({ kind: 'answer', job, outcome: { ok: true, result: decision.result } });
        continue;
      }
      const wrongLane = decision.events.find((event) => OBSERVATION_EVENT_TYPES.has(event.type) !== (lane.name === 'observations'));
      if (wrongLane !== undefined) {
        const error = new Error(`decider bug: ${command.type} produced ${wrongLane.type}, which does not belong in ${lane.stream}`);
        this.#log.error({ type: command.type, commandId: command.commandId }, error.message);
        items.push({ kind: 'answer', job, outcome: { ok: false, error } });
        continue;
      }
      const at = this.#clock().toISOString();
      const firstRevision = revision + 1;
      for (let i = 0; i < decision.events.length; i++) {
        const event = decision.events[i]!;
        const id = eventIdFor(this.cluster, command.commandId, i);
        const hash = chainHash(lastHash, { id, type: event.type, data: event.data, commandId: command.commandId, at });
        const transition = transitionOf(event);
        const metadata: Record<string, string | number> = { commandId: command.commandId, commandType: command.type, at, hash };
        if (transition !== null) metadata.machineVersion = MACHINES[transition.machine].version;
        if (job.actor !== undefined) metadata.actor = job.actor;
        if (job.causationId !== undefined) metadata.causationId = job.causationId;
        if (job.correlationId !== undefined) metadata.correlationId = job.correlationId;
        revision++;
        lastHash = hash;
        envelopes.push({ id, type: event.type, data: event.data as unknown as JsonObject, metadata });
      }
      lastCommandId = command.commandId;
      // Every later command of the batch is decided against this one's effects. An event the decider produced but
      // cannot apply is a decider bug: it fails the whole batch (thrown), never leaves a half-applied state.
      if (work !== null) for (const event of decision.events) work.apply(event);
      items.push({ kind: 'append', job, result: decision.result, firstRevision });
    }
    return { items, envelopes, firstRevision: lane.revision + 1, state: work === null || envelopes.length === 0 ? state : work.finish(), revision, lastHash, lastCommandId };
  }

  /** Makes a durable append the engine's state: aggregate, chain head, index; then listeners and inspection. */
  #commit(lane: LaneState, plan: Plan, position: number): void {
    lane.revision = plan.revision;
    lane.lastHash = plan.lastHash;
    lane.lastCommandId = plan.lastCommandId;
    if (lane.name === 'cluster') this.#state = plan.state;
    if (position > this.#lastPosition) this.#lastPosition = position;
    for (const item of plan.items) {
      if (item.kind === 'append') this.#index.add(item.job.command.commandId, lane.name, item.firstRevision);
    }
    this.#afterDurable(lane, plan.envelopes.length, () => plan.envelopes.map((envelope, i) => ({ ...envelope, streamId: lane.stream, revision: plan.firstRevision + i }) as unknown as AppendedEvent), position, 'this-engine');
  }

  /** Announces durable events (built only when someone listens) and takes a snapshot when one is due. */
  #afterDurable(lane: LaneState, count: number, events: () => readonly AppendedEvent[], position: number, origin: EngineChange['origin']): void {
    this.#eventsSinceSnapshot += count;
    if (this.#inspection !== null || this.#listeners.size > 0) {
      const appended = events();
      this.#inspection?.record(appended);
      const change: EngineChange = { lane: lane.name, streamId: lane.stream, events: appended, origin, position };
      for (const listener of this.#listeners) {
        try {
          listener(appended, this.state(), change);
        } catch (error) {
          this.#log.warn({ err: error }, 'an engine listener threw; ignored');
        }
      }
    }
    this.#maybeSnapshot();
  }

  /** Results of a settled plan: duplicates within the batch get their first occurrence's outcome. */
  #settlePlan(plan: Plan): void {
    for (const item of plan.items) {
      if (item.kind === 'append') item.job.outcome = { ok: true, result: item.result };
      else if (item.kind === 'answer') item.job.outcome = item.outcome;
    }
    for (const item of plan.items) {
      if (item.kind !== 'duplicate') continue;
      const first = plan.items[item.of]!;
      const outcome = first.job.outcome!;
      if (first.job.command.type !== item.job.command.type) {
        item.job.outcome = {
          ok: false,
          error: new ClusterchartError(
            'CommandIdReused',
            `Command id ${item.job.command.commandId} was used by a ${first.job.command.type} command in the same batch; a ${item.job.command.type} needs a command id of its own.`,
            { commandId: item.job.command.commandId, recordedType: first.job.command.type, type: item.job.command.type },
          ),
        };
      } else {
        item.job.outcome = outcome.ok && first.kind === 'append' ? { ok: true, result: { ...outcome.result, alreadyApplied: true } } : outcome;
      }
    }
  }

  #settle(job: CommandJob): void {
    const outcome = job.outcome ?? { ok: false, error: new Error('internal: command left without an outcome') };
    const { type, commandId } = job.command;
    if (outcome.ok) {
      if (this.#log.isLevelEnabled('debug')) {
        this.#log.debug({ type, commandId, outcome: outcome.result.alreadyApplied ? 'already-applied' : 'applied' }, 'command');
      }
      job.resolve(outcome.result);
    } else {
      const error = outcome.error;
      if (isClusterchartError(error)) {
        this.#log.info({ type, commandId, code: error.code, outcome: 'refused' }, error.message);
      } else {
        this.#log.error({ type, commandId, err: error }, 'command failed');
      }
      job.reject(error);
    }
  }

  // --- snapshots ----------------------------------------------------------------------------------------------------

  #snapshotDue(): boolean {
    if (this.#snapshotEvery === false || this.#snapshotWrite !== null) return false;
    const size = this.#state.maxNodeId + this.#index.size;
    return this.#eventsSinceSnapshot >= Math.max(this.#snapshotEvery, Math.ceil(size / 4));
  }

  #maybeSnapshot(): void {
    if (this.#snapshotDue()) void this.#writeSnapshot();
  }

  /** Captures the state and index synchronously (both change with the next commit), then appends in background. */
  #writeSnapshot(): Promise<number | null> {
    if (this.#snapshotEvery === false) return Promise.resolve(null);
    const revision = this.#cluster.revision;
    const content: SnapshotContent = {
      cluster: { revision, hash: this.#cluster.lastHash },
      observations: { revision: this.#observations.revision, hash: this.#observations.lastHash },
      state: this.#state,
      index: this.#index,
    };
    const started = performance.now();
    const event = encodeSnapshot(this.cluster, content, this.#machineVersions, this.#clock().toISOString());
    const covered = this.#eventsSinceSnapshot;
    this.#eventsSinceSnapshot = 0;
    const write = this.store
      .appendToStream(snapshotStreamId(this.cluster), [event], { expectedRevision: 'any' })
      .then(
        () => {
          this.#snapLog.info({ revision, commands: content.index.size, ms: Math.round(performance.now() - started) }, 'snapshot written');
          return revision;
        },
        (error: unknown) => {
          this.#eventsSinceSnapshot += covered;
          this.#snapLog.warn({ revision, err: error }, 'snapshot not written (the engine keeps working; loading will read more events)');
          return null;
        },
      )
      .finally(() => {
        this.#snapshotWrite = null;
      });
    this.#snapshotWrite = write;
    return write;
  }

  async snapshot(): Promise<number | null> {
    while (this.#snapshotWrite !== null) await this.#snapshotWrite;
    return this.#writeSnapshot();
  }

  // --- reads and lifecycle ------------------------------------------------------------------------------------------

  state(): ClusterState {
    if (this.#public?.source !== this.#state) this.#public = { source: this.#state, state: publicState(this.#state) };
    return this.#public.state;
  }

  async #runner(): Promise<ProjectionRunner> {
    if (this.#closed) throw new ClusterchartError('EngineClosed', `The engine for cluster ${this.cluster} is closed; create a new one.`, { cluster: this.cluster });
    this.#projections ??= createProjectionRunner({
      store: this.store,
      cluster: this.cluster,
      projections: [observedClusterStateProjection, nodesConfigurationProjection, auditTrailProjection],
      logger: this.#root.child({ subsystem: 'projections', cluster: this.cluster }),
      ...(this.#checkpoints === undefined ? {} : { checkpoints: this.#checkpoints }),
    });
    const runner = await this.#projections;
    await runner.waitFor(this.#lastPosition);
    return runner;
  }

  async observedClusterState(options: Readonly<{ asOf?: AsOf }> = {}): Promise<ObservedClusterStateView> {
    const runner = await this.#runner();
    const facts = options.asOf === undefined ? runner.get(observedClusterStateProjection) : await runner.asOf(observedClusterStateProjection, options.asOf);
    const now = options.asOf instanceof Date ? options.asOf : this.#clock();
    return observedClusterState(facts, { now, deadAfter: this.#deadAfterMs });
  }

  async nodesConfiguration(): Promise<NodesConfigurationDocument> {
    return nodesConfiguration((await this.#runner()).get(nodesConfigurationProjection));
  }

  async health(): Promise<ClusterHealth> {
    return clusterHealth(this.state(), await this.observedClusterState());
  }

  async audit(filter: AuditFilter = {}): Promise<readonly AuditEntry[]> {
    return auditEntries((await this.#runner()).get(auditTrailProjection), filter);
  }

  subscribe(listener: EngineListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  async refresh(): Promise<void> {
    await this.#syncCluster();
    await new Promise<void>((resolve, reject) => {
      this.#observations.queue.unshift({ kind: 'sync', resolve, reject });
      void this.#drain(this.#observations);
    });
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    while (this.#cluster.running || this.#observations.running || this.#cluster.queue.length > 0 || this.#observations.queue.length > 0) {
      await delay(1);
    }
    while (this.#snapshotWrite !== null) await this.#snapshotWrite;
    if (this.#eventsSinceSnapshot > 0 && this.#fatal === null) await this.#writeSnapshot();
    this.#listeners.clear();
    if (this.#projections !== null) {
      const runner = await this.#projections.catch(() => null);
      await runner?.stop();
    }
    if (this.#ownsCheckpoints) await this.#checkpoints?.close();
    if (this.#ownsStore) await this.store.close();
    this.#log.debug({ revision: this.#cluster.revision }, 'engine closed');
  }
}

function commandIdOf(event: RecordedEvent | null): string | null {
  const id = (event?.metadata as { commandId?: unknown } | undefined)?.commandId;
  return typeof id === 'string' ? id : null;
}

function tieProblem(stream: string, point: Readonly<{ revision: number; hash: string }>, event: RecordedEvent | null): string | null {
  if (point.revision < 0) return null;
  if (event === null) return `it covers ${stream} up to revision ${point.revision}, which the store does not hold (the stream was truncated or replaced)`;
  const hash = (event.metadata as { hash?: unknown }).hash;
  return hash === point.hash ? null : `the event at revision ${point.revision} of ${stream} is not the one the snapshot was taken after (hash differs)`;
}

function appendedOf(raw: RecordedEvent): AppendedEvent {
  return { type: raw.type, data: raw.data, id: raw.id, streamId: raw.streamId, revision: raw.revision, metadata: raw.metadata } as unknown as AppendedEvent;
}
