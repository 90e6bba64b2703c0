/**
 * The EventStore conformance suite (Emmett `features.ts` style): every adapter runs all of it by calling
 * `describeEventStoreConformance` from one small spec file.
 *
 * Tests use streams with a per-test random prefix, so they also hold on a shared server (EventStoreDB) whose
 * `$all` contains other tests' and system events: `$all` checks look only at this test's streams, after a
 * marker position taken at the start of the test. Isolated stores (memory, sqlite) additionally get the exact
 * checks that need an empty store.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isClusterchartError, type ClusterchartError, type ErrorCode } from '../../src/domain/errors.js';
import type { EventData, EventStore, ExpectedRevision, RecordedEvent } from '../../src/store/event-store.js';

export type ConformanceFeatures = Readonly<{
  /** Each factory call returns a store with no events (memory, a new sqlite file). */
  isolated: boolean;
  /**
   * Event ids are unique across the whole store, so every reuse outside an exact retry is `DuplicateEventId`.
   * EventStoreDB only recognises ids at the positions a retry names and has no global id index.
   */
  globalIdUniqueness: boolean;
}>;

export type ConformanceOptions = Readonly<{
  features?: Partial<ConformanceFeatures>;
  /** A reason to skip the whole suite (shown in the test report), or undefined to run it. */
  skip?: string | undefined;
}>;

