/**
 * The read models operators read — ObservedClusterState and health — folded by the projection runner from the
 * store (no engine needed, nothing written), and handed out as plain JSON data (no Map, no Set).
 *
 * Liveness is judged at an instant the caller gives: "now" for the live state, the as-of time for time travel by
 * time, or the recorded time of the event at an as-of position.
 */
import type { Logger } from 'pino';
import { type ClusterHealth, clusterHealth } from '../../../projections/health.js';
import { type NodesConfigurationDocument, nodesConfiguration, nodesConfigurationProjection } from '../../../projections/nodes-configuration.js';
import {
  DEFAULT_DEAD_AFTER_MS,
  type ObservedClusterStateJson,
  type ObservedClusterStateView,
  observedClusterState,
  observedClusterStateProjection,
  observedClusterStateToJson,
} from '../../../projections/observed-cluster-state.js';
import type { Projection } from '../../../projections/projection.js';
import { clusterStreamId, observationsStreamId } from '../../domain/events.js';
import type { EventStore } from '../../store/event-store.js';
import type { ProjectionCheckpoints } from '../../store/projection-checkpoints.js';
import { type AsOf, createProjectionRunner, type ProjectionRunner } from '../projection-runner.js';
import { timeAtPosition } from './history.js';

/**
 * What a read needs folded: the observed state alone, the nodes configuration alone, or health (both). A process
 * that only observes never folds the rest.
 */
export type ReadModelName = 'observed' | 'nodes' | 'health';

const PROJECTIONS: Readonly<Record<ReadModelName, readonly Projection<unknown>[]>> = {
  observed: [observedClusterStateProjection],
  nodes: [nodesConfigurationProjection],
  health: [observedClusterStateProjection, nodesConfigurationProjection],
};

export type ReadModelsOptions = Readonly<{
  store: EventStore;
  cluster: string;
  logger?: Logger;
  /** Liveness window: a node not heard from for longer is dead. Default `DEFAULT_DEAD_AFTER_MS`. */
  deadAfterMs?: number;
  /** Where the folds keep their checkpoints (default: in memory, rebuilt on the first read). */
  checkpoints?: ProjectionCheckpoints;
  /**
   * The position every read must include. Default: the last event of the cluster's streams in the store. An engine
   * passes the last position it wrote or read (read-your-writes without a store read).
   */
  lastPosition?: () => number;
}>;

/**
 * The read models of one cluster. Each kind of model folds its projections once, on first use, then follows new
 * events; every read first waits until the fold has reached the last event of the cluster's streams
 * (read-your-writes for a writer in the same process).
 */
export class ReadModels {
  readonly #options: ReadModelsOptions;
  readonly #runners = new Map<ReadModelName, Promise<ProjectionRunner>>();

  constructor(options: ReadModelsOptions) {
    this.#options = options;
  }

  async #runner(name: ReadModelName): Promise<ProjectionRunner> {
    let runner = this.#runners.get(name);
    if (runner === undefined) {
      const { store, cluster, logger, checkpoints } = this.#options;
      runner = createProjectionRunner({ store, cluster, logger, projections: PROJECTIONS[name], ...(checkpoints === undefined ? {} : { checkpoints }) });
      this.#runners.set(name, runner);
    }
    const ready = await runner;
    await ready.waitFor(await this.#lastPosition());
    return ready;
  }

  /** Position of the last event of the cluster's streams (0 when there is none). */
  async #lastPosition(): Promise<number> {
    const { store, cluster, lastPosition } = this.#options;
    if (lastPosition !== undefined) return lastPosition();
    let last = 0;
    for (const stream of [clusterStreamId(cluster), observationsStreamId(cluster)]) {
      for await (const event of store.readStream(stream, { direction: 'backwards', maxCount: 1 })) last = Math.max(last, event.position);
    }
    return last;
  }

  async #observedView(now: Date): Promise<ObservedClusterStateView> {
    const runner = await this.#runner('observed');
    return observedClusterState(runner.get(observedClusterStateProjection), { now, deadAfter: this.#deadAfter() });
  }

  #deadAfter(): number {
    return this.#options.deadAfterMs ?? DEFAULT_DEAD_AFTER_MS;
  }

  /** ObservedClusterState judged at `now`. */
  async observed(now: Date): Promise<ObservedClusterStateJson> {
    return observedClusterStateToJson(await this.#observedView(now));
  }

  /**
   * ObservedClusterState as it was at a position (inclusive) or a time: time travel over the whole history, judged
   * at that time (or at the recorded time of the event at that position).
   */
  async observedAsOf(at: AsOf): Promise<ObservedClusterStateJson> {
    const { store, cluster, logger } = this.#options;
    // A runner that is never started folds nothing live: asOf reads the history itself.
    const runner = (await this.#runners.get('observed')) ?? (await createProjectionRunner({ store, cluster, logger, projections: [] }));
    try {
      const facts = await runner.asOf(observedClusterStateProjection, at);
      const now = at instanceof Date ? at : await timeAtPosition(store, facts.position);
      return observedClusterStateToJson(observedClusterState(facts, { now, deadAfter: this.#deadAfter() }));
    } finally {
      if (!this.#runners.has('observed')) await runner.stop();
    }
  }

  /** Metadata quorum and log replication, judged at `now`, with reasons an operator can act on. */
  async health(now: Date): Promise<ClusterHealth> {
    const runner = await this.#runner('health');
    const observed = observedClusterState(runner.get(observedClusterStateProjection), { now, deadAfter: this.#deadAfter() });
    return clusterHealth(runner.get(nodesConfigurationProjection).cluster, observed);
  }

  /** The nodes configuration document (every node ever registered, tombstones included). */
  async nodesConfiguration(): Promise<NodesConfigurationDocument> {
    return nodesConfiguration((await this.#runner('nodes')).get(nodesConfigurationProjection));
  }

  /** Stops every fold. Does not close the store. */
  async close(): Promise<void> {
    const runners = [...this.#runners.values()];
    this.#runners.clear();
    for (const runner of runners) await (await runner.catch(() => null))?.stop();
  }
}
