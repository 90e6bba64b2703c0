/**
 * Given/when/then for the cluster decider (and for your own machines composed into it): an instance of the generic
 * `DeciderSpecification` (./decider-specification.ts) over clusterchart's `decide` and `evolve`.
 *
 * ```ts
 * given(provision('prod'), register('a', ['log-server']))
 *   .when(command('SetStorageState', { node: 1, state: 'ReadWrite' }))
 *   .then('UnsafeTransition');
 * ```
 *
 * `given` takes a history: domain events (applied as recorded) and/or commands (decided in order; each must be
 * accepted). `when` takes the command under test. `then` takes one of
 * - an error code: the command must be refused with it (and therefore write nothing); a command whose data is
 *   invalid is refused with `InvalidInput` like any other refusal (`command()` defers the validation error);
 * - a list of expected events: the decision must produce exactly that many events, each matching its expectation
 *   (an expectation lists only the fields it cares about; nested objects match the same way, arrays by length and
 *   element);
 * - `[]`: the command succeeds and writes nothing (`alreadyApplied: true`).
 * `thenThrows(code)` and `thenNothingHappens()` say the same as `then(code)` and `then([])`.
 *
 * Every `then` also checks, for free, what must hold for every decision: `decide` does not modify its input state,
 * it is deterministic, an accepted command's events fold the same way through `evolve` (immer) and `foldEvents`
 * (mutable), every recorded transition passes `verifyTransition`, `alreadyApplied` is true exactly when nothing is
 * written, and `resultOf` rebuilds the decision's result from its events.
 */
import { AssertionError, deepStrictEqual } from 'node:assert/strict';
import { evolve, foldEvents } from '../decider/evolve.js';
import { type ClusterState, emptyClusterState } from '../domain/cluster-state.js';
import { type Command, type CommandInput, type CommandType, parseCommand } from '../domain/commands.js';
import { type Decision, decide, resultOf } from '../decider/decide.js';
import { ClusterchartError, type ErrorCode } from '../domain/errors.js';
import type { DomainEvent, DomainEventType } from '../domain/events.js';
import type { CommandResult } from '../domain/results.js';
import { verifyTransition } from '../decider/verify-transition.js';
import { type Decider, DeciderSpecification } from './decider-specification.js';
import { type Expected, assertMatches } from './matching.js';

export { assertMatches, type Expected };

/** An expected event: its type and the data fields the spec cares about. */
export type ExpectedEvent = { [K in DomainEventType]: Readonly<{ type: K; data?: Expected<DomainEvent<K>['data']> }> }[DomainEventType];

export type HistoryItem = DomainEvent | Command | CommandInput;

export type Outcome = Readonly<{
  /** The state the command was decided against. */
  before: ClusterState;
  decision: Decision;
  /** The state after the command's events (the `before` state when refused). */
  after: ClusterState;
  events: readonly DomainEvent[];
  /** The command's result; throws when the command was refused. */
  result: CommandResult;
}>;

export type When = Readonly<{
  then(expected: ErrorCode | readonly ExpectedEvent[]): Outcome;
  /** The command is refused with `code`. */
  thenThrows(code: ErrorCode): Outcome;
  /** The command is accepted and writes nothing (`alreadyApplied: true`). */
  thenNothingHappens(): Outcome;
}>;

export type Given = Readonly<{
  /** The state the history folds to. */
  state: ClusterState;
  when(command: Command | CommandInput): When;
}>;

/**
 * clusterchart's decider in the shape the generic kit tests: commands are validated (`parseCommand`) and decided;
 * a refusal is thrown as its `ClusterchartError`.
 */
export const clusterDecider: Decider<ClusterState, Command | CommandInput, DomainEvent> = {
  decide(input, state) {
    const decision = decide(state, parseCommand(input));
    if (!decision.ok) throw decision.error;
    return decision.events;
  },
  evolve,
  initialState: emptyClusterState,
};

let counter = 0;

/**
 * Builds a command for a spec (validated by `parseCommand`, so ids may be written `3` or `'N3'`). Invalid data does
 * not throw here: the command carries its validation error and throws it when used (its `data` is read), so
 * `given(...).when(command(...)).then('InvalidInput')` asserts the refusal.
 *
 * @example
 * command('RegisterNode', { name: 'a', roles: ['worker'] })
 */
export function command<T extends CommandType>(type: T, data: unknown, commandId?: string): Command<T> {
  counter += 1;
  const input = { type, data, commandId: commandId ?? `spec-${type}-${counter}` };
  try {
    return parseCommand(input) as Command<T>;
  } catch (error) {
    if (!(error instanceof ClusterchartError)) throw error;
    return Object.freeze({
      type,
      commandId: input.commandId,
      get data(): never {
        throw error;
      },
    });
  }
}

