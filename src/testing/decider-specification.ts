/**
 * Given/when/then for ANY decider: an object with `decide`, `evolve` and `initialState`, whatever its commands,
 * events and state. clusterchart's own decider specs (`given` in ./given-when-then.ts) are one instance of it; your
 * own rules (an XState machine behind a decider, a plain reducer) are another.
 *
 * ```ts
 * const spec = DeciderSpecification.for(doorDecider);
 * spec.given([{ type: 'DoorLocked' }]).when({ type: 'Open' }).thenThrows('DoorIsLocked');
 * spec.given([]).when({ type: 'Lock' }).then([{ type: 'DoorLocked' }]);
 * spec.given([{ type: 'DoorLocked' }]).when({ type: 'Lock' }).thenNothingHappens();
 * ```
 *
 * A refusal is an error thrown by `decide`, or by `when`'s command factory when the command is built there
 * (`when(() => parse(input))`): either way `thenThrows` catches it, so a command whose data is invalid is asserted
 * like any other refusal. Every assertion throws `AssertionError` (node:assert), so any test runner reports it.
 */
import { AssertionError, deepStrictEqual } from 'node:assert/strict';
import { assertMatches, type Expected } from './matching.js';

/** The decider shape the kit tests: `decide` returns the events of an accepted command and throws to refuse one. */
export type Decider<State, Command, Event> = Readonly<{
  decide(command: Command, state: State): Event | readonly Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
}>;

/** What an accepted command did: the state before, its events and the state they fold to. */
export type SpecOutcome<State, Event> = Readonly<{ before: State; events: readonly Event[]; after: State }>;

/** What a decision came to, handed to `SpecOptions.check`: its events, or the error that refused it. */
export type Decided<Event> = Readonly<{ ok: true; events: readonly Event[] }> | Readonly<{ ok: false; error: unknown }>;

export type SpecOptions<State, Command, Event> = Readonly<{
  /**
   * Runs on every decision before the `then...` assertion, accepted or refused: the place for properties every
   * decision of this decider must have (determinism, input not modified, ...). Throws to fail the spec.
   */
  check?: (before: State, command: Command, decided: Decided<Event>) => void;
  /** Names a command in failure messages (default: its `type` field, else JSON). */
  describe?: (command: Command) => string;
}>;

/**
 * What `thenThrows` accepts: an error code (compared with the error's `code` property), an error class, or a
 * predicate that returns false (or throws) when the error is not the expected one.
 */
export type ErrorCheck = string | (abstract new (...args: never[]) => unknown) | ((error: unknown) => boolean | void);

export type DeciderSpec<State, Command, Event> = Readonly<{
  /** Starts from the state `events` fold to (from `initialState()`). */
  given(events?: Event | readonly Event[]): GivenSpec<State, Command, Event>;
  /** Starts from a state built elsewhere (the `after` of an earlier outcome, a snapshot). */
  givenState(state: State): GivenSpec<State, Command, Event>;
}>;

export type GivenSpec<State, Command, Event> = Readonly<{
  /** The state the command will be decided against. */
  state: State;
  /**
   * The command under test, or a function building it: an error thrown while building it counts as the refusal.
   * (A command must therefore not itself be a function.)
   */
  when(command: Command | (() => Command)): WhenSpec<State, Event>;
}>;

export type WhenSpec<State, Event> = Readonly<{
  /** The command is accepted with exactly these events (deep equality, in order). */
  then(expected: Event | readonly Event[]): SpecOutcome<State, Event>;
  /**
   * The command is accepted with as many events as expected, each having the fields its expectation lists (nested
   * objects the same way, arrays by length and element).
   */
  thenMatches(expected: readonly Expected<Event>[]): SpecOutcome<State, Event>;
  /** The command is accepted and produces no event. */
  thenNothingHappens(): SpecOutcome<State, Event>;
  /** The command is refused with an error passing every check; returns the error. */
  thenThrows(...checks: readonly ErrorCheck[]): unknown;
}>;

const defaultDescribe = (command: unknown): string =>
  typeof command === 'object' && command !== null && typeof (command as { type?: unknown }).type === 'string'
    ? (command as { type: string }).type
    : JSON.stringify(command);

