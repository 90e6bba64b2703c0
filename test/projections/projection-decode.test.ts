import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDomainEvent } from '../../src/domain/index.js';
import { decodeDomainEvent, decodeRecordedEvent } from '../../src/engine/projection-decode.js';

function outcome(decode: () => unknown): unknown {
  try {
    return { ok: decode() };
  } catch (error) {
    return { code: (error as { code?: string }).code, message: (error as Error).message };
  }
}

const id = fc.oneof(fc.nat({ max: 20 }), fc.constantFrom(-1, 1.5, Number.NaN, 2 ** 60, '3', null));
const time = fc.oneof(
  fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('garbage', '2026-13-45T00:00:00Z', '', 42, '2026-01-01'),
);
const partitions = fc.oneof(
  fc.dictionary(fc.oneof(fc.nat({ max: 99 }).map(String), fc.constantFrom('a1', '-1', '01', '')), fc.oneof(fc.constantFrom('leader', 'follower'), fc.constantFrom('boss', 1, null)), { maxKeys: 3 }),
  fc.constantFrom(null, [], 'x', 7),
);
const extra = fc.option(fc.record({ extra: fc.string() }), { nil: undefined });
const heartbeat = fc.record({ nodeId: id, generation: id, at: time, partitions, extra }).map(({ extra: more, ...d }) => ({ ...d, ...more }));
const unreachable = fc.record({ nodeId: id, at: time, extra }).map(({ extra: more, ...d }) => ({ ...d, ...more }));

describe('projection event decoding', () => {
  it('the observation fast path gives exactly what parseDomainEvent gives, errors included', () => {
    fc.assert(
      fc.property(fc.oneof(heartbeat.map((data) => ({ type: 'NodeHeartbeatObserved', data })), unreachable.map((data) => ({ type: 'NodeUnreachableObserved', data }))), (raw) => {
        const input = { ...raw, position: 9 };
        expect(outcome(() => decodeDomainEvent(input))).toEqual(outcome(() => parseDomainEvent(input)));
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes a recorded event into a frozen domain event and refuses one without metadata.at', () => {
    const raw = {
      id: 'e1',
      type: 'NodeHeartbeatObserved',
      data: { nodeId: 3, generation: 2, at: '2026-01-01T00:00:00.000Z', partitions: { '1': 'leader' } },
      metadata: { commandId: 'c1', at: '2026-01-01T00:00:00.000Z' },
      streamId: 'observations-a',
      revision: 0,
      position: 4,
    };
    const event = decodeRecordedEvent(structuredClone(raw));
    expect(event).toEqual(raw);
    expect(Object.isFrozen(event) && Object.isFrozen(event.data) && Object.isFrozen(event.metadata)).toBe(true);
    expect(Object.isFrozen((event.data as { partitions: object }).partitions)).toBe(true);
    expect(() => decodeRecordedEvent({ ...structuredClone(raw), metadata: { commandId: 'c1' } })).toThrow(
      expect.objectContaining({ code: 'HistoryInvalid', context: { type: 'NodeHeartbeatObserved', position: 4 } }),
    );
    expect(() => decodeRecordedEvent({ ...structuredClone(raw), type: 'NodeVanished' })).toThrow(expect.objectContaining({ code: 'UnknownEventType' }));
  });
});
