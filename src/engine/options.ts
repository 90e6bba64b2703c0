/**
 * `EngineOptions` checked and completed with their defaults. The settings are resolved before the store is opened
 * (a bad option opens nothing); the projection checkpoints after it (their default lives in the store's file).
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import { DEFAULT_DEAD_AFTER_MS } from '../../projections/observed-cluster-state.js';
import { ClusterchartError } from '../domain/errors.js';
import type { EventStore } from '../store/event-store.js';
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

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const hasFunctions = (value: unknown, names: readonly string[]): boolean =>
  isObject(value) && names.every((name) => typeof value[name] === 'function');
const wholeNumber = (min: number) => z.number().int().min(min).max(Number.MAX_SAFE_INTEGER);

/** One rule per option: its schema and, for the message, what it accepts. An absent (undefined) option takes its default. */
type OptionRule = Readonly<{ schema: z.ZodType; allowed: string }>;

const OPTION_RULES: Readonly<Record<keyof EngineOptions, OptionRule>> = {
  store: {
    schema: z.union([
      z.string().min(1),
      z.custom<EventStore>((value) => hasFunctions(value, ['appendToStream', 'readStream', 'readAll', 'subscribeToAll', 'streamRevision', 'close'])),
    ]),
    allowed: 'an open EventStore or a store URL such as "sqlite:./cluster.db" or "memory:"',
  },
  cluster: {
    schema: z.string().regex(CLUSTER_NAME),
    allowed: '1-128 letters, digits, ".", "_" or "-", starting with a letter or digit',
  },
  logger: {
    schema: z.custom<Logger>((value) => hasFunctions(value, ['child', 'debug', 'info', 'warn', 'error'])),
    allowed: 'a pino logger (child, debug, info, warn and error methods)',
  },
  clock: { schema: z.custom<() => Date>((value) => typeof value === 'function'), allowed: 'a function returning a Date' },
  inspect: {
    schema: z.custom<InspectTarget>(
      (value) => typeof value === 'function' || hasFunctions(value, ['next']) || (isObject(value) && hasFunctions(value.inspect, ['next'])),
    ),
    allowed: 'a function, an observer with next(), or an inspector with inspect.next()',
  },
  snapshotEvery: { schema: z.union([wholeNumber(1), z.literal(false)]), allowed: 'a whole number >= 1, or false (never)' },
  maxConflictRetries: { schema: wholeNumber(0), allowed: 'a whole number >= 0' },
  maxBatchSize: { schema: wholeNumber(1), allowed: 'a whole number >= 1' },
  actor: { schema: z.string().min(1), allowed: 'a non-empty string' },
  deadAfterMs: { schema: wholeNumber(1), allowed: 'a whole number of milliseconds >= 1' },
  projectionCheckpoints: {
    schema: z.custom<ProjectionCheckpoints>((value) => hasFunctions(value, ['load', 'save', 'delete', 'close'])),
    allowed: 'a ProjectionCheckpoints (load, save, delete and close methods)',
  },
};

const OPTION_NAMES = Object.keys(OPTION_RULES);
const REQUIRED: ReadonlySet<string> = new Set(['store', 'cluster']);

/** A value as an operator reads it in a message (functions and objects by kind; NaN and Infinity as such). */
function shown(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

/**
 * Checks every option against its rule (the one place engine options are validated). Throws `InvalidInput` naming
 * the first bad option and what it accepts; `context.option` names it too. Unknown option names are refused (a
 * misspelt option would otherwise be silently ignored).
 */
export function validateOptions(options: unknown): asserts options is EngineOptions {
  if (!isObject(options) || Array.isArray(options)) {
    throw new ClusterchartError('InvalidInput', `createEngine expects an options object ({ store, cluster, ... }), got ${shown(options)}.`);
  }
  for (const name of Object.keys(options)) {
    if (!(name in OPTION_RULES)) {
      throw new ClusterchartError('InvalidInput', `Unknown engine option "${name}": the options are ${OPTION_NAMES.join(', ')}.`, { option: name });
    }
  }
  for (const [name, rule] of Object.entries(OPTION_RULES)) {
    const value = options[name];
    if (value === undefined) {
      if (!REQUIRED.has(name)) continue;
      throw new ClusterchartError('InvalidInput', `The engine option ${name} is required: ${rule.allowed}.`, { option: name });
    }
    if (!rule.schema.safeParse(value).success) {
      throw new ClusterchartError('InvalidInput', `The engine option ${name} must be ${rule.allowed}; got ${shown(value)}.`, { option: name });
    }
  }
}

/**
 * The settings `options` ask for, defaults filled in. Throws `InvalidInput` (see `validateOptions`) before anything
 * is opened.
 */
export function resolveSettings(options: EngineOptions): EngineSettings {
  validateOptions(options);
  return {
    cluster: options.cluster,
    logger: options.logger ?? createDefaultLogger(),
    clock: options.clock ?? (() => new Date()),
    inspect: options.inspect,
    snapshotEvery: options.snapshotEvery ?? 1000,
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
