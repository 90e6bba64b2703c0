/** Unit specs of the hash chain, deterministic event ids and the idempotency index. */
import { describe, expect, it } from 'vitest';
import { CommandIndex, hashCommandId } from '../../src/engine/command-index.js';
import { canonicalJson, chainHash, eventIdFor, verifyHashChain } from '../../src/engine/hashing.js';
import type { RecordedEvent } from '../../src/store/event-store.js';

function chain(count: number): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  let previous = '';
  for (let i = 0; i < count; i++) {
    const id = eventIdFor('c', `cmd-${i}`, 0);
    const data = { n: i, nested: { b: [1, { z: true, a: null }], a: 'x' } };
    const at = `2026-01-01T00:00:0${i}.000Z`;
    previous = chainHash(previous, { id, type: 'T', data, commandId: `cmd-${i}`, at });
    events.push({ id, type: 'T', data, metadata: { commandId: `cmd-${i}`, at, hash: previous }, streamId: 's', revision: i, position: i + 1 });
  }
  return events;
}

describe('canonicalJson', () => {
  it('sorts keys at every level and omits undefined properties', () => {
    expect(canonicalJson({ b: 1, a: [true, null, { d: 1, c: undefined }], e: 'x' })).toBe('{"a":[true,null,{"d":1}],"b":1,"e":"x"}');
    expect(canonicalJson({ a: { y: 1, x: 2 } })).toBe(canonicalJson({ a: { x: 2, y: 1 } }));
  });
});

describe('eventIdFor', () => {
  it('is a lowercase version-5-shaped UUID, equal for the same (cluster, command, index) and different otherwise', () => {
    const id = eventIdFor('prod', 'cmd-1', 0);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(eventIdFor('prod', 'cmd-1', 0)).toBe(id);
    expect(new Set([id, eventIdFor('prod', 'cmd-1', 1), eventIdFor('prod', 'cmd-2', 0), eventIdFor('dev', 'cmd-1', 0)]).size).toBe(4);
  });
});

describe('verifyHashChain', () => {
  it('accepts an intact chain whatever the key order the store returns', async () => {
    const events = chain(5).map((e) => ({ ...e, data: JSON.parse(JSON.stringify({ nested: (e.data as { nested: unknown }).nested, n: (e.data as { n: number }).n })) as RecordedEvent['data'] }));
    expect(await verifyHashChain(events)).toMatchObject({ ok: true, events: 5 });
  });

  it.each([
    ['an edited event', (events: RecordedEvent[]) => events.map((e, i) => (i === 2 ? { ...e, data: { n: 99 } } : e)), 2],
    ['a removed event', (events: RecordedEvent[]) => events.filter((_, i) => i !== 1), 2],
    ['reordered events', (events: RecordedEvent[]) => [events[0]!, { ...events[2]!, revision: 1 }, { ...events[1]!, revision: 2 }, ...events.slice(3)], 1],
    ['an event without hash', (events: RecordedEvent[]) => events.map((e, i) => (i === 3 ? { ...e, metadata: { commandId: 'x', at: 'y' } } : e)), 3],
  ] as const)('finds %s at the first broken link', async (_label, damage, revision) => {
    const report = await verifyHashChain(damage(chain(5)));
    expect(report).toMatchObject({ ok: false, revision });
    expect(report.ok ? '' : report.message).toMatch(/revision|hash/);
  });
});

describe('CommandIndex', () => {
  it('finds every added command among its candidates, across growth and an encode/decode round trip', () => {
    const index = new CommandIndex();
    for (let i = 0; i < 50_000; i++) index.add(`command-${i}`, i % 3 === 0 ? 'observations' : 'cluster', i * 2);
    index.add('command-7', 'cluster', 14); // the same location twice is one entry
    expect(index.size).toBe(50_000);
    const decoded = CommandIndex.decode(index.encode());
    for (const candidate of [index, decoded]) {
      for (const i of [0, 1, 7, 4_999, 49_999]) {
        expect(candidate.candidates(`command-${i}`)).toContainEqual({ lane: i % 3 === 0 ? 'observations' : 'cluster', revision: i * 2 });
      }
      expect(candidate.candidates('never-seen')).toEqual([]);
    }
  });

  it('merges a decoded archive with entries added after it, without duplicating either', () => {
    const first = new CommandIndex();
    for (let i = 0; i < 1_000; i++) first.add(`old-${i}`, 'cluster', i);
    const loaded = CommandIndex.decode(first.encode());
    loaded.add('old-5', 'cluster', 5); // already archived
    for (let i = 0; i < 500; i++) loaded.add(`new-${i}`, 'observations', i);
    expect(loaded.size).toBe(1_500);
    const again = CommandIndex.decode(loaded.encode());
    expect(again.size).toBe(1_500);
    expect(again.candidates('old-5')).toEqual([{ lane: 'cluster', revision: 5 }]);
    expect(again.candidates('new-499')).toEqual([{ lane: 'observations', revision: 499 }]);
    const bytes = Buffer.from(again.encode(), 'base64');
    bytes.writeUInt32LE(0, 12 * 700); // an entry out of order
    expect(() => CommandIndex.fromBytes(bytes)).toThrow(/out of order/);
  });

  it('keeps every location of colliding hashes (the engine confirms each by reading)', () => {
    const index = new CommandIndex();
    index.add('same', 'cluster', 1);
    index.add('same', 'cluster', 9);
    expect(index.candidates('same')).toEqual([
      { lane: 'cluster', revision: 1 },
      { lane: 'cluster', revision: 9 },
    ]);
    expect(hashCommandId('a')).not.toEqual(hashCommandId('b'));
  });

  it('refuses damaged encodings and revisions it cannot hold', () => {
    expect(() => CommandIndex.decode('AAAA')).toThrow(RangeError);
    expect(() => new CommandIndex().add('x', 'cluster', -1)).toThrow(RangeError);
  });
});
