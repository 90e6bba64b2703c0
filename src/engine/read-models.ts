/**
 * The engine's read methods: the aggregate as callers see it, and the read models of the library's read side
 * (`read/read-models.ts`: observed cluster state, NodesConfiguration, health; `read/audit.ts`: the audit trail),
 * handed out as plain JSON data. The folds start on the first read, so loading the engine never waits for a
 * projection rebuild, and every read includes this engine's last durable write (read-your-writes).
 */
import type { Logger } from 'pino';
import type { AuditEntry, AuditFilter } from '../../projections/audit-trail.js';
import type { ClusterHealth } from '../../projections/health.js';
import type { NodesConfigurationDocument } from '../../projections/nodes-configuration.js';
import type { ObservedClusterStateJson } from '../../projections/observed-cluster-state.js';
import type { ClusterState } from '../domain/cluster-state.js';
import type { ProjectionCheckpoints } from '../store/projection-checkpoints.js';
import { type EngineContext, engineClosed } from './context.js';
import type { AsOf } from './projection-runner.js';
import { audit } from './read/audit.js';
import { ReadModels as LibraryReadModels } from './read/read-models.js';
import { publicState } from './working-state.js';

export type ReadModelOptions = Readonly<{
  /** The root logger (the folds log as the `projections` subsystem). */
  logger: Logger;
  deadAfterMs: number;
  checkpoints: ProjectionCheckpoints | undefined;
  /** Close `checkpoints` with the engine (the engine opened them). */
  ownsCheckpoints: boolean;
}>;

export class ReadModels {
  readonly #ctx: EngineContext;
  readonly #options: ReadModelOptions;
  readonly #models: LibraryReadModels;
  /** The frozen copy `state()` hands out, made at most once per committed state. */
  #public: { source: ClusterState; state: ClusterState } | null = null;

  constructor(ctx: EngineContext, options: ReadModelOptions) {
    this.#ctx = ctx;
    this.#options = options;
    this.#models = new LibraryReadModels({
      store: ctx.store,
      cluster: ctx.cluster,
      logger: options.logger.child({ subsystem: 'projections', cluster: ctx.cluster }),
      deadAfterMs: options.deadAfterMs,
      ...(options.checkpoints === undefined ? {} : { checkpoints: options.checkpoints }),
      lastPosition: () => ctx.lastPosition,
    });
  }

  state(): ClusterState {
    const committed = this.#ctx.state;
    if (this.#public?.source !== committed) this.#public = { source: committed, state: publicState(committed) };
    return this.#public.state;
  }

  async observedClusterState(options: Readonly<{ asOf?: AsOf }> = {}): Promise<ObservedClusterStateJson> {
    this.#open();
    return options.asOf === undefined ? this.#models.observed(this.#ctx.clock()) : this.#models.observedAsOf(options.asOf);
  }

  async nodesConfiguration(): Promise<NodesConfigurationDocument> {
    this.#open();
    return this.#models.nodesConfiguration();
  }

  async health(): Promise<ClusterHealth> {
    this.#open();
    return this.#models.health(this.#ctx.clock());
  }

  async audit(filter: AuditFilter = {}): Promise<readonly AuditEntry[]> {
    this.#open();
    return audit(this.#ctx.store, this.#ctx.cluster, filter);
  }

  /** Stops the folds (if any started) and closes the checkpoints the engine opened. */
  async close(): Promise<void> {
    await this.#models.close();
    if (this.#options.ownsCheckpoints) await this.#options.checkpoints?.close();
  }

  #open(): void {
    if (this.#ctx.closed) throw engineClosed(this.#ctx.cluster);
  }
}
