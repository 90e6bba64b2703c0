/**
 * Decoding recorded events for projections: the boundary between a store and the folds.
 *
 * Every event goes through `parseDomainEvent` (zod) except the two high-volume observation types, which a
 * hand-written check accepts when the data has exactly the schema's shape. Invariant: the fast path accepts only data
 * the zod schema accepts, and then yields the same value (the schema's output equals its input for such data);
 * anything it does not accept goes to `parseDomainEvent`, which decides and names the error. A property test holds
 * the two paths to this (test/projections/projection-decode.test.ts). The fast path exists because a cold rebuild
 * reads ~1M observations and the generic parse (copying every object) was half of its cost.
 */
import { ClusterchartError } from '../domain/errors.js';
import { type DomainEvent, type StoredDomainEvent, parseDomainEvent } from '../domain/events.js';
import type { RecordedEvent } from '../store/event-store.js';

const PARTITION_ID = /^\d+$/;
const isStoredId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
/**
 * The canonical form `Date#toISOString` writes. Every match is a time `Date.parse` accepts (a unit test walks every
 * month, day, hour and edge year), so it only short-cuts the ~5x slower parse; anything else is still judged by it.
 */
export const CANONICAL_ISO_TIME = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;
const isIsoTime = (v: unknown): v is string => typeof v === 'string' && (CANONICAL_ISO_TIME.test(v) || !Number.isNaN(Date.parse(v)));

function keyCount(o: object): number {
  let n = 0;
  for (const _ in o) n++;
  return n;
}

function isPartitionMap(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.getPrototypeOf(v) !== Object.prototype) return false;
  for (const key in v) {
    const mode = (v as Record<string, unknown>)[key];
    if (!PARTITION_ID.test(key) || (mode !== 'leader' && mode !== 'follower')) return false;
  }
  return true;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** True when the data of an observation already has exactly the schema's shape (see the module invariant). */
function isExactObservation(type: string, data: unknown): boolean {
  if (!isPlainObject(data)) return false;
  if (type === 'NodeHeartbeatObserved') {
    return (
      keyCount(data) === 4 &&
      isStoredId(data.nodeId) &&
      typeof data.generation === 'number' &&
      Number.isSafeInteger(data.generation) &&
      isIsoTime(data.at) &&
      isPartitionMap(data.partitions)
    );
  }
  if (type === 'NodeUnreachableObserved') return keyCount(data) === 2 && isStoredId(data.nodeId) && isIsoTime(data.at);
  return false;
}

/** Decodes the type and data of a recorded event as `parseDomainEvent` does (same result, same errors). */
export function decodeDomainEvent(raw: Readonly<{ type: string; data: unknown; position?: number }>): DomainEvent {
  return isExactObservation(raw.type, raw.data) ? ({ type: raw.type, data: raw.data } as DomainEvent) : parseDomainEvent(raw);
}

/** Freezes a tree of JSON values (no cycles); frozen subtrees are skipped. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key in value) deepFreeze(value[key]);
  }
  return value;
}

/**
 * Decodes a recorded event into a deeply frozen domain event. Throws `UnknownEventType` / `HistoryInvalid` naming
 * the position (also when the metadata lacks `at` or `commandId`).
 *
 * @example
 * for await (const raw of store.readAll()) fold.apply(decodeRecordedEvent(raw));
 */
export function decodeRecordedEvent(raw: RecordedEvent): StoredDomainEvent {
  const metadata = raw.metadata as Readonly<Record<string, unknown>>;
  if (typeof metadata.at !== 'string' || typeof metadata.commandId !== 'string') {
    throw new ClusterchartError(
      'HistoryInvalid',
      `Event ${raw.type} at position ${raw.position} has no metadata.at or metadata.commandId: it was not written by clusterchart.`,
      { type: raw.type, position: raw.position },
    );
  }
  if (isExactObservation(raw.type, raw.data)) {
    // The recorded event already is the domain event (same fields): freeze it in place instead of copying.
    const data = raw.data as Readonly<{ partitions?: object }>;
    if (data.partitions !== undefined) Object.freeze(data.partitions);
    Object.freeze(data);
    deepFreeze(raw.metadata);
    return Object.freeze(raw) as unknown as StoredDomainEvent;
  }
  const event = parseDomainEvent({ type: raw.type, data: raw.data, position: raw.position });
  return deepFreeze({
    type: event.type,
    data: event.data,
    id: raw.id,
    streamId: raw.streamId,
    revision: raw.revision,
    position: raw.position,
    metadata: raw.metadata as unknown as StoredDomainEvent['metadata'],
  } as StoredDomainEvent);
}