export function describeEventStoreConformance(name: string, factory: () => Promise<EventStore>, options: ConformanceOptions = {}): void {
  const features: ConformanceFeatures = { isolated: true, globalIdUniqueness: true, ...options.features };
  if (options.skip !== undefined) {
    describe.skip(`EventStore conformance: ${name} (skipped: ${options.skip})`, () => {
      it('runs when its prerequisites are met', () => undefined);
    });
    return;
  }

  describe(`EventStore conformance: ${name}`, () => {
    let store: EventStore;
    let prefix: string;
    /** Position of the last event before this test's first one (0 on an isolated store). */
    let marker: number;
    const stream = (s: string): string => `${prefix}-${s}`;
    const mine = (e: RecordedEvent): boolean => e.streamId.startsWith(`${prefix}-`);

    beforeEach(async () => {
      store = await factory();
      prefix = `t${randomUUID().slice(0, 8)}`;
      marker = 0;
      if (!features.isolated) {
        marker = (await store.appendToStream(`${prefix}marker`, [event('Marker')], { expectedRevision: 'no-stream' })).position;
      }
    });
    afterEach(async () => {
      await store.close();
    });

    async function readMineAll(fromPosition = marker + 1): Promise<RecordedEvent[]> {
      return (await collect(store.readAll({ fromPosition }))).filter(mine);
    }

    describe('appendToStream and expected revisions', () => {
      it('appends to a new stream with no-stream: dense revisions from 0, increasing positions >= 1, data round-trips', async () => {
        const events = [event('A', { n: 1, nested: { list: [1, 'two', null, true] } }), event('B', {}), event('C', 'text')];
        const result = await store.appendToStream(stream('s'), events, { expectedRevision: 'no-stream' });
        expect(result.nextRevision).toBe(2);
        const read = await collect(store.readStream(stream('s')));
        expect(read.map((e) => e.revision)).toEqual([0, 1, 2]);
        expect(read.map(strip)).toEqual(events);
        expect(read.every((e) => e.streamId === stream('s'))).toBe(true);
        expect(read[0]!.position).toBeGreaterThanOrEqual(1);
        expect(increasing(read.map((e) => e.position))).toBe(true);
        expect(result.position).toBe(read[2]!.position);
        expect(await store.streamRevision(stream('s'))).toBe(2);
      });

      it('no-stream on an existing stream is WrongExpectedVersion with stream, expected and actual; nothing is written', async () => {
        await store.appendToStream(stream('s'), [event('A'), event('B')], { expectedRevision: 'no-stream' });
        const error = await refusal(store.appendToStream(stream('s'), [event('C')], { expectedRevision: 'no-stream' }), 'WrongExpectedVersion');
        expect(error.context).toEqual({ stream: stream('s'), expected: 'no-stream', actual: 1 });
        expect(error.message).toContain(stream('s'));
        expect(await store.streamRevision(stream('s'))).toBe(1);
      });

      it('exists needs the stream: missing -> WrongExpectedVersion with actual -1, existing -> appended', async () => {
        const error = await refusal(store.appendToStream(stream('s'), [event('A')], { expectedRevision: 'exists' }), 'WrongExpectedVersion');
        expect(error.context).toEqual({ stream: stream('s'), expected: 'exists', actual: -1 });
        expect(await store.streamRevision(stream('s'))).toBe(-1);
        await store.appendToStream(stream('s'), [event('A')], { expectedRevision: 'no-stream' });
        expect((await store.appendToStream(stream('s'), [event('B')], { expectedRevision: 'exists' })).nextRevision).toBe(1);
      });

      it('any appends whatever the state, and is the default', async () => {
        expect((await store.appendToStream(stream('s'), [event('A')], { expectedRevision: 'any' })).nextRevision).toBe(0);
        expect((await store.appendToStream(stream('s'), [event('B')], { expectedRevision: 'any' })).nextRevision).toBe(1);
        expect((await store.appendToStream(stream('s'), [event('C')])).nextRevision).toBe(2);
        expect((await store.appendToStream(stream('t'), [event('D')], {})).nextRevision).toBe(0);
      });

      it('a number must equal the last revision: equal -> appended, stale or ahead -> WrongExpectedVersion, missing -> actual -1', async () => {
        const missing = await refusal(store.appendToStream(stream('s'), [event('A')], { expectedRevision: 0 }), 'WrongExpectedVersion');
        expect(missing.context).toEqual({ stream: stream('s'), expected: 0, actual: -1 });
        await store.appendToStream(stream('s'), [event('A'), event('B')], { expectedRevision: 'no-stream' });
        expect((await store.appendToStream(stream('s'), [event('C')], { expectedRevision: 1 })).nextRevision).toBe(2);
        const stale = await refusal(store.appendToStream(stream('s'), [event('D')], { expectedRevision: 1 }), 'WrongExpectedVersion');
        expect(stale.context).toEqual({ stream: stream('s'), expected: 1, actual: 2 });
        const ahead = await refusal(store.appendToStream(stream('s'), [event('D')], { expectedRevision: 7 }), 'WrongExpectedVersion');
        expect(ahead.context).toEqual({ stream: stream('s'), expected: 7, actual: 2 });
        expect(await store.streamRevision(stream('s'))).toBe(2);
      });

      it('of concurrent appends with the same expected revision exactly one wins; the losers write nothing', async () => {
        await store.appendToStream(stream('s'), [event('A')], { expectedRevision: 'no-stream' });
        const attempts = await Promise.allSettled(
          Array.from({ length: 5 }, (_, i) => store.appendToStream(stream('s'), [event(`W${i}`), event(`W${i}b`)], { expectedRevision: 0 })),
        );
        const won = attempts.filter((a) => a.status === 'fulfilled');
        const lost = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost.every((a) => isClusterchartError(a.reason, 'WrongExpectedVersion'))).toBe(true);
        expect(await store.streamRevision(stream('s'))).toBe(2);
      });

      it('an append of several events is atomic: a refused batch leaves no event, an accepted one is contiguous', async () => {
        await store.appendToStream(stream('s'), [event('A')], { expectedRevision: 'no-stream' });
        await refusal(store.appendToStream(stream('s'), [event('B'), event('C'), event('D')], { expectedRevision: 5 }), 'WrongExpectedVersion');
        const bad = [event('B'), event('C'), { ...event('D'), data: { big: 10n } as never }];
        await refusal(store.appendToStream(stream('s'), bad, { expectedRevision: 0 }), 'NotSerializable');
        expect(await store.streamRevision(stream('s'))).toBe(0);
        expect((await readMineAll()).map((e) => e.type)).toEqual(['A']);

        const batches = await Promise.all(
          ['x', 'y', 'z'].map((s) => store.appendToStream(stream(s), Array.from({ length: 20 }, (_, i) => event(`${s}${i}`)), { expectedRevision: 'no-stream' })),
        );
        expect(batches.map((b) => b.nextRevision)).toEqual([19, 19, 19]);
        const all = await readMineAll();
        for (const s of ['x', 'y', 'z']) {
          const indexes = all.flatMap((e, i) => (e.streamId === stream(s) ? [i] : []));
          expect(indexes).toHaveLength(20);
          expect(indexes[19]! - indexes[0]!).toBe(19);
          expect(all.filter((e) => e.streamId === stream(s)).map((e) => e.revision)).toEqual([...Array(20).keys()]);
        }
      });

      it('an empty append checks the expected revision and writes nothing', async () => {
        expect((await store.appendToStream(stream('s'), [], { expectedRevision: 'no-stream' })).nextRevision).toBe(-1);
        expect(await store.streamRevision(stream('s'))).toBe(-1);
        await refusal(store.appendToStream(stream('s'), [], { expectedRevision: 'exists' }), 'WrongExpectedVersion');
        const first = await store.appendToStream(stream('s'), [event('A')], { expectedRevision: 'no-stream' });
        const empty = await store.appendToStream(stream('s'), [], { expectedRevision: 0 });
        expect(empty.nextRevision).toBe(0);
        expect(empty.position).toBe(first.position);
        expect(await store.streamRevision(stream('s'))).toBe(0);
      });

      it('stores a copy: mutating the appended objects afterwards does not change history', async () => {
        const data = { list: [1, 2], inner: { x: 'a' } };
        await store.appendToStream(stream('s'), [event('A', data)], { expectedRevision: 'no-stream' });
        data.list.push(3);
        data.inner.x = 'changed';
        const [read] = await collect(store.readStream(stream('s')));
        expect(read!.data).toEqual({ list: [1, 2], inner: { x: 'a' } });
      });
    });

    describe('event ids and retries', () => {
      it('re-appending the same events with the same expected revision is acknowledged and writes nothing', async () => {
        const batch = [event('A'), event('B')];
        const first = await store.appendToStream(stream('s'), batch, { expectedRevision: 'no-stream' });
        const retry = await store.appendToStream(stream('s'), batch, { expectedRevision: 'no-stream' });
        expect(retry).toEqual(first);
        await store.appendToStream(stream('s'), [event('C')], { expectedRevision: 1 });
        const second = [event('D'), event('E')];
        const r1 = await store.appendToStream(stream('s'), second, { expectedRevision: 2 });
        await store.appendToStream(stream('s'), [event('F')], { expectedRevision: 4 });
        // The lost-response retry arrives after someone else appended: still the same acknowledgement.
        expect(await store.appendToStream(stream('s'), second, { expectedRevision: 2 })).toEqual(r1);
        expect((await collect(store.readStream(stream('s')))).map((e) => e.type)).toEqual(['A', 'B', 'C', 'D', 'E', 'F']);
        expect((await readMineAll()).length).toBe(6);
      });

      it('re-appending with any after an append with any is acknowledged and writes nothing', async () => {
        await store.appendToStream(stream('s'), [event('A')]);
        const batch = [event('B'), event('C')];
        const first = await store.appendToStream(stream('s'), batch, { expectedRevision: 'any' });
        expect(await store.appendToStream(stream('s'), batch, { expectedRevision: 'any' })).toEqual(first);
        expect(await store.streamRevision(stream('s'))).toBe(2);
      });

      it('an id twice in one append is DuplicateEventId and writes nothing', async () => {
        const a = event('A');
        const error = await refusal(store.appendToStream(stream('s'), [a, event('B'), a], { expectedRevision: 'no-stream' }), 'DuplicateEventId');
        expect(error.message).toContain(a.id);
        expect(await store.streamRevision(stream('s'))).toBe(-1);
      });

      it.runIf(features.globalIdUniqueness)('stored ids anywhere but an exact retry are DuplicateEventId, never a silent duplicate', async () => {
        const batch = [event('A'), event('B')];
        await store.appendToStream(stream('s'), batch, { expectedRevision: 'no-stream' });
        const elsewhere = await refusal(store.appendToStream(stream('other'), batch, { expectedRevision: 'no-stream' }), 'DuplicateEventId');
        expect(elsewhere.message).toContain(batch[0]!.id);
        expect(elsewhere.context).toMatchObject({ stream: stream('other'), eventId: batch[0]!.id, existingStream: stream('s'), existingRevision: 0 });
        await refusal(store.appendToStream(stream('s'), batch, { expectedRevision: 'any' }), 'DuplicateEventId');
        await refusal(store.appendToStream(stream('s'), [batch[1]!, batch[0]!], { expectedRevision: 'no-stream' }), 'DuplicateEventId');
        await refusal(store.appendToStream(stream('s'), [event('C'), batch[1]!], { expectedRevision: 1 }), 'DuplicateEventId');
        await refusal(store.appendToStream(stream('s'), [batch[1]!, event('C')], { expectedRevision: 'no-stream' }), 'DuplicateEventId');
        expect(await store.streamRevision(stream('s'))).toBe(1);
        expect(await store.streamRevision(stream('other'))).toBe(-1);
        expect((await readMineAll()).length).toBe(2);
      });

      it('refuses ids that are not lowercase UUIDs, empty types and a bad expected revision with InvalidInput', async () => {
        await refusal(store.appendToStream(stream('s'), [{ ...event('A'), id: 'not-a-uuid' }]), 'InvalidInput');
        await refusal(store.appendToStream(stream('s'), [{ ...event('A'), id: randomUUID().toUpperCase() }]), 'InvalidInput');
        await refusal(store.appendToStream(stream('s'), [{ ...event('A'), type: '' }]), 'InvalidInput');
        await refusal(store.appendToStream(stream('s'), [event('A')], { expectedRevision: -1 as ExpectedRevision }), 'InvalidInput');
        await refusal(store.appendToStream(stream('s'), [event('A')], { expectedRevision: 'nope' as ExpectedRevision }), 'InvalidInput');
        await refusal(store.appendToStream('', [event('A')]), 'InvalidInput');
        expect(await store.streamRevision(stream('s'))).toBe(-1);
      });

      it('refuses data JSON cannot represent with NotSerializable naming the event; nothing is written', async () => {
        const cyclic: Record<string, unknown> = { a: 1 };
        cyclic.self = cyclic;
        const cases: unknown[] = [10n, cyclic, () => 1, undefined, Number.NaN, Number.POSITIVE_INFINITY, new Date(0), [1, undefined], { s: Symbol('x') }, new Map()];
        for (const data of cases) {
          const e = { ...event('Bad'), data: data as never };
          const error = await refusal(store.appendToStream(stream('s'), [event('Good'), e]), 'NotSerializable');
          expect(error.message).toContain(e.id);
          expect(error.message).toContain('Bad');
        }
        await refusal(store.appendToStream(stream('s'), [{ ...event('Bad'), metadata: { n: 1n } as never }]), 'NotSerializable');
        expect(await store.streamRevision(stream('s'))).toBe(-1);
        expect(await readMineAll()).toEqual([]);
      });
    });

    describe('readStream', () => {
      const types = (events: RecordedEvent[]): string[] => events.map((e) => e.type);

      it('reads forwards and backwards with fromRevision and maxCount', async () => {
        await store.appendToStream(stream('s'), ['E0', 'E1', 'E2', 'E3', 'E4'].map((t) => event(t)), { expectedRevision: 'no-stream' });
        await store.appendToStream(stream('noise'), [event('N')]);
        const read = (o: Parameters<EventStore['readStream']>[1]) => collect(store.readStream(stream('s'), o)).then(types);
        expect(await read(undefined)).toEqual(['E0', 'E1', 'E2', 'E3', 'E4']);
        expect(await read({ fromRevision: 2 })).toEqual(['E2', 'E3', 'E4']);
        expect(await read({ fromRevision: 1, maxCount: 2 })).toEqual(['E1', 'E2']);
        expect(await read({ maxCount: 0 })).toEqual([]);
        expect(await read({ fromRevision: 5 })).toEqual([]);
        expect(await read({ direction: 'backwards' })).toEqual(['E4', 'E3', 'E2', 'E1', 'E0']);
        expect(await read({ direction: 'backwards', fromRevision: 2 })).toEqual(['E2', 'E1', 'E0']);
        expect(await read({ direction: 'backwards', maxCount: 2 })).toEqual(['E4', 'E3']);
        expect(await read({ direction: 'backwards', fromRevision: 3, maxCount: 2 })).toEqual(['E3', 'E2']);
        expect(await read({ direction: 'forwards', fromRevision: 0, maxCount: 1 })).toEqual(['E0']);
      });

      it('a missing stream reads as empty in both directions and has revision -1', async () => {
        expect(await collect(store.readStream(stream('missing')))).toEqual([]);
        expect(await collect(store.readStream(stream('missing'), { direction: 'backwards' }))).toEqual([]);
        expect(await store.streamRevision(stream('missing'))).toBe(-1);
      });

      it('refuses bad read options with InvalidInput', async () => {
        await refusal(collect(store.readStream(stream('s'), { fromRevision: -1 })), 'InvalidInput');
        await refusal(collect(store.readStream(stream('s'), { maxCount: 1.5 })), 'InvalidInput');
        await refusal(collect(store.readStream(stream('s'), { direction: 'sideways' as never })), 'InvalidInput');
        await refusal(collect(store.readAll({ fromPosition: -3 })), 'InvalidInput');
      });

      it('holds a 10,000-event stream with dense revisions, read whole and in slices', async () => {
        const total = 10_000;
        // Batches as large as the store allows (a store may declare a limit per append).
        const batch = Math.min(1000, store.limits?.maxEventsPerAppend ?? 1000);
        for (let from = 0; from < total; from += batch) {
          const size = Math.min(batch, total - from);
          const r = await store.appendToStream(stream('big'), Array.from({ length: size }, (_, i) => event('Tick', { i: from + i })), { expectedRevision: from === 0 ? 'no-stream' : from - 1 });
          expect(r.nextRevision).toBe(from + size - 1);
        }
        const all = await collect(store.readStream(stream('big')));
        expect(all).toHaveLength(total);
        expect(all.every((e, i) => e.revision === i && (e.data as { i: number }).i === i)).toBe(true);
        expect(increasing(all.map((e) => e.position))).toBe(true);
        const back = await collect(store.readStream(stream('big'), { direction: 'backwards' }));
        expect(back.map((e) => e.revision)).toEqual(all.map((e) => e.revision).reverse());
        const slice = await collect(store.readStream(stream('big'), { fromRevision: 4321, maxCount: 1500 }));
        expect(slice.map((e) => e.revision)).toEqual(Array.from({ length: 1500 }, (_, i) => 4321 + i));
        const tail = await collect(store.readStream(stream('big'), { direction: 'backwards', fromRevision: 2500, maxCount: 1200 }));
        expect(tail.map((e) => e.revision)).toEqual(Array.from({ length: 1200 }, (_, i) => 2500 - i));
        expect(await store.streamRevision(stream('big'))).toBe(total - 1);
      });

      it('stores and returns a 1 MB event unchanged', async () => {
        const big = 'x'.repeat(999_000);
        const data = { blob: big, tail: 'end' };
        await store.appendToStream(stream('large'), [event('Large', data), event('After')], { expectedRevision: 'no-stream' });
        const [first, second] = await collect(store.readStream(stream('large')));
        expect((first!.data as { blob: string }).blob.length).toBe(999_000);
        expect(first!.data).toEqual(data);
        expect(second!.type).toBe('After');
        expect((await readMineAll()).map((e) => e.type)).toEqual(['Large', 'After']);
      });
    });

    describe('readAll', () => {
      it('returns events of all streams in append order, positions increasing, fromPosition inclusive, maxCount', async () => {
        const results = [];
        for (const [s, t] of [['a', 'A0'], ['b', 'B0'], ['a', 'A1'], ['c', 'C0'], ['b', 'B1']] as const) {
          results.push(await store.appendToStream(stream(s), [event(t)]));
        }
        const all = await readMineAll();
        expect(all.map((e) => e.type)).toEqual(['A0', 'B0', 'A1', 'C0', 'B1']);
        expect(all.map((e) => e.position)).toEqual(results.map((r) => r.position));
        expect(all.map((e) => [e.streamId, e.revision])).toEqual([
          [stream('a'), 0],
          [stream('b'), 0],
          [stream('a'), 1],
          [stream('c'), 0],
          [stream('b'), 1],
        ]);
        expect(increasing(all.map((e) => e.position))).toBe(true);
        expect(all[0]!.position).toBeGreaterThan(marker);
        const from = (await collect(store.readAll({ fromPosition: all[2]!.position }))).filter(mine);
        expect(from.map((e) => e.type)).toEqual(['A1', 'C0', 'B1']);
        const two = await collect(store.readAll({ fromPosition: all[1]!.position, maxCount: 2 }));
        expect(two.map((e) => e.type)).toEqual(['B0', 'A1']);
        expect(await collect(store.readAll({ fromPosition: all[4]!.position, maxCount: 0 }))).toEqual([]);
      });

      it('afterPosition reads after a checkpoint (exclusive); it cannot be combined with fromPosition', async () => {
        for (const t of ['A', 'B', 'C']) await store.appendToStream(stream('a'), [event(t)]);
        const all = await readMineAll();
        expect((await collect(store.readAll({ afterPosition: all[0]!.position }))).filter(mine).map((e) => e.type)).toEqual(['B', 'C']);
        expect((await collect(store.readAll({ afterPosition: all[1]!.position, maxCount: 1 }))).map((e) => e.type)).toEqual(['C']);
        expect((await collect(store.readAll({ afterPosition: all[2]!.position }))).filter(mine)).toEqual([]);
        await refusal(collect(store.readAll({ afterPosition: 1, fromPosition: 1 })), 'InvalidInput');
      });

      it.runIf(features.isolated)('an empty store reads as empty; readAll from the start yields exactly the appended events', async () => {
        expect(await collect(store.readAll())).toEqual([]);
        await store.appendToStream(stream('a'), [event('A0'), event('A1')]);
        await store.appendToStream(stream('b'), [event('B0')]);
        const all = await collect(store.readAll());
        expect(all.map((e) => e.type)).toEqual(['A0', 'A1', 'B0']);
        expect(all[0]!.position).toBeGreaterThanOrEqual(1);
        expect(await collect(store.readAll({ afterPosition: all[2]!.position }))).toEqual([]);
        expect(await collect(store.readAll({ fromPosition: 0 }))).toEqual(all);
      });

      it('stopping a read early (break) is allowed and later reads still work', async () => {
        await store.appendToStream(stream('s'), Array.from({ length: 50 }, (_, i) => event(`E${i}`)));
        let seen = 0;
        for await (const e of store.readStream(stream('s'))) {
          if (e.revision === 9) break;
          seen++;
        }
        expect(seen).toBe(9);
        expect((await collect(store.readStream(stream('s')))).length).toBe(50);
      });
    });

    describe('subscribeToAll', () => {
      it('catches up from a checkpoint, then delivers live appends in order', async () => {
        await store.appendToStream(stream('a'), [event('Old0'), event('Old1')]);
        const seen = recorder(mine);
        const sub = store.subscribeToAll({ fromPosition: marker }, seen.handler);
        await seen.until((events) => events.length === 2);
        await store.appendToStream(stream('b'), [event('Live0')]);
        await store.appendToStream(stream('a'), [event('Live1'), event('Live2')]);
        await seen.until((events) => events.length === 5);
        await sub.stop();
        expect(seen.events.map((e) => e.type)).toEqual(['Old0', 'Old1', 'Live0', 'Live1', 'Live2']);
        expect(increasing(seen.events.map((e) => e.position))).toBe(true);
        expect(seen.events).toEqual(await readMineAll());
      });

      it('the checkpoint is exclusive: subscribing from an event position starts after it', async () => {
        const first = await store.appendToStream(stream('a'), [event('E0')]);
        await store.appendToStream(stream('a'), [event('E1')]);
        const seen = recorder(mine);
        const sub = store.subscribeToAll({ fromPosition: first.position }, seen.handler);
        await seen.until((events) => events.length === 1);
        await store.appendToStream(stream('a'), [event('E2')]);
        await seen.until((events) => events.length === 2);
        await sub.stop();
        expect(seen.events.map((e) => e.type)).toEqual(['E1', 'E2']);
      });

      it.runIf(features.isolated)('with no checkpoint starts at the first event of the store', async () => {
        await store.appendToStream(stream('a'), [event('E0')]);
        const seen = recorder(mine);
        const sub = store.subscribeToAll({}, seen.handler);
        await seen.until((events) => events.length === 1);
        await sub.stop();
        expect(seen.events.map((e) => e.type)).toEqual(['E0']);
      });

      it('after stop() nothing more is delivered; stop is idempotent and done resolves', async () => {
        const seen = recorder(mine);
        const sub = store.subscribeToAll({ fromPosition: marker }, seen.handler);
        await store.appendToStream(stream('a'), [event('Before')]);
        await seen.until((events) => events.length === 1);
        await sub.stop();
        await sub.stop();
        await expect(sub.done).resolves.toBeUndefined();
        await store.appendToStream(stream('a'), [event('After')]);
        // A later subscription sees the event, so the first one had the chance and did not take it.
        const probe = recorder(mine);
        const sub2 = store.subscribeToAll({ fromPosition: marker }, probe.handler);
        await probe.until((events) => events.length === 2);
        await sub2.stop();
        expect(seen.events.map((e) => e.type)).toEqual(['Before']);
      });

      it('resuming from the last processed position gives every event exactly once (no gap, no duplicate)', async () => {
        const total = 60;
        const processed: RecordedEvent[] = [];
        let checkpoint = marker;
        const writer = (async () => {
          for (let i = 0; i < total; i += 3) {
            await store.appendToStream(stream(`w${i % 2}`), [event(`E${i}`), event(`E${i + 1}`), event(`E${i + 2}`)]);
            await tick();
          }
        })();
        // Stop and resume several times while the writer runs; the checkpoint is what a runner would persist.
        for (let round = 0; processed.length < total && round < 1000; round++) {
          const target = Math.min(total, processed.length + 7);
          const sub = store.subscribeToAll({ fromPosition: checkpoint }, (e) => {
            if (processed.length >= target) return;
            if (mine(e)) processed.push(e);
            checkpoint = e.position;
          });
          await waitFor(() => processed.length >= target);
          await sub.stop();
        }
        await writer;
        expect(processed.map((e) => e.type)).toEqual(Array.from({ length: total }, (_, i) => `E${i}`));
        expect(processed.map((e) => e.type)).toEqual((await readMineAll()).map((e) => e.type));
        expect(new Set(processed.map((e) => e.position)).size).toBe(total);
      });

      it('a slow handler gets one event at a time, in order, and misses nothing appended meanwhile', async () => {
        let running = 0;
        let maxRunning = 0;
        const seen: RecordedEvent[] = [];
        const sub = store.subscribeToAll({ fromPosition: marker }, async (e) => {
          if (!mine(e)) return;
          running++;
          maxRunning = Math.max(maxRunning, running);
          await sleep(seen.length < 5 ? 15 : 0);
          seen.push(e);
          running--;
        });
        for (let i = 0; i < 30; i++) await store.appendToStream(stream(`s${i % 3}`), [event(`E${i}`)]);
        await waitFor(() => seen.length === 30);
        await sub.stop();
        expect(maxRunning).toBe(1);
        expect(seen.map((e) => e.type)).toEqual(Array.from({ length: 30 }, (_, i) => `E${i}`));
      });

      it('a handler that throws ends the subscription: done rejects with its error and nothing more is delivered', async () => {
        const seen: string[] = [];
        const sub = store.subscribeToAll({ fromPosition: marker }, (e) => {
          if (!mine(e)) return;
          seen.push(e.type);
          if (e.type === 'Boom') throw new Error('handler failed on Boom');
        });
        await store.appendToStream(stream('a'), [event('Ok'), event('Boom'), event('Never')]);
        await expect(sub.done).rejects.toThrow('handler failed on Boom');
        await sub.stop();
        expect(seen).toEqual(['Ok', 'Boom']);
      });

      it('closing the store ends running subscriptions (done rejects with StoreUnavailable) and later calls fail', async () => {
        const sub = store.subscribeToAll({ fromPosition: marker }, () => undefined);
        await store.appendToStream(stream('a'), [event('A')]);
        await store.close();
        await expect(sub.done).rejects.toSatisfy((e: unknown) => isClusterchartError(e, 'StoreUnavailable'));
        await refusal(store.appendToStream(stream('a'), [event('B')]), 'StoreUnavailable');
        await refusal(collect(store.readAll()), 'StoreUnavailable');
        await refusal(collect(store.readStream(stream('a'))), 'StoreUnavailable');
        await refusal(store.streamRevision(stream('a')), 'StoreUnavailable');
        await store.close();
      });
    });
  });
}

