/** The kit itself: each `then...` passes what it should and fails, with a message naming why, what it should not. */
import { describe, expect, it } from 'vitest';
import { AssertionError } from 'node:assert/strict';
import { DeciderSpecification, command, given, wrapStore } from '../../src/testing/index.js';
import { createMemoryStore } from '../../src/store/memory.js';

type Counted = { type: 'Added'; by: number };
const counter = DeciderSpecification.for({
  initialState: () => 0,
  decide(command: { type: 'Add'; by: number }, total: number): Counted | Counted[] {
    if (!Number.isInteger(command.by)) throw Object.assign(new Error('not a whole number'), { code: 'NotWhole' });
    if (total + command.by > 10) throw new RangeError('over ten');
    return command.by === 0 ? [] : { type: 'Added', by: command.by };
  },
  evolve: (total: number, event: Counted) => total + event.by,
});

describe('DeciderSpecification', () => {
  it('folds the given events, decides lazily, and reports the outcome', () => {
    const spec = counter.given([{ type: 'Added', by: 3 }, { type: 'Added', by: 4 }]);
    expect(spec.state).toBe(7);
    expect(spec.when({ type: 'Add', by: 2 }).then([{ type: 'Added', by: 2 }])).toEqual({ before: 7, events: [{ type: 'Added', by: 2 }], after: 9 });
    expect(counter.givenState(9).when({ type: 'Add', by: 0 }).thenNothingHappens().after).toBe(9);
    counter.given().when({ type: 'Add', by: 1 }).thenMatches([{ type: 'Added' }]);
  });

  it('asserts refusals by code, class or predicate, including errors thrown while building the command', () => {
    counter.given().when({ type: 'Add', by: 1.5 }).thenThrows('NotWhole');
    counter.givenState(10).when({ type: 'Add', by: 1 }).thenThrows(RangeError, (e) => (e as Error).message === 'over ten');
    const error = counter
      .given()
      .when(() => {
        throw Object.assign(new Error('unparsable'), { code: 'BadInput' });
      })
      .thenThrows('BadInput');
    expect(error).toMatchObject({ message: 'unparsable' });
  });

  it('fails with AssertionErrors that say what differed', () => {
    const when = counter.given().when({ type: 'Add', by: 2 });
    expect(() => when.then([{ type: 'Added', by: 3 }])).toThrow(AssertionError);
    expect(() => when.thenMatches([{ type: 'Added' }, { type: 'Added' }])).toThrow(/expected 2 event\(s\) \[Added, Added\], got \[Added\]/);
    expect(() => when.thenNothingHappens()).toThrow(/expected 0 event/);
    expect(() => when.thenThrows('NotWhole')).toThrow(/expected NotWhole, but it was accepted with \[Added\]/);
    const refused = counter.given().when({ type: 'Add', by: 0.5 });
    expect(() => refused.then([])).toThrow(/Add was refused: NotWhole: not a whole number/);
    expect(() => refused.thenThrows('Other')).toThrow(/expected refusal Other, got NotWhole/);
    expect(() => refused.thenThrows(RangeError)).toThrow(/expected a RangeError/);
    expect(() => refused.thenThrows(() => false)).toThrow(/did not pass the check/);
  });

  it('runs `check` on every decision, accepted or refused', () => {
    const seen: string[] = [];
    const spec = DeciderSpecification.for(
      { initialState: () => 0, decide: (c: number) => (c < 0 ? [] : [c]), evolve: (s: number, e: number) => s + e },
      { check: (before, c, decided) => void seen.push(`${before}+${c}:${decided.ok ? decided.events.length : 'refused'}`) },
    );
    spec.given([1]).when(2).then([2]);
    spec.given([1]).when(-1).thenNothingHappens();
    expect(seen).toEqual(['1+2:1', '1+-1:0']);
  });
});

describe("clusterchart's given/when/then on the kit", () => {
  it('asserts a refusal of invalid command data instead of throwing while building the command', () => {
    const provision = command('ProvisionCluster', { clusterName: 'c' });
    const invalid = command('RegisterNode', { roles: ['worker'] });
    expect(invalid.type).toBe('RegisterNode');
    expect(() => invalid.data).toThrow(/RegisterNode: name/);
    given(provision).when(invalid).then('InvalidInput');
    const out = given(provision).when(invalid).thenThrows('InvalidInput');
    expect(out.decision).toMatchObject({ ok: false, error: { code: 'InvalidInput' } });
    expect(out.after).toBe(out.before);
    expect(() => out.result).toThrow(/refused \(InvalidInput\)/);
    expect(() => given(provision).when(invalid).then([{ type: 'NodeRegistered' }])).toThrow(/RegisterNode was refused: InvalidInput/);
    expect(() => given(provision, invalid)).toThrow(/RegisterNode: name/);
  });
});

describe('wrapStore', () => {
  it('replaces only the operations given and passes every other one to the wrapped store', async () => {
    const inner = createMemoryStore();
    let appends = 0;
    const store = wrapStore(inner, {
      appendToStream: (stream, events, options) => {
        appends++;
        return inner.appendToStream(stream, events, options);
      },
    });
    expect(store.url).toBe(inner.url);
    await store.appendToStream('s', [{ id: '00000000-0000-4000-8000-000000000001', type: 'T', data: {}, metadata: {} }]);
    expect(appends).toBe(1);
    expect(await store.streamRevision('s')).toBe(0);
    expect(await inner.streamRevision('s')).toBe(0);
    await store.close();
  });
});
