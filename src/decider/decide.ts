/**
 * The pure cluster decider: `decide(state, command)` judges one command against one consistent cluster state (the
 * role Restate's compare-and-set NodesConfiguration plays) and returns the events to append, or a typed refusal.
 * `evolve` (in `evolve.ts`) applies them.
 *
 * The rules live one file per machine or command group, each readable top to bottom; `RULES` below says which
 * function judges which command. Every role transition is asked of its statechart (`move` in `outcome.ts`): a machine
 * that does not accept the input IS the refusal, and the accepted transition is recorded (machine, node, from, to,
 * input, forced). Cross-node facts a guard needs (removal checks, "nodesets stay satisfiable", "was a previous
 * member") are computed by the rule and put into the input, so `verify` can re-run each recorded transition on its own.
 *
 * Rules: never throws for a domain refusal; never reads the clock or randomness (time arrives in command payloads);
 * a refusal produces no events; a command whose effect is already the state succeeds with no events and
 * `alreadyApplied: true`. A concurrent writer surfaces as `WrongExpectedVersion` in the engine, which re-decides
 * against the new state.
 */
import type { ClusterState } from '../domain/cluster-state.js';
import type { Command, CommandData, CommandType } from '../domain/commands.js';
import { ClusterchartError } from '../domain/errors.js';
import type { DomainEvent } from '../domain/events.js';
import type { CommandResult } from '../domain/results.js';
import { provisionCluster, setDefaultLogProvider } from './cluster.js';
import { importLegacy } from './legacy-import.js';
import { provisionLogServer, setStorageState, startLogServer } from './log-server.js';
import { createLogSegment, sealLogSegment } from './logs.js';
import { joinMetadataCluster, removeMetadataMember } from './metadata.js';
import { registerNode, removeNodes } from './nodes.js';
import { recordHeartbeat, recordUnreachable } from './observations.js';
import { type Outcome, type ProvisionedState, refuse } from './outcome.js';
import { resultOf } from './results.js';
import { setWorkerState } from './worker.js';

export { DEFAULT_CLUSTER_CONFIG } from './cluster.js';
export { resultOf } from './results.js';

export type Decision<T extends CommandType = CommandType> =
  | Readonly<{ ok: true; events: readonly DomainEvent[]; result: CommandResult<T> }>
  | Readonly<{ ok: false; error: ClusterchartError }>;

/** The commands that run on a cluster without configuration; every other one is refused with NotProvisioned. */
type Unprovisioned = 'ProvisionCluster' | 'ImportLegacyConfiguration';

type Rules = {
  [K in CommandType]: (state: K extends Unprovisioned ? ClusterState : ProvisionedState, data: CommandData[K]) => Outcome;
};

/** Which rule judges each command. Exhaustive: a new command fails to compile until it has a rule. */
const RULES: Rules = {
  ProvisionCluster: provisionCluster,
  ImportLegacyConfiguration: importLegacy,
  SetDefaultLogProvider: setDefaultLogProvider,
  RegisterNode: registerNode,
  RemoveNodes: removeNodes,
  JoinMetadataCluster: joinMetadataCluster,
  RemoveMetadataMember: removeMetadataMember,
  ProvisionLogServer: provisionLogServer,
  StartLogServer: startLogServer,
  SetStorageState: setStorageState,
  SetWorkerState: setWorkerState,
  CreateLogSegment: createLogSegment,
  SealLogSegment: sealLogSegment,
  RecordHeartbeat: recordHeartbeat,
  RecordUnreachable: recordUnreachable,
};

const runsUnprovisioned = (type: CommandType): type is Unprovisioned =>
  type === 'ProvisionCluster' || type === 'ImportLegacyConfiguration';

/**
 * Judges a command against one consistent state. Never throws for a domain refusal; never reads clock or randomness.
 *
 * @example
 * const d = decide(state, { type: 'RegisterNode', commandId: 'c1', data: { name: 'n1', roles: ['log-server'], address: '', autoJoin: true } });
 * if (d.ok) store.append(d.events); else console.error(d.error.code, d.error.message);
 */
export function decide<T extends CommandType>(state: ClusterState, command: Command<T>): Decision<T> {
  let outcome: Outcome;
  try {
    outcome = decideEvents(state, command as Command);
  } catch (error) {
    // Validation helpers (ids, nodeset selection) signal refusals by throwing a ClusterchartError.
    if (error instanceof ClusterchartError) return { ok: false, error };
    throw error;
  }
  if (!outcome.ok) return outcome;
  const result = resultOf(command, outcome.events, state, { alreadyApplied: outcome.events.length === 0 });
  return { ok: true, events: outcome.events, result };
}

function decideEvents(state: ClusterState, command: Command): Outcome {
  // One rule per command type; the table's type ties each rule to its command's data.
  const rule = RULES[command.type] as (state: ClusterState, data: Command['data']) => Outcome;
  if (runsUnprovisioned(command.type) || state.config !== null) return rule(state, command.data);
  return refuse(
    'NotProvisioned',
    `The cluster has not been provisioned yet, so ${command.type} cannot run: provision it first (ProvisionCluster / ` +
      '`clusterchart provision`), or import a legacy configuration.',
    { command: command.type },
  );
}
