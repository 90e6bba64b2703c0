/**
 * `EngineOptions` checked and completed with their defaults. The settings are resolved before the store is opened
 * (a bad option opens nothing); the projection checkpoints after it (their default lives in the store's file).
 */
import type { Logger } from 'pino';
import { DEFAULT_DEAD_AFTER_MS } from '../../projections/observed-cluster-state.js';
import { ClusterchartError } from '../domain/errors.js';
import { type ProjectionCheckpoints, openProjectionCheckpoints } from '../store/projection-checkpoints.js';
import type { InspectTarget } from './inspection.js';
import { createDefaultLogger } from './logger.js';
import type { EngineOptions } from './types.js';

/** Every engine setting with its default filled in (the store and the projection checkpoints stay as given). */
export type EngineSettings = Readonly<{
  cluster: string;
  logger: Logger;
  clock: () => Date;
  inspect: InspectTarget | undefined;
  snapshotEvery: number | false;
  maxConflictRetries: number;
  maxBatchSize: number;
  actor: string | undefined;
  deadAfterMs: number;
}>;

const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function checkClusterName(cluster: unknown): asserts cluster is string {
  if (typeof cluster !== 'string' || !CLUSTER_NAME.test(cluster)) {
    throw new ClusterchartError(
      'InvalidInput',
      `Cluster name ${JSON.stringify(cluster)} is not valid: use 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit.`,
      { cluster: String(cluster) },
    );
  }
}

/** The settings `options` ask for, defaults filled in. Throws `InvalidInput` for a value no default can mend. */
export function resolveSettings(options: EngineOptions): EngineSettings {
  checkClusterName(options.cluster);
  const snapshotEvery = options.snapshotEvery === undefined ? 1000 : options.snapshotEvery;
  if (snapshotEvery !== false && (!Number.isInteger(snapshotEvery) || snapshotEvery < 1)) {
    throw new ClusterchartError('InvalidInput', `snapshotEvery must be a whole number >= 1 or false, got ${String(options.snapshotEvery)}.`);
  }
  return {
    cluster: options.cluster,
    logger: options.logger ?? createDefaultLogger(),
    clock: options.clock ?? (() => new Date()),
    inspect: options.inspect,
    snapshotEvery,
    maxConflictRetries: options.maxConflictRetries ?? 100,
    maxBatchSize: options.maxBatchSize ?? 2048,
    actor: options.actor,
    deadAfterMs: options.deadAfterMs ?? DEFAULT_DEAD_AFTER_MS,
  };
}

/**
 * Where projection checkpoints live: as given; else the store's own SQLite file when the store is given as a URL
 * (`owned`: the engine closes them), otherwise memory (projections are rebuilt on the first read after a start).
 */
export function projectionCheckpointsOf(options: EngineOptions): Readonly<{ checkpoints: ProjectionCheckpoints | undefined; owned: boolean }> {
  if (options.projectionCheckpoints !== undefined) return { checkpoints: options.projectionCheckpoints, owned: false };
  if (typeof options.store === 'string') return { checkpoints: openProjectionCheckpoints(options.store), owned: true };
  return { checkpoints: undefined, owned: false };
}
