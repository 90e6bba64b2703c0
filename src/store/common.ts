/**
 * Rules every adapter shares: input validation, JSON serialisation, the expected-revision check, and the
 * classification of an append whose event ids already exist (idempotent retry or `DuplicateEventId`).
 * Adapters call these so that the conformance suite sees one behaviour, not three similar ones.
 */
import { ClusterchartError } from '../domain/errors.js';
import type { EventData, ExpectedRevision, JsonObject, JsonValue, ReadAllOptions, ReadStreamOptions } from './event-store.js';

/** Canonical lowercase UUID (any version). EventStoreDB requires UUID ids; every adapter enforces the same shape. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Longest stream id accepted (EventStoreDB's practical limit is far above any id the engine derives). */
export const MAX_STREAM_ID_LENGTH = 1000;

/**
 * Expected revisions as one integer, for storage next to each event (so a retry can be compared with the append
 * that first wrote the event): a revision >= 0, or one of these negative codes.
 */
export const EXPECTED_NO_STREAM = -1;
export const EXPECTED_ANY = -2;
export const EXPECTED_EXISTS = -3;

export function encodeExpected(expected: ExpectedRevision): number {
  switch (expected) {
    case 'no-stream':
      return EXPECTED_NO_STREAM;
    case 'any':
      return EXPECTED_ANY;
    case 'exists':
      return EXPECTED_EXISTS;
    default:
      return expected;
  }
}

export function decodeExpected(code: number): ExpectedRevision {
  switch (code) {
    case EXPECTED_NO_STREAM:
      return 'no-stream';
    case EXPECTED_ANY:
      return 'any';
    case EXPECTED_EXISTS:
      return 'exists';
    default:
      return code;
  }
}

/** One event ready to store: the caller's fields plus its data and metadata as JSON text. */
export type SerializedEvent = Readonly<{ id: string; type: string; data: string; metadata: string }>;

export function validateStreamId(streamId: unknown): asserts streamId is string {
  if (typeof streamId !== 'string' || streamId.length === 0 || streamId.length > MAX_STREAM_ID_LENGTH) {
    throw new ClusterchartError(
      'InvalidInput',
      `Stream id must be a non-empty string of at most ${MAX_STREAM_ID_LENGTH} characters, got ${describe(streamId)}.`,
      { stream: typeof streamId === 'string' ? streamId.slice(0, 100) : String(streamId) },
    );
  }
}

export function validateExpectedRevision(expected: unknown): asserts expected is ExpectedRevision {
  if (expected === 'no-stream' || expected === 'any' || expected === 'exists') return;
  if (typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0) return;
  throw new ClusterchartError(
    'InvalidInput',
    `expectedRevision must be 'no-stream', 'any', 'exists' or an integer >= 0 (the last revision of the stream), got ${describe(expected)}.`,
    { expected: describe(expected) },
  );
}

/**
 * Validates an append and serialises its events. Throws `InvalidInput` (shape), `DuplicateEventId` (an id twice in
 * one append) or `NotSerializable` (a value JSON would drop or change). Nothing has been written when it throws.
 */