const isEvent = (item: HistoryItem): item is DomainEvent => !('commandId' in item);

/** Decides `item` against `state` and requires acceptance (a refused `given` is a mistake in the spec). */
function applyGiven(state: ClusterState, item: HistoryItem, index: number): ClusterState {
  if (isEvent(item)) return foldEvents(state, [item]);
  const c = parseCommand(item);
  const d = decide(state, c);
  if (!d.ok) {
    throw new AssertionError({ message: `given #${index + 1} (${c.type}) was refused: ${d.error.code}: ${d.error.message}` });
  }
  return foldEvents(state, d.events);
}

/** The properties every decision has; returns the state after it (the mutable fold). */
function invariants(before: ClusterState, c: Command, decision: Decision): ClusterState {
  const snapshot = JSON.stringify(before);
  const again = decide(before, c);
  deepStrictEqual(JSON.stringify(before), snapshot, `decide modified its input state (${c.type})`);
  deepStrictEqual(again, decision, `decide is not deterministic for ${c.type}`);
  if (!decision.ok) return before;
  const mutable = foldEvents(before, decision.events);
  const immutable = decision.events.reduce((s, e) => evolve(s, e), before);
  deepStrictEqual(immutable, mutable, `evolve and foldEvents disagree after ${c.type}`);
  for (const event of decision.events) {
    const problem = verifyTransition(event);
    if (problem !== null) throw new AssertionError({ message: `${c.type}: recorded transition does not verify: ${problem}` });
  }
  if (decision.result.alreadyApplied !== (decision.events.length === 0)) {
    throw new AssertionError({ message: `${c.type}: alreadyApplied must be true exactly when nothing is written` });
  }
  if (decision.events.length > 0) {
    deepStrictEqual(
      resultOf(c, decision.events, mutable, { alreadyApplied: false }),
      decision.result,
      `resultOf does not rebuild the result of ${c.type} from its events`,
    );
  }
  return mutable;
}

/**
 * Starts a decider spec from a history of events and/or commands.
 *
 * @example
 * given(command('ProvisionCluster', { clusterName: 'prod' }))
 *   .when(command('RegisterNode', { name: 'n1', roles: ['log-server'] }))
 *   .then([{ type: 'NodeRegistered', data: { nodeId: 1, generation: 1 } }]);
 */
export function given(...history: readonly HistoryItem[]): Given {
  const state = history.reduce<ClusterState>((s, item, i) => applyGiven(s, item, i), emptyClusterState());
  return givenState(state);
}

/**
 * Starts a spec from a state built elsewhere (a snapshot, or the state of an earlier outcome).
 *
 * @example
 * const first = given(provision).when(join(2)).then([{ type: 'MetadataConfigurationChanged' }, { type: 'MetadataServerStateChanged' }]);
 * givenState(first.after).when(join(2)).then([]);
 */
export function givenState(state: ClusterState): Given {
  return {
    state,
    when(input) {
      /** The decision the invariants checked, and the state after it; unset when the data did not validate. */
      let checked: { decision: Decision; after: ClusterState } | undefined;
      const spec = DeciderSpecification.for(clusterDecider, {
        check(before, raw) {
          let c: Command;
          try {
            c = parseCommand(raw);
          } catch {
            return; // refused before deciding: invalid data
          }
          const decision = decide(before, c);
          checked = { decision, after: invariants(before, c, decision) };
        },
      }).givenState(state);
      // A function, so that reading an invalid command's data happens inside the spec (and counts as its refusal).
      const when = spec.when(() => input);
      const outcome = (): Outcome => {
        const decision: Decision = checked?.decision ?? { ok: false, error: refusalOf(when) };
        return {
          before: state,
          decision,
          after: checked?.after ?? state,
          events: decision.ok ? decision.events : [],
          get result(): CommandResult {
            if (!decision.ok) throw new AssertionError({ message: `${input.type} was refused (${decision.error.code}); it has no result` });
            return decision.result;
          },
        };
      };
      return {
        then(expected) {
          if (typeof expected === 'string') when.thenThrows(expected);
          else if (expected.length === 0) when.thenNothingHappens();
          else when.thenMatches(expected);
          return outcome();
        },
        thenThrows(code) {
          when.thenThrows(code);
          return outcome();
        },
        thenNothingHappens() {
          when.thenNothingHappens();
          return outcome();
        },
      };
    },
  };
}

/** The validation error of a command refused before it was decided. */
function refusalOf(when: { thenThrows(): unknown }): ClusterchartError {
  const error = when.thenThrows();
  if (error instanceof ClusterchartError) return error;
  throw error;
}
