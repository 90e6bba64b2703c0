/**
 * Deterministic event ids and the per-stream hash chain.
 *
 * - An event id is a pure function of `(cluster, commandId, index)`, so the retry of a command whose response was
 *   lost re-appends the SAME ids and every store (EventStoreDB included) recognises them.
 * - Every event stored by the engine carries `metadata.hash` = sha256 over the previous event's hash in its stream
 *   ('' for the first), its id, type, canonical JSON data, command id and time. Editing, dropping or reordering an
 *   event anywhere breaks every later link; `walkHashChain` is the one walk that checks it (`verifyHashChain`
 *   stops at the first broken link, `verifyHistory` reports every problem).
 */
import { createHash } from 'node:crypto';
import type { RecordedEvent } from '../store/event-store.js';

/**
 * JSON with object keys sorted at every level and no whitespace: the same value always gives the same text,
 * whatever order its keys were built in or came back from a store. `undefined` properties are omitted (as JSON does).
 *
 * @example
 * canonicalJson({ b: 1, a: [true, null] }) // '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonicalize(value)) ?? 'null';
}

/**
 * A copy of a JSON value with the keys of every object in sorted order (objects already in order are copied
 * as they are), so that `JSON.stringify` of it is canonical. One native stringify beats building the text by hand.
 */
export function canonicalize(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item: unknown) => (item === undefined ? null : canonicalize(item)));
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) {
      keys.sort();
      break;
    }
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const item = record[key];
    if (item !== undefined && typeof item !== 'function') out[key] = canonicalize(item);
  }
  return out;
}

/**
 * A UUID-shaped id (version nibble 5, RFC 4122 variant) derived from sha256 of `cluster/commandId/index`.
 *
 * @example
 * eventIdFor('prod', 'cmd-1', 0) === eventIdFor('prod', 'cmd-1', 0) // true: a retry re-appends the same id
 */
export function eventIdFor(cluster: string, commandId: string, index: number): string {
  const hex = createHash('sha256').update(`${cluster}/${commandId}/${index}`).digest('hex');
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The fields of an event the chain covers. */
export type ChainedFields = Readonly<{ id: string; type: string; data: unknown; commandId: string; at: string }>;

/**
 * The chain link of one event: sha256 (hex) over the previous link and the event's id, type, canonical data,
 * command id and time, separated by newlines (none of these can contain a raw newline: canonical JSON escapes it).
 */
export function chainHash(previous: string, event: ChainedFields): string {
  return createHash('sha256')
    .update(`${previous}\n${event.id}\n${event.type}\n${canonicalJson(event.data)}\n${event.commandId}\n${event.at}`)
    .digest('hex');
}

/** What is wrong with one link of a stream's chain. */
export type ChainProblemCode = 'RevisionGap' | 'PositionOrder' | 'HashMismatch';
export type ChainProblem = Readonly<{ code: ChainProblemCode; message: string }>;

/** One event of a stream as the chain walk judged it. */
export type ChainLink = Readonly<{
  event: RecordedEvent;
  /** The link this event should carry, computed from the link before it. */
  expected: string;
  /** The link it carries (`metadata.hash`), null when it has none. */
  recorded: string | null;
  /** Empty when the event is where it belongs and its link matches. */
  problems: readonly ChainProblem[];
}>;

const describeEvent = (e: RecordedEvent): string => `${e.streamId}@${e.revision} (position ${e.position}, ${e.type})`;

/**
 * The one walk of a stream's hash chain, read forwards from revision 0 (or from `from.revision` + 1 when `from` gives
 * the link of the event before the first one passed). Yields every event with what is wrong with it and goes on
 * past a problem: the next link is computed from the link the event carries (or the expected one when it carries
 * none), and the next revision from its revision, so one damaged event is reported once, not at every later one.
 *
 * @example
 * for await (const link of walkHashChain(store.readStream('cluster-prod'))) for (const p of link.problems) console.error(p.code, p.message);
 */
export async function* walkHashChain(
  events: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>,
  from: Readonly<{ revision: number; hash: string }> = { revision: -1, hash: '' },
): AsyncGenerator<ChainLink> {
  let previousLink = from.hash;
  let expectedRevision = from.revision + 1;
  let previousPosition = 0;
  for await (const event of events) {
    const problems: ChainProblem[] = [];
    if (event.revision !== expectedRevision) {
      problems.push({
        code: 'RevisionGap',
        message: `${describeEvent(event)}: expected revision ${expectedRevision}; ${event.revision - expectedRevision} event(s) before it are missing.`,
      });
    }
    if (event.position <= previousPosition) {
      problems.push({
        code: 'PositionOrder',
        message: `${describeEvent(event)} is stored before position ${previousPosition} of an earlier revision: events were moved or swapped.`,
      });
    }
    const metadata = event.metadata as Record<string, unknown>;
    const recorded = typeof metadata.hash === 'string' ? metadata.hash : null;
    const expected = chainHash(previousLink, {
      id: event.id,
      type: event.type,
      data: event.data,
      commandId: typeof metadata.commandId === 'string' ? metadata.commandId : '',
      at: typeof metadata.at === 'string' ? metadata.at : '',
    });
    if (recorded !== expected) {
      problems.push({
        code: 'HashMismatch',
        message:
          recorded === null
            ? `${describeEvent(event)} has no hash: it was not written by the clusterchart engine.`
            : `${describeEvent(event)} breaks the hash chain: it, or the event before it, was altered, removed or reordered.`,
      });
    }
    yield { event, expected, recorded, problems };
    previousLink = recorded ?? expected;
    expectedRevision = event.revision + 1;
    previousPosition = Math.max(previousPosition, event.position);
  }
}

/** Outcome of `verifyHashChain`. `lastHash` is the link to continue from. */
export type HashChainReport =
  | Readonly<{ ok: true; events: number; lastHash: string }>
  | Readonly<{
      ok: false;
      events: number;
      /** The first event whose link does not match. */
      streamId: string;
      revision: number;
      position: number;
      expected: string;
      actual: string | null;
      message: string;
    }>;

/**
 * Checks the hash chain of ONE stream (the `walkHashChain` walk) and stops at the first missing revision or broken
 * link; `events` counts the events before it.
 *
 * @example
 * const report = await verifyHashChain(store.readStream(clusterStreamId('prod')));
 * if (!report.ok) console.error(report.message);
 */
export async function verifyHashChain(
  events: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>,
  from: Readonly<{ revision: number; hash: string }> = { revision: -1, hash: '' },
): Promise<HashChainReport> {
  let count = 0;
  let lastHash = from.hash;
  for await (const { event, expected, recorded, problems } of walkHashChain(events, from)) {
    const broken = problems.find((p) => p.code !== 'PositionOrder');
    if (broken !== undefined) {
      return { ok: false, events: count, streamId: event.streamId, revision: event.revision, position: event.position, expected, actual: recorded, message: broken.message };
    }
    lastHash = expected;
    count++;
  }
  return { ok: true, events: count, lastHash };
}
