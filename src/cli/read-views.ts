/**
 * The read side of the CLI: ObservedClusterState, health and the audit trail, folded by the projection runner from
 * the store (no engine needed, nothing written). Liveness is judged at a time the caller gives: the clock (or
 * --at) for "now", the as-of time for time travel, or the time of the last event folded for an as-of position.
 */
import type { Logger } from 'pino';
import { type AuditEntry, type AuditFilter, auditEntries, auditTrailProjection } from '../../projections/audit-trail.js';
import { type ClusterHealth, clusterHealth } from '../../projections/health.js';
import { nodesConfigurationProjection } from '../../projections/nodes-configuration.js';
import { type ObservedClusterStateView, observedClusterState, observedClusterStateProjection } from '../../projections/observed-cluster-state.js';
import type { Projection } from '../../projections/projection.js';
import type { EventStore } from '../store/event-store.js';
import { createProjectionRunner, type ProjectionRunner } from '../engine/projection-runner.js';

/** What a command reads; only the projections it needs are folded. */
export type ViewName = 'observed' | 'health' | 'audit';

export interface ReadViews {
  /** ObservedClusterState judged at `now`. */
  observed(now: Date): ObservedClusterStateView;
  /** ObservedClusterState as it was at a position (inclusive) or a time: time travel over the whole history. */
  observedAsOf(at: number | Date): Promise<ObservedClusterStateView>;
  health(now: Date): ClusterHealth;
  audit(filter?: AuditFilter): readonly AuditEntry[];
  close(): Promise<void>;
}

const PROJECTIONS: Readonly<Record<ViewName, readonly Projection<unknown>[]>> = {
  observed: [observedClusterStateProjection],
  health: [observedClusterStateProjection, nodesConfigurationProjection],
  audit: [auditTrailProjection],
};

/**
 * Folds the cluster's streams once into the projections `views` need (the runner catches up, then is stopped by
 * `close`). Reading a view that was not asked for throws.
 *
 * @example
 * const views = await openReadViews(store, 'prod', logger, ['health']);
 * try { console.log(views.health(new Date()).healthy); } finally { await views.close(); }
 */
export async function openReadViews(store: EventStore, cluster: string, logger: Logger, views: readonly ViewName[]): Promise<ReadViews> {
  const runner: ProjectionRunner = await createProjectionRunner({
    store,
    cluster,
    logger,
    projections: [...new Set(views.flatMap((view) => PROJECTIONS[view]))],
  });
  const observed = (now: Date) => observedClusterState(runner.get(observedClusterStateProjection), { now });
  return {
    observed,
    async observedAsOf(at) {
      const facts = await runner.asOf(observedClusterStateProjection, at);
      return observedClusterState(facts, { now: at instanceof Date ? at : await timeAt(store, facts.position) });
    },
    health: (now) => clusterHealth(runner.get(nodesConfigurationProjection).cluster, observed(now)),
    audit: (filter = {}) => auditEntries(runner.get(auditTrailProjection), filter),
    close: () => runner.stop(),
  };
}

/** The recorded time of the event at a position (the instant an as-of position stands for); epoch before any event. */
async function timeAt(store: EventStore, position: number): Promise<Date> {
  if (position < 1) return new Date(0);
  for await (const event of store.readAll({ fromPosition: position, maxCount: 1 })) {
    const at = (event.metadata as { at?: unknown }).at;
    if (typeof at === 'string') return new Date(at);
  }
  return new Date(0);
}
