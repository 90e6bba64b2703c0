/**
 * The engine: commands through the decider to durable events. This file is the front: `createEngine`, the command
 * methods, and the flow of one command, step by step (the files named at each step own its rules).
 *
 * 1. Validate the input (zod, in `parseCommand`); bad data is `InvalidInput` and never reaches a queue.
 * 2. Queue it on its lane (lanes.ts): cluster commands and observations append independently; commands that arrive
 *    while an append is in flight form the next batch (group commit), and every caller gets its own outcome.
 * 3. Answer from history (idempotency.ts): a command id already recorded returns its ORIGINAL outcome with
 *    `alreadyApplied: true`, however long ago and by whichever writer it was recorded.
 * 4. Decide each command in order against the lane's working copy (planning.ts); a refusal writes nothing and
 *    never fails its neighbours. A batch that appends nothing is only answered against the newest state.
 * 5. Plan the events (planning.ts): ids from (cluster, command id, index), metadata, the hash chain; and fit the
 *    append to the store's limits (append-limits.ts): commands are taken in order while their events fit in one
 *    append, the rest are deferred to the next append (step 9); a command too large for any append fails alone
 *    with `AppendTooLarge`.
 * 6. Append with the expected revision the decisions were made on, and confirm by reading back (append.ts). A
 *    store that refuses the append as too large wrote nothing: its commands fail with `AppendTooLarge`.
 * 7. Commit: the plan becomes the engine's state (aggregate, chain head, command index), then fan out to
 *    listeners and inspection (notifications.ts): they only ever see durable events.
 * 8. Snapshot when one is due (snapshot-policy.ts); one that does not fit the store's limits is skipped.
 * 9. The deferred commands go back to the front of the lane's queue, in order, and are decided in its next batch
 *    against the state this append left (nothing is lost, none fails because of its neighbours).
 * Steps 3-8 run as one attempt, and the retry policy (append.ts) wraps the attempt: after a conflict, decisions
 * found stale, or an append with an unknown outcome, it backs off or reads the outcome back, catches the lane up
 * (catch-up.ts), and the batch is attempted again from step 3, within bounds (`TooManyConflicts`).
 *
 * Loading (loading.ts) takes the newest snapshot that passes every check, else replays the events; the read
 * methods live in read-models.ts.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { machineVersions } from '../../machines/index.js';
import type { AuditEntry, AuditFilter } from '../../projections/audit-trail.js';
import type { ClusterHealth } from '../../projections/health.js';
import type { NodesConfigurationDocument } from '../../projections/nodes-configuration.js';
import type { ObservedClusterStateJson } from '../../projections/observed-cluster-state.js';
import { type ClusterState, emptyClusterState } from '../domain/cluster-state.js';
import { type Command, type CommandType, OBSERVATION_COMMANDS, parseCommand } from '../domain/commands.js';
import { ClusterchartError, isClusterchartError } from '../domain/errors.js';
import { clusterStreamId, observationsStreamId } from '../domain/events.js';
import type { CommandResult } from '../domain/results.js';
import type { EventStore, RecordedEvent } from '../store/event-store.js';
import { openStore } from '../store/open-store.js';
import { appendPlan, type Retry, RetryPolicy } from './append.js';
import { catchUpOrFail, isStale } from './catch-up.js';
import { CommandIndex } from './command-index.js';
import { delay, type EngineContext, engineClosed } from './context.js';
import { answerFromHistory } from './idempotency.js';
import { type CommandJob, LaneScheduler, type LaneState, newLane, settle } from './lanes.js';
import { loadCluster } from './loading.js';
import { Notifications } from './notifications.js';
import { type EngineSettings, projectionCheckpointsOf, resolveSettings } from './options.js';
import { commitPlan, failPlan, planAppend, settlePlan } from './planning.js';
import type { AsOf } from './projection-runner.js';
import { ReadModels } from './read-models.js';
import { SnapshotPolicy } from './snapshot-policy.js';
import type { AppendedEvent, CommandInput as In, CommandOptions, Engine, EngineChange, EngineListener, EngineOptions, ExecuteInput } from './types.js';

export type { AppendedEvent, CommandOptions, Engine, EngineChange, EngineListener, EngineOptions, ExecuteInput } from './types.js';

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
  const settings = resolveSettings(options);
  const ownsStore = typeof options.store === 'string';
  const store = typeof options.store === 'string' ? await openStore(options.store) : options.store;
  const engine = new ClusterEngine(store, ownsStore, settings, projectionCheckpointsOf(options));
  try {
    await engine.load();
  } catch (error) {
    await engine.close().catch(() => undefined);
    throw error;
  }
  return engine;
}

/** What one attempt of a batch came to: every job answered, or why it must run again. */
type Attempt = 'answered' | Retry;