export function event(type: string, data: EventData['data'] = { type }, metadata: EventData['metadata'] = { commandId: randomUUID() }): EventData {
  return { id: randomUUID(), type, data, metadata };
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** The caller-supplied fields of a recorded event. */
function strip(e: RecordedEvent): EventData {
  return { id: e.id, type: e.type, data: e.data, metadata: e.metadata };
}

function increasing(values: number[]): boolean {
  return values.every((v, i) => i === 0 || v > values[i - 1]!);
}

/** Asserts that `promise` rejects with a ClusterchartError of `code`, and returns it. */
export async function refusal(promise: Promise<unknown>, code: ErrorCode): Promise<ClusterchartError> {
  try {
    await promise;
  } catch (error) {
    if (!isClusterchartError(error)) throw error;
    expect(error.code).toBe(code);
    return error;
  }
  throw new Error(`expected a ${code} refusal, but the call succeeded`);
}

function recorder(filter: (e: RecordedEvent) => boolean) {
  const events: RecordedEvent[] = [];
  return {
    events,
    handler: (e: RecordedEvent): void => {
      if (filter(e)) events.push(e);
    },
    until: (condition: (events: RecordedEvent[]) => boolean) => waitFor(() => condition(events)),
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Waits until `condition` holds; the 20 s bound only turns a hang into a readable failure. */
export async function waitFor(condition: () => boolean, what = 'condition'): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}