const listOf = <E>(events: E | readonly E[] | undefined): readonly E[] => (events === undefined ? [] : Array.isArray(events) ? (events as readonly E[]) : [events as E]);

const typesOf = (events: readonly unknown[]): string => `[${events.map(defaultDescribe).join(', ')}]`;

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${typeof code === 'string' ? `${code}: ` : ''}${error.message}`;
  }
  return String(error);
}

function checkError(name: string, error: unknown, check: ErrorCheck): void {
  if (typeof check === 'string') {
    const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
    if (code !== check) {
      throw new AssertionError({ message: `${name}: expected refusal ${check}, got ${errorText(error)}`, actual: code, expected: check });
    }
    return;
  }
  if (check.prototype instanceof Error || check === Error) {
    if (!(error instanceof (check as abstract new () => unknown))) {
      throw new AssertionError({ message: `${name}: expected a ${check.name}, got ${errorText(error)}` });
    }
    return;
  }
  if ((check as (error: unknown) => boolean | void)(error) === false) {
    throw new AssertionError({ message: `${name}: the refusal did not pass the check: ${errorText(error)}` });
  }
}

/**
 * Builds specs for one decider.
 *
 * @example
 * const spec = DeciderSpecification.for(doorDecider);
 * spec.given([{ type: 'DoorLocked' }]).when({ type: 'Unlock' }).then([{ type: 'DoorUnlocked' }]);
 */
function forDecider<State, Command, Event>(
  decider: Decider<State, Command, Event>,
  options: SpecOptions<State, Command, Event> = {},
): DeciderSpec<State, Command, Event> {
  const describe = options.describe ?? defaultDescribe;

  function givenState(state: State): GivenSpec<State, Command, Event> {
    return {
      state,
      when(input) {
        let decided: Decided<Event> | undefined;
        let name = 'the command';
        /** Decides once, lazily: the command is built and decided inside the `then...` that asserts on it. */
        const decide = (): Decided<Event> => {
          if (decided !== undefined) return decided;
          let command: Command;
          try {
            command = typeof input === 'function' ? (input as () => Command)() : input;
          } catch (error) {
            return (decided = { ok: false, error });
          }
          name = describe(command);
          try {
            decided = { ok: true, events: listOf(decider.decide(command, state)) };
          } catch (error) {
            decided = { ok: false, error };
          }
          options.check?.(state, command, decided);
          return decided;
        };
        const accepted = (): SpecOutcome<State, Event> => {
          const d = decide();
          if (!d.ok) throw new AssertionError({ message: `${name} was refused: ${errorText(d.error)}` });
          return { before: state, events: d.events, after: d.events.reduce(decider.evolve, state) };
        };
        const expectCount = (outcome: SpecOutcome<State, Event>, expected: readonly unknown[]): void => {
          if (outcome.events.length !== expected.length) {
            throw new AssertionError({
              message: `${name}: expected ${expected.length} event(s) ${typesOf(expected)}, got ${typesOf(outcome.events)}`,
            });
          }
        };
        return {
          then(expected) {
            const outcome = accepted();
            const list = listOf(expected);
            expectCount(outcome, list);
            deepStrictEqual(outcome.events, list, `${name}: the events differ`);
            return outcome;
          },
          thenMatches(expected) {
            const outcome = accepted();
            expectCount(outcome, expected);
            expected.forEach((e, i) => assertMatches(outcome.events[i], e, `events[${i}]`));
            return outcome;
          },
          thenNothingHappens() {
            const outcome = accepted();
            expectCount(outcome, []);
            return outcome;
          },
          thenThrows(...checks) {
            const d = decide();
            if (d.ok) {
              const what = checks.find((c): c is string => typeof c === 'string') ?? 'a refusal';
              throw new AssertionError({ message: `${name}: expected ${what}, but it was accepted with ${typesOf(d.events)}` });
            }
            for (const check of checks) checkError(name, d.error, check);
            return d.error;
          },
        };
      },
    };
  }

  return {
    given: (events) => givenState(listOf(events).reduce(decider.evolve, decider.initialState())),
    givenState,
  };
}

/** Given/when/then specifications for deciders (see the module comment). */
export const DeciderSpecification = { for: forDecider } as const;