class ClusterEngine implements Engine {
  readonly cluster: string;
  readonly store: EventStore;
  readonly #ownsStore: boolean;
  readonly #settings: EngineSettings;
  readonly #machineVersions: Readonly<Record<string, number>> = machineVersions();
  readonly #ctx: EngineContext;
  readonly #snapLog: Logger;
  readonly #lanes: LaneScheduler;
  readonly #snapshots: SnapshotPolicy;
  readonly #notifications: Notifications;
  readonly #reads: ReadModels;
  #closing: Promise<void> | null = null;

  constructor(store: EventStore, ownsStore: boolean, settings: EngineSettings, projections: ReturnType<typeof projectionCheckpointsOf>) {
    const { cluster, logger } = settings;
    this.cluster = cluster;
    this.store = store;
    this.#ownsStore = ownsStore;
    this.#settings = settings;
    this.#ctx = {
      cluster,
      store,
      log: logger.child({ subsystem: 'engine', cluster }),
      clock: settings.clock,
      lanes: { cluster: newLane('cluster', clusterStreamId(cluster)), observations: newLane('observations', observationsStreamId(cluster)) },
      state: emptyClusterState(),
      index: new CommandIndex(),
      lastPosition: 0,
      fatal: null,
      closed: false,
    };
    this.#snapLog = logger.child({ subsystem: 'snapshots', cluster });
    this.#snapshots = new SnapshotPolicy(this.#ctx, settings.snapshotEvery, this.#machineVersions, this.#snapLog);
    this.#reads = new ReadModels(this.#ctx, { logger, deadAfterMs: settings.deadAfterMs, checkpoints: projections.checkpoints, ownsCheckpoints: projections.owned });
    this.#notifications = new Notifications(cluster, settings.inspect, () => this.#reads.state(), this.#ctx.log);
    this.#lanes = new LaneScheduler(this.#ctx.lanes, settings.maxBatchSize, {
      runBatch: (lane, jobs) => this.#runBatch(lane, jobs),
      catchUp: (lane) => this.#catchUp(lane),
    });
  }

  async load(): Promise<void> {
    const started = performance.now();
    const ctx = this.#ctx;
    const loaded = await loadCluster(ctx, this.#snapLog, this.#machineVersions);
    this.#snapshots.reset(loaded.tail);
    this.#notifications.announce(ctx.state);
    ctx.log.info(
      {
        store: this.store.url,
        revision: ctx.lanes.cluster.revision,
        observationsRevision: ctx.lanes.observations.revision,
        snapshotRevision: loaded.snapshotRevision,
        tailEvents: loaded.tail,
        commands: ctx.index.size,
        ms: Math.round(performance.now() - started),
      },
      'engine loaded',
    );
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

  // --- the flow of one command --------------------------------------------------------------------------------------

  /** Steps 1-2: validates a command and queues it on its lane; resolves with its outcome. */
  #submit(type: string, data: unknown, options: CommandOptions): Promise<CommandResult> {
    const ctx = this.#ctx;
    if (ctx.closed) return Promise.reject(engineClosed(this.cluster));
    if (ctx.fatal !== null) return Promise.reject(ctx.fatal);
    // 1. Validate.
    let command: Command;
    try {
      for (const [name, value] of Object.entries({ actor: options.actor, causationId: options.causationId, correlationId: options.correlationId })) {
        if (value !== undefined && typeof value !== 'string') {
          throw new ClusterchartError('InvalidInput', `${type}: ${name} must be a string.`, { type, path: name });
        }
      }
      command = parseCommand({ type, data, commandId: options.commandId ?? randomUUID() });
    } catch (error) {
      if (isClusterchartError(error)) ctx.log.info({ type, code: error.code, commandId: options.commandId ?? null }, 'command refused: invalid input');
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    // 2. Queue on the command's lane; the lane runs it in its next batch (`#runBatch`).
    const lane = OBSERVATION_COMMANDS.has(command.type) ? ctx.lanes.observations : ctx.lanes.cluster;
    return new Promise<CommandResult>((resolve, reject) => {
      const { causationId, correlationId } = options;
      this.#lanes.enqueue(lane, { kind: 'command', command, actor: options.actor ?? this.#settings.actor, causationId, correlationId, resolve, reject });
    });
  }

  /**
   * Steps 3-9 for one batch, with the retry policy wrapped around the attempt: a failed attempt is recovered from
   * (backoff, catch-up, read-back) and the batch attempted again. Settles every job the append answered and
   * resolves with the deferred ones (step 9), which the lane queues again; never throws.
   */
  async #runBatch(lane: LaneState, jobs: CommandJob[]): Promise<CommandJob[]> {
    const retries = new RetryPolicy(this.#ctx, lane, this.#settings.maxConflictRetries, (stale) => this.#refresh(stale));
    try {
      for (;;) {
        const attempt = await this.#attempt(lane, jobs, retries);
        if (attempt === 'answered' || (await retries.recover(attempt))) break;
      }
    } catch (error) {
      for (const job of jobs) job.outcome ??= { ok: false, error };
    }
    // 9. Hand back what did not fit in this append; everything else is answered now.
    const deferred = this.#deferred(lane, jobs);
    for (const job of jobs) if (job.outcome !== undefined) settle(this.#ctx.log, job);
    return deferred;
  }

  /**
   * The jobs of a batch left without an outcome: the ones planning deferred because they did not fit in the
   * append. Every attempt answers at least the batch's first job; a batch that answered none is an internal error
   * (settled as such rather than queued again forever).
   */
  #deferred(lane: LaneState, jobs: readonly CommandJob[]): CommandJob[] {
    const deferred = jobs.filter((job) => job.outcome === undefined);
    if (deferred.length === 0) return deferred;
    if (deferred.length === jobs.length) {
      for (const job of jobs) job.outcome = { ok: false, error: new Error('internal: a batch answered none of its commands') };
      return [];
    }
    this.#ctx.log.debug({ stream: lane.stream, answered: jobs.length - deferred.length, deferred: deferred.length }, 'batch split to fit the store limits');
    return deferred;
  }

  /** Steps 3-8, once: sets the outcome of every job, or returns why the batch must be attempted again. */
  async #attempt(lane: LaneState, jobs: readonly CommandJob[], retries: RetryPolicy): Promise<Attempt> {
    const ctx = this.#ctx;
    // 3. Answer from history the commands already recorded.
    await answerFromHistory(ctx, jobs);
    const open = jobs.filter((job) => job.outcome === undefined);
    if (open.length === 0) return 'answered';
    // Only commands history did not answer can run out of retries.
    const spent = retries.spent();
    if (spent !== null) {
      for (const job of open) job.outcome = { ok: false, error: spent.error };
      return 'answered';
    }
    // 4-5. Decide in order against the working copy; plan the accepted commands' events, as many as fit in one append.
    const plan = planAppend(ctx, lane, open);
    if (plan.envelopes.length === 0) {
      // Refusals and "nothing to change" must be judged against the newest state, not a stale copy.
      if (await isStale(ctx, lane)) return { kind: 'stale' };
      settlePlan(plan);
      return 'answered';
    }
    // 6. Append with the expected revision, confirmed by reading back; a refusal as too large is definite.
    const appended = await appendPlan(ctx, lane, plan, open.length);
    if (!appended.ok && 'tooLarge' in appended) {
      failPlan(plan, appended.tooLarge);
      return 'answered';
    }
    if (!appended.ok) return appended.retry;
    // 7. Commit and fan out; 8. snapshot when due.
    const events = commitPlan(ctx, lane, plan, appended.position);
    this.#afterDurable(lane, plan.envelopes.length, events, appended.position, 'this-engine');
    settlePlan(plan);
    return 'answered';
  }

  /** Fan-out (step 7) and snapshot policy (step 8) of every durable append, this engine's or another writer's. */
  #afterDurable(lane: LaneState, count: number, events: () => readonly AppendedEvent[], position: number, origin: EngineChange['origin']): void {
    this.#snapshots.count(count);
    this.#notifications.publish(lane, events, position, origin);
    this.#snapshots.maybeWrite();
  }

  #catchUp(lane: LaneState): Promise<RecordedEvent[]> {
    return catchUpOrFail(this.#ctx, lane, (...args) => this.#afterDurable(...args));
  }

  /** Catches a lane up before it decides again; observations also wait for the cluster lane they are judged against. */
  async #refresh(lane: LaneState): Promise<readonly RecordedEvent[]> {
    const events = await this.#catchUp(lane);
    if (lane.name === 'observations') await this.#lanes.sync(this.#ctx.lanes.cluster);
    return events;
  }

  // --- reads and lifecycle ------------------------------------------------------------------------------------------

  state(): ClusterState {
    return this.#reads.state();
  }

  observedClusterState(options: Readonly<{ asOf?: AsOf }> = {}): Promise<ObservedClusterStateJson> {
    return this.#reads.observedClusterState(options);
  }

  nodesConfiguration(): Promise<NodesConfigurationDocument> {
    return this.#reads.nodesConfiguration();
  }

  health(): Promise<ClusterHealth> {
    return this.#reads.health();
  }

  audit(filter: AuditFilter = {}): Promise<readonly AuditEntry[]> {
    return this.#reads.audit(filter);
  }

  subscribe(listener: EngineListener): () => void {
    return this.#notifications.subscribe(listener);
  }

  async refresh(): Promise<void> {
    await this.#lanes.sync(this.#ctx.lanes.cluster);
    await this.#lanes.sync(this.#ctx.lanes.observations);
  }

  snapshot(): Promise<number | null> {
    return this.#snapshots.write();
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#ctx.closed = true;
    while (this.#lanes.busy()) await delay(1);
    await this.#snapshots.final();
    this.#notifications.clear();
    await this.#reads.close();
    if (this.#ownsStore) await this.store.close();
    this.#ctx.log.debug({ revision: this.#ctx.lanes.cluster.revision }, 'engine closed');
  }
}
