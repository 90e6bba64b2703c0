/**
 * The engine's read methods: the aggregate as callers see it, and the read models served by the projections
 * (observed cluster state, NodesConfiguration, health, audit trail). The projection runner starts on the first
 * projection read, so that loading the engine never waits for a projection rebuild, and every read waits until
 * the projections include this engine's last durable write (read-your-writes).
 */
import type { Logger } from 'pino';
import { type AuditEntry, type AuditFilter, auditEntries, auditTrailProjection } from '../../projections/audit-trail.js';
import { type ClusterHealth, clusterHealth } from '../../projections/health.js';
import { type NodesConfigurationDocument, nodesConfiguration, nodesConfigurationProjection } from '../../projections/nodes-configuration.js';
import {
  type ObservedClusterStateView,
  observedClusterState,
  observedClusterStateProjection,
} from '../../projections/observed-cluster-state.js';
import type { ClusterState } from '../domain/cluster-state.js';
import type { ProjectionCheckpoints } from '../store/projection-checkpoints.js';
import { type EngineContext, engineClosed } from './context.js';
import { type AsOf, type ProjectionRunner, createProjectionRunner } from './projection-runner.js';
import { publicState } from './working-state.js';

export type ReadModelOptions = Readonly<{
  /** The root logger (the runner logs as the `projections` subsystem). */
  logger: Logger;
  deadAfterMs: number;
  checkpoints: ProjectionCheckpoints | undefined;
  /** Close `checkpoints` with the engine (the engine opened them). */
  ownsCheckpoints: boolean;
}>;

export class ReadModels {
  readonly #ctx: EngineContext;
  readonly #options: ReadModelOptions;
  /** The frozen copy `state()` hands out, made at most once per committed state. */
  #public: { source: ClusterState; state: ClusterState } | null = null;
  /** Started on the first projection read. */
  #projections: Promise<ProjectionRunner> | null = null;

  constructor(ctx: EngineContext, options: ReadModelOptions) {
    this.#ctx = ctx;
    this.#options = options;
  }

  state(): ClusterState {
    const committed = this.#ctx.state;
    if (this.#public?.source !== committed) this.#public = { source: committed, state: publicState(committed) };
    return this.#public.state;
  }

  async observedClusterState(options: Readonly<{ asOf?: AsOf }> = {}): Promise<ObservedClusterStateView> {
    const runner = await this.#runner();
    const facts = options.asOf === undefined ? runner.get(observedClusterStateProjection) : await runner.asOf(observedClusterStateProjection, options.asOf);
    const now = options.asOf instanceof Date ? options.asOf : this.#ctx.clock();
    return observedClusterState(facts, { now, deadAfter: this.#options.deadAfterMs });
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

  /** Stops the projection runner (if it started) and closes the checkpoints the engine opened. */
  async close(): Promise<void> {
    if (this.#projections !== null) {
      const runner = await this.#projections.catch(() => null);
      await runner?.stop();
    }
    if (this.#options.ownsCheckpoints) await this.#options.checkpoints?.close();
  }

  async #runner(): Promise<ProjectionRunner> {
    const ctx = this.#ctx;
    if (ctx.closed) throw engineClosed(ctx.cluster);
    const { checkpoints } = this.#options;
    this.#projections ??= createProjectionRunner({
      store: ctx.store,
      cluster: ctx.cluster,
      projections: [observedClusterStateProjection, nodesConfigurationProjection, auditTrailProjection],
      logger: this.#options.logger.child({ subsystem: 'projections', cluster: ctx.cluster }),
      ...(checkpoints === undefined ? {} : { checkpoints }),
    });
    const runner = await this.#projections;
    await runner.waitFor(ctx.lastPosition);
    return runner;
  }
}
