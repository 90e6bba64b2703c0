import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDomainEvent } from '../../src/domain/index.js';
import { CANONICAL_ISO_TIME, decodeDomainEvent, decodeRecordedEvent } from '../../src/engine/projection-decode.js';

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

  it('every canonical ISO time the fast path short-cuts is one Date.parse accepts', () => {
    const two = (n: number) => String(n).padStart(2, '0');
    let checked = 0;
    for (const year of ['0000', '1970', '2026', '9999']) {
      for (let month = 1; month <= 12; month++) {
        for (let day = 1; day <= 31; day++) {
          for (const time of ['00:00:00.000', '23:59:59.999', '12:30:07.042']) {
            const iso = `${year}-${two(month)}-${two(day)}T${time}Z`;
            expect(CANONICAL_ISO_TIME.test(iso)).toBe(true);
            expect(Date.parse(iso)).not.toBeNaN();
            checked++;
          }
        }
      }
    }
    for (let hour = 0; hour < 24; hour++) expect(Date.parse(`2026-01-01T${two(hour)}:59:59.000Z`)).not.toBeNaN();
    expect(checked).toBe(4 * 12 * 31 * 3);
    for (const bad of ['2026-13-01T00:00:00.000Z', '2026-01-32T00:00:00.000Z', '2026-01-01T24:00:00.000Z', '2026-01-01T00:60:00.000Z', '2026-01-01T00:00:00Z']) {
      expect(CANONICAL_ISO_TIME.test(bad)).toBe(false);
    }
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
