/**
 * The pure cluster decider: `decide(state, command)` and `evolve(state, event)` over the whole cluster aggregate.
 * (Being implemented: the signatures below are the contract the engine codes against.)
 */
import type { ClusterState } from './cluster-state.js';
import type { Command, CommandType } from './commands.js';
import type { ClusterchartError } from './errors.js';
import type { DomainEvent } from './events.js';
import type { CommandResult } from './results.js';

export type Decision<T extends CommandType = CommandType> =
  | Readonly<{ ok: true; events: readonly DomainEvent[]; result: CommandResult<T> }>
  | Readonly<{ ok: false; error: ClusterchartError }>;

/** Judges a command against one consistent state. Never throws for a domain refusal; never reads clock or randomness. */
export function decide<T extends CommandType>(_state: ClusterState, _command: Command<T>): Decision<T> {
  throw new Error('decide: not implemented yet');
}

/** Applies one recorded event by reading its recorded to-states (no machine runs). Throws on invalid history. */
export function evolve(_state: ClusterState, _event: DomainEvent, _position?: number): ClusterState {
  throw new Error('evolve: not implemented yet');
}
