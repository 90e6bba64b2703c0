/**
 * The example of docs/testing-your-rules.md, run as it is written there: a user's own door, an XState machine behind
 * a decider, tested with `DeciderSpecification`. The last test keeps the document and this file the same.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// example:start
import { setup } from 'xstate';
import { DeciderSpecification } from '../../src/testing/index.js';

// The rules: which moves a door allows.
const doorMachine = setup({
  types: { events: {} as { type: 'open' } | { type: 'close' } | { type: 'lock' } | { type: 'unlock' } },
}).createMachine({
  id: 'door',
  initial: 'closed',
  states: {
    open: { on: { close: 'closed' } },
    closed: { on: { open: 'open', lock: 'locked' } },
    locked: { on: { unlock: 'closed' } },
  },
});

type Status = 'open' | 'closed' | 'locked';
type DoorState = { status: Status; code: string | null };
type DoorCommand = { type: 'Open' } | { type: 'Close' } | { type: 'Lock'; code: string } | { type: 'Unlock'; code: string };
type DoorEvent =
  | { type: 'DoorOpened' }
  | { type: 'DoorClosed' }
  | { type: 'DoorLocked'; code: string }
  | { type: 'DoorUnlocked' };

class DoorError extends Error {
  constructor(readonly code: 'InvalidCode' | 'WrongCode' | 'NotAllowed', message: string) {
    super(message);
  }
}

/** The machine event each command asks for, and the status the door has once it happened. */
const MOVES = { Open: ['open', 'open'], Close: ['close', 'closed'], Lock: ['lock', 'locked'], Unlock: ['unlock', 'closed'] } as const;

// The decider: validates the command, asks the machine whether the move is allowed, records what happened.
const doorDecider = {
  initialState: (): DoorState => ({ status: 'closed', code: null }),
  decide(command: DoorCommand, state: DoorState): DoorEvent[] {
    if (command.type === 'Lock' && !/^\d{4}$/.test(command.code)) throw new DoorError('InvalidCode', 'a code has four digits');
    if (command.type === 'Unlock' && command.code !== state.code) throw new DoorError('WrongCode', 'that is not the code');
    const [move, after] = MOVES[command.type];
    if (!doorMachine.resolveState({ value: state.status }).can({ type: move })) {
      if (state.status === after) return []; // already so: nothing to record
      throw new DoorError('NotAllowed', `a ${state.status} door cannot ${move}`);
    }
    switch (command.type) {
      case 'Open':
        return [{ type: 'DoorOpened' }];
      case 'Close':
        return [{ type: 'DoorClosed' }];
      case 'Lock':
        return [{ type: 'DoorLocked', code: command.code }];
      case 'Unlock':
        return [{ type: 'DoorUnlocked' }];
    }
  },
  evolve(state: DoorState, event: DoorEvent): DoorState {
    switch (event.type) {
      case 'DoorOpened':
        return { ...state, status: 'open' };
      case 'DoorClosed':
        return { ...state, status: 'closed' };
      case 'DoorLocked':
        return { status: 'locked', code: event.code };
      case 'DoorUnlocked':
        return { status: 'closed', code: null };
    }
  },
};

// The specs.
const door = DeciderSpecification.for(doorDecider);

describe('a door', () => {
  it('opens when closed, and opening an open door records nothing', () => {
    door.given([]).when({ type: 'Open' }).then([{ type: 'DoorOpened' }]);
    door.given([{ type: 'DoorOpened' }]).when({ type: 'Open' }).thenNothingHappens();
  });

  it('locks with a four-digit code and unlocks with the same code only', () => {
    const locked = door.given([]).when({ type: 'Lock', code: '1234' }).then({ type: 'DoorLocked', code: '1234' });
    expect(locked.after).toEqual({ status: 'locked', code: '1234' });
    door.given([{ type: 'DoorLocked', code: '1234' }]).when({ type: 'Unlock', code: '1234' }).then([{ type: 'DoorUnlocked' }]);
    door.given([{ type: 'DoorLocked', code: '1234' }]).when({ type: 'Unlock', code: '0000' }).thenThrows('WrongCode');
  });

  it('refuses what the machine does not allow, and invalid data, each with its code', () => {
    door.given([{ type: 'DoorLocked', code: '1234' }]).when({ type: 'Open' }).thenThrows('NotAllowed');
    door.given([{ type: 'DoorOpened' }]).when({ type: 'Lock', code: '1234' }).thenThrows(DoorError, (e) => /open door/.test((e as Error).message));
    door.given([]).when({ type: 'Lock', code: 'abc' }).thenThrows('InvalidCode');
  });

  it('fails a spec whose expectation is wrong', () => {
    expect(() => door.given([]).when({ type: 'Open' }).then([{ type: 'DoorClosed' }])).toThrow(/the events differ/);
    expect(() => door.given([]).when({ type: 'Lock', code: 'abc' }).then([])).toThrow(/refused: InvalidCode/);
    expect(() => door.given([]).when({ type: 'Open' }).thenThrows('NotAllowed')).toThrow(/accepted with \[DoorOpened\]/);
  });
});
// example:end

describe('docs/testing-your-rules.md', () => {
  it('shows exactly the example above', () => {
    const region = (text: string) => text.slice(text.indexOf('// example:start\n') + 17, text.indexOf('// example:end'));
    const self = region(readFileSync(new URL(import.meta.url), 'utf8')).replace("'../../src/testing/index.js'", "'clusterchart/testing'");
    const doc = readFileSync(new URL('../../docs/testing-your-rules.md', import.meta.url), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(block).toBe(self);
  });
});
