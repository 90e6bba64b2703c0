/**
 * Given/when/then for the cluster decider (and for your own machines composed into it):
 *
 * ```ts
 * given(provision('prod'), register('a', ['log-server']))
 *   .when(command('SetStorageState', { node: 1, state: 'ReadWrite' }))
 *   .then('UnsafeTransition');
 * ```
 *
 * `given` takes a history: domain events (applied as recorded) and/or commands (decided in order; each must be
 * accepted). `when` takes the command under test. `then` takes one of
 * - an error code: the command must be refused with it (and therefore write nothing);
 * - a list of expected events: the decision must produce exactly that many events, each matching its expectation
 *   (an expectation lists only the fields it cares about; nested objects match the same way, arrays by length and
 *   element);
 * - `[]`: the command succeeds and writes nothing (`alreadyApplied: true`).
 *
 * Every `then` also checks, for free, what must hold for every decision: `decide` does not modify its input state,
 * it is deterministic, an accepted command's events fold the same way through `evolve` (immer) and `foldEvents`
 * (mutable), every recorded transition passes `verifyTransition`, and `resultOf` rebuilds the decision's result from
 * its events.
 */
import { AssertionError, deepStrictEqual } from 'node:assert/strict';
import { evolve, foldEvents } from '../decider/evolve.js';
import { type ClusterState, emptyClusterState } from '../domain/cluster-state.js';
import { type Command, type CommandInput, type CommandType, parseCommand } from '../domain/commands.js';
import { type Decision, decide, resultOf } from '../decider/decide.js';
import type { ErrorCode } from '../domain/errors.js';
import type { DomainEvent, DomainEventType } from '../domain/events.js';
import type { CommandResult } from '../domain/results.js';
import { verifyTransition } from '../decider/verify-transition.js';

/** A partial expectation: only the listed fields are compared. */
export type Expected<T> = T extends readonly (infer E)[]
  ? readonly Expected<E>[]
  : T extends object
    ? { readonly [K in keyof T]?: Expected<T[K]> }
    : T;

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
}>;

export type Given = Readonly<{
  /** The state the history folds to. */
  state: ClusterState;
  when(command: Command | CommandInput): When;
}>;

let counter = 0;

/**
 * Builds a command for a spec (validated by `parseCommand`, so ids may be written `3` or `'N3'`).
 *
 * @example
 * command('RegisterNode', { name: 'a', roles: ['worker'] })
 */
export function command<T extends CommandType>(type: T, data: unknown, commandId?: string): Command<T> {
  counter += 1;
  return parseCommand({ type, data, commandId: commandId ?? `spec-${type}-${counter}` }) as Command<T>;
}

const isEvent = (item: HistoryItem): item is DomainEvent => !('commandId' in item);

function toCommand(item: Command | CommandInput): Command {
  return parseCommand(item);
}

/** Decides `item` against `state` and requires acceptance (a refused `given` is a mistake in the spec). */
function applyGiven(state: ClusterState, item: HistoryItem, index: number): ClusterState {
  if (isEvent(item)) return foldEvents(state, [item]);
  const c = toCommand(item);
  const d = decide(state, c);
  if (!d.ok) {
    throw new AssertionError({ message: `given #${index + 1} (${c.type}) was refused: ${d.error.code}: ${d.error.message}` });
  }
  return foldEvents(state, d.events);
}

/**
 * Recursively checks that `actual` has every field of `expected` (arrays: same length, element-wise); throws an
 * AssertionError naming the first path that differs.
 *
 * @example
 * assertMatches(event, { type: 'NodeRegistered', data: { nodeId: 1 } });
 */
export function assertMatches(actual: unknown, expected: unknown, path = '$'): void {
  if (expected === undefined) return;
  if (expected === null || typeof expected !== 'object') {
    if (!Object.is(actual, expected)) {
      throw new AssertionError({ message: `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`, actual, expected });
    }
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      throw new AssertionError({ message: `${path}: expected ${expected.length} item(s), got ${JSON.stringify(actual)}`, actual, expected });
    }
    expected.forEach((e, i) => assertMatches(actual[i], e, `${path}[${i}]`));
    return;
  }
  if (actual === null || typeof actual !== 'object') {
    throw new AssertionError({ message: `${path}: expected an object, got ${JSON.stringify(actual)}`, actual, expected });
  }
  for (const [key, value] of Object.entries(expected)) {
    assertMatches((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
  }
}

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
      const c = toCommand(input);
      return {
        then(expected) {
          const decision = decide(state, c);
          const after = invariants(state, c, decision);
          if (typeof expected === 'string') {
            if (decision.ok) {
              throw new AssertionError({
                message: `${c.type}: expected refusal ${expected}, but it was accepted with [${decision.events.map((e) => e.type).join(', ')}]`,
              });
            }
            if (decision.error.code !== expected) {
              throw new AssertionError({
                message: `${c.type}: expected refusal ${expected}, got ${decision.error.code}: ${decision.error.message}`,
                actual: decision.error.code,
                expected,
              });
            }
          } else {
            if (!decision.ok) {
              throw new AssertionError({ message: `${c.type} was refused: ${decision.error.code}: ${decision.error.message}` });
            }
            const types = decision.events.map((e) => e.type);
            if (types.length !== expected.length) {
              throw new AssertionError({
                message: `${c.type}: expected ${expected.length} event(s) [${expected.map((e) => e.type).join(', ')}], got [${types.join(', ')}]`,
              });
            }
            expected.forEach((e, i) => assertMatches(decision.events[i], e, `events[${i}]`));
            if (decision.result.alreadyApplied !== (decision.events.length === 0)) {
              throw new AssertionError({ message: `${c.type}: alreadyApplied must be true exactly when nothing is written` });
            }
          }
          return {
            before: state,
            decision,
            after,
            events: decision.ok ? decision.events : [],
            get result(): CommandResult {
              if (!decision.ok) throw new AssertionError({ message: `${c.type} was refused (${decision.error.code}); it has no result` });
              return decision.result;
            },
          };
        },
      };
    },
  };
}