export function prepareAppend(
  streamId: unknown,
  events: readonly EventData[],
  expected: unknown,
): { streamId: string; expected: ExpectedRevision; events: SerializedEvent[] } {
  validateStreamId(streamId);
  validateExpectedRevision(expected);
  if (!Array.isArray(events)) {
    throw new ClusterchartError('InvalidInput', `events must be an array of EventData, got ${describe(events)}.`, { stream: streamId });
  }
  const seen = new Set<string>();
  const out = new Array<SerializedEvent>(events.length);
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as unknown;
    if (event === null || typeof event !== 'object') {
      throw new ClusterchartError('InvalidInput', `events[${i}] of stream "${streamId}" must be an object { id, type, data, metadata }.`, { stream: streamId, index: i });
    }
    const { id, type, data, metadata } = event as Record<string, unknown>;
    if (typeof id !== 'string' || !UUID.test(id)) {
      throw new ClusterchartError(
        'InvalidInput',
        `events[${i}] of stream "${streamId}" has id ${describe(id)}: event ids must be lowercase UUIDs (derive them from the command id so retries deduplicate).`,
        { stream: streamId, index: i },
      );
    }
    if (typeof type !== 'string' || type.length === 0) {
      throw new ClusterchartError('InvalidInput', `Event ${id} of stream "${streamId}" must have a non-empty string type, got ${describe(type)}.`, { stream: streamId, eventId: id });
    }
    if (seen.has(id)) {
      throw new ClusterchartError('DuplicateEventId', `Event id ${id} appears twice in one append to stream "${streamId}"; every event needs its own id.`, { stream: streamId, eventId: id });
    }
    seen.add(id);
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
      throw new ClusterchartError('NotSerializable', `Event ${id} (${type}) of stream "${streamId}": metadata must be a plain JSON object.`, { stream: streamId, eventId: id, type });
    }
    out[i] = { id, type, data: toJson(data, id, type, streamId, 'data'), metadata: toJson(metadata, id, type, streamId, 'metadata') };
  }
  return { streamId, expected, events: out };
}

/**
 * JSON text of a value that survives a JSON round trip unchanged. Refused: `undefined` at the top level or in
 * arrays, BigInt, functions, symbols, non-finite numbers, cycles, and objects that are not plain (Date, Map, class
 * instances: JSON would turn them into something else). Object properties whose value is `undefined` are omitted,
 * as JSON does, because optional fields are routinely written that way.
 */
function toJson(value: unknown, id: string, type: string, streamId: string, field: 'data' | 'metadata'): string {
  const problem = findNonJson(value, field, new Set());
  if (problem !== undefined) {
    throw new ClusterchartError(
      'NotSerializable',
      `Event ${id} (${type}) of stream "${streamId}" cannot be stored: ${problem}. Event data and metadata must be plain JSON values.`,
      { stream: streamId, eventId: id, type },
    );
  }
  return JSON.stringify(value);
}

