/**
 * The slice of the engine the CLI uses, and how it is opened. Interim: the engine (src/engine/index.ts) is landing
 * in parallel; until it does, it is loaded by a computed specifier so that the CLI builds without it.
 */
import type { Logger } from 'pino';
import type { AuditEntry, AuditFilter } from '../../projections/audit-trail.js';
import type { ClusterHealth } from '../../projections/health.js';
import type { ObservedClusterStateView } from '../../projections/observed-cluster-state.js';
import type { ClusterState } from '../domain/cluster-state.js';
import type { CommandInput } from '../domain/commands.js';
import type { CommandResult } from '../domain/results.js';
import type { EventStore } from '../store/event-store.js';

export interface Engine {
  execute(input: CommandInput): Promise<CommandResult>;
  state(): ClusterState;
  observedClusterState(options?: { asOf?: number | Date }): Promise<ObservedClusterStateView>;
  health(): Promise<ClusterHealth>;
  audit(filter?: AuditFilter): Promise<readonly AuditEntry[]>;
  close(): Promise<void>;
}

export type EngineOptions = Readonly<{ store: EventStore; cluster: string; logger: Logger }>;

export async function createEngine(options: EngineOptions): Promise<Engine> {
  const specifier = '../engine/index.js';
  const engine = (await import(specifier)) as { createEngine(options: EngineOptions): Promise<Engine> };
  return engine.createEngine(options);
}