/** Path and reason of the first value JSON cannot represent faithfully, or undefined. */
function findNonJson(value: unknown, path: string, ancestors: Set<object>): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${path} is ${String(value)} (not finite)`;
    case 'undefined':
      return `${path} is undefined`;
    case 'bigint':
      return `${path} is a BigInt (store it as a string)`;
    case 'function':
      return `${path} is a function`;
    case 'symbol':
      return `${path} is a symbol`;
    case 'object': {
      if (value === null) return undefined;
      if (ancestors.has(value)) return `${path} is a circular reference`;
      ancestors.add(value);
      try {
        if (Array.isArray(value)) {
          for (let i = 0; i < value.length; i++) {
            const p = findNonJson(value[i], `${path}[${i}]`, ancestors);
            if (p !== undefined) return p;
          }
          return undefined;
        }
        const proto: unknown = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) {
          const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
          return `${path} is a ${typeof name === 'string' ? name : 'non-plain object'} (convert it to a plain object or string)`;
        }
        for (const key of Object.keys(value)) {
          const v = (value as Record<string, unknown>)[key];
          if (v === undefined) continue;
          const p = findNonJson(v, `${path}.${key}`, ancestors);
          if (p !== undefined) return p;
        }
        return undefined;
      } finally {
        ancestors.delete(value);
      }
    }
  }
}

/** Throws `WrongExpectedVersion` unless `actual` (-1: missing stream) satisfies `expected`. */
export function checkExpectedRevision(streamId: string, expected: ExpectedRevision, actual: number): void {
  const ok = expected === 'any' || (expected === 'no-stream' ? actual === -1 : expected === 'exists' ? actual >= 0 : actual === expected);
  if (!ok) throw wrongExpectedVersion(streamId, expected, actual);
}

export function wrongExpectedVersion(streamId: string, expected: ExpectedRevision, actual: number): ClusterchartError {
  const want =
    expected === 'no-stream' ? 'expected it not to exist' : expected === 'exists' ? 'expected it to exist' : `expected revision ${String(expected)}`;
  const have = actual === -1 ? 'does not exist' : `is at revision ${actual}`;
  return new ClusterchartError(
    'WrongExpectedVersion',
    `Append to stream "${streamId}" refused: the stream ${have} but the append ${want}. Another writer got there first: reload the stream and decide again.`,
    { stream: streamId, expected, actual },
  );
}

/** Where an already-stored event id lives, and the expected revision of the append that wrote it. */
export type StoredEventRef = Readonly<{ streamId: string; revision: number; position: number; expected: number }>;

/**
 * Decides an append whose ids (some or all) are already stored. `found[i]` is the stored copy of `events[i].id`.
 * It is the retry of a committed append (acknowledged, nothing written) only when every id is stored, in this
 * stream, at consecutive revisions, and the first of them was written with this same expected revision; anything
 * else is `DuplicateEventId` (never a silent duplicate). Returns the append's original result.
 */
export function classifyExistingIds(
  streamId: string,
  expected: ExpectedRevision,
  events: readonly SerializedEvent[],
  found: readonly (StoredEventRef | undefined)[],
): { nextRevision: number; position: number } {
  const first = found[0];
  let idempotent = first !== undefined && first.streamId === streamId && first.expected === encodeExpected(expected);
  for (let i = 1; idempotent && i < found.length; i++) {
    const f = found[i];
    idempotent = f !== undefined && f.streamId === streamId && first !== undefined && f.revision === first.revision + i;
  }
  const last = found[found.length - 1];
  if (idempotent && last !== undefined) return { nextRevision: last.revision, position: last.position };
  const index = found.findIndex((f) => f !== undefined);
  const ref = found[index];
  const event = events[index];
  if (ref === undefined || event === undefined) throw new Error('classifyExistingIds called without any stored id');
  const where = `stream "${ref.streamId}" at revision ${ref.revision} (written with expectedRevision ${JSON.stringify(decodeExpected(ref.expected))})`;
  return duplicate(streamId, expected, event, ref, where);
}

function duplicate(streamId: string, expected: ExpectedRevision, event: SerializedEvent, ref: StoredEventRef, where: string): never {
  throw new ClusterchartError(
    'DuplicateEventId',
    `Event id ${event.id} (${event.type}) appended to stream "${streamId}" with expectedRevision ${JSON.stringify(expected)} is already stored in ${where}. ` +
      'A retry must repeat the original append exactly (same ids, same stream, same expectedRevision); new events need new ids.',
    { stream: streamId, eventId: event.id, existingStream: ref.streamId, existingRevision: ref.revision },
  );
}

export function validateReadStreamOptions(options: ReadStreamOptions | undefined): { fromRevision: number | undefined; backwards: boolean; maxCount: number } {
  const fromRevision = options?.fromRevision;
  if (fromRevision !== undefined && !(Number.isSafeInteger(fromRevision) && fromRevision >= 0)) {
    throw new ClusterchartError('InvalidInput', `fromRevision must be an integer >= 0, got ${describe(fromRevision)}.`, {});
  }
  const direction = options?.direction ?? 'forwards';
  if (direction !== 'forwards' && direction !== 'backwards') {
    throw new ClusterchartError('InvalidInput', `direction must be 'forwards' or 'backwards', got ${describe(direction)}.`, {});
  }
  return { fromRevision, backwards: direction === 'backwards', maxCount: validateMaxCount(options?.maxCount) };
}

/** `fromPosition` is the first position the read may return (inclusive); `afterPosition` is turned into it. */
export function validateReadAllOptions(options: ReadAllOptions | undefined): { fromPosition: number; exclusive: boolean; maxCount: number } {
  const maxCount = validateMaxCount(options?.maxCount);
  const { fromPosition, afterPosition } = options ?? {};
  if (fromPosition !== undefined && afterPosition !== undefined) {
    throw new ClusterchartError('InvalidInput', 'readAll takes fromPosition (inclusive) or afterPosition (exclusive), not both.', {});
  }
  const given = afterPosition ?? fromPosition ?? 0;
  if (!(typeof given === 'number' && Number.isSafeInteger(given) && given >= 0)) {
    throw new ClusterchartError('InvalidInput', `${afterPosition !== undefined ? 'afterPosition' : 'fromPosition'} must be an integer >= 0, got ${describe(given)}.`, {});
  }
  return afterPosition !== undefined ? { fromPosition: given + 1, exclusive: true, maxCount } : { fromPosition: given, exclusive: false, maxCount };
}

export function validateCheckpoint(fromPosition: unknown): number {
  if (fromPosition === undefined) return 0;
  if (typeof fromPosition === 'number' && Number.isSafeInteger(fromPosition) && fromPosition >= 0) return fromPosition;
  throw new ClusterchartError('InvalidInput', `subscribeToAll fromPosition (the last processed position) must be an integer >= 0, got ${describe(fromPosition)}.`, {});
}

function validateMaxCount(maxCount: unknown): number {
  if (maxCount === undefined) return Number.POSITIVE_INFINITY;
  if (typeof maxCount === 'number' && Number.isSafeInteger(maxCount) && maxCount >= 0) return maxCount;
  throw new ClusterchartError('InvalidInput', `maxCount must be an integer >= 0, got ${describe(maxCount)}.`, {});
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return value.toString();
  if (Array.isArray(value)) return 'an array';
  if (value !== null && typeof value === 'object') return 'an object';
  return String(value);
}

/** Deep-freezes a freshly parsed JSON value (no cycles, no shared references). */
export function deepFreeze<T extends JsonValue | JsonObject>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value) as JsonValue[]) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

export function storeClosedError(url: string): ClusterchartError {
  return new ClusterchartError('StoreUnavailable', `The event store ${url} is closed; open it again to use it.`, { url });
}

/** Returns the next page of a read, or an empty page / undefined when the read is complete. */
export type PageFetcher<T> = () => readonly T[] | undefined;

/**
 * An async iterable over synchronously fetched pages. `start` runs on the first `next()` (so validation and
 * "store closed" errors surface where the caller iterates, as with an async generator); each page is fetched
 * when the previous one is used up. One resolved promise per event and no generator machinery keep a 1M-event
 * read cheap.
 */
export function pagedIterable<T>(start: () => PageFetcher<T>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      let fetch: PageFetcher<T> | undefined;
      let page: readonly T[] = [];
      let index = 0;
      let finished = false;
      const DONE: IteratorResult<T> = { value: undefined, done: true };
      return {
        next(): Promise<IteratorResult<T>> {
          try {
            if (index >= page.length) {
              if (finished) return Promise.resolve(DONE);
              fetch ??= start();
              const next = fetch();
              if (next === undefined || next.length === 0) {
                finished = true;
                return Promise.resolve(DONE);
              }
              page = next;
              index = 0;
            }
            return Promise.resolve({ value: page[index++] as T, done: false });
          } catch (error) {
            finished = true;
            page = [];
            return Promise.reject(error instanceof Error ? error : new Error(String(error)));
          }
        },
        return(): Promise<IteratorResult<T>> {
          finished = true;
          page = [];
          return Promise.resolve(DONE);
        },
      };
    },
  };
}

/** The text with the `user:password@` of every URL in it removed, safe for logs and error messages. */
export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^@/?#\s]*@/gi, '$1');
}

/** Schemes of EventStoreDB / KurrentDB connection strings, mapped to those the 6.x client parses. */
const ESDB_SCHEMES: Readonly<Record<string, string>> = {
  esdb: 'esdb',
  'esdb+discover': 'esdb+discover',
  kurrentdb: 'esdb',
  'kurrentdb+discover': 'esdb+discover',
  kurrent: 'esdb',
  'kurrent+discover': 'esdb+discover',
  kdb: 'esdb',
  'kdb+discover': 'esdb+discover',
};

/** The 6.x client's connection string for an EventStoreDB / KurrentDB URL, or undefined for another scheme. */
export function esdbConnectionString(url: string): string | undefined {
  const match = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  const scheme = ESDB_SCHEMES[match?.[1]?.toLowerCase() ?? ''];
  return match === null || scheme === undefined ? undefined : `${scheme}${url.slice(match[1]!.length)}`;
}

/** Runs synchronous store work and reports its result or error as a promise (the contract is asynchronous). */
export function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
