/**
 * Deterministic event ids and the per-stream hash chain.
 *
 * - An event id is a pure function of `(cluster, commandId, index)`, so the retry of a command whose response was
 *   lost re-appends the SAME ids and every store (EventStoreDB included) recognises them.
 * - Every event stored by the engine carries `metadata.hash` = sha256 over the previous event's hash in its stream
 *   ('' for the first), its id, type, canonical JSON data, command id and time. Editing, dropping or reordering an
 *   event anywhere breaks every later link; `verifyHashChain` finds the first broken one.
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
 * Checks the hash chain of ONE stream's events, read forwards from revision 0 (or from `from.revision` + 1 when
 * `from` gives the link of the event before the first one passed). Stops at the first broken link.
 *
 * @example
 * const report = await verifyHashChain(store.readStream(clusterStreamId('prod')));
 * if (!report.ok) console.error(report.message);
 */
export async function verifyHashChain(
  events: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>,
  from: Readonly<{ revision: number; hash: string }> = { revision: -1, hash: '' },
): Promise<HashChainReport> {
  let previous = from.hash;
  let expectedRevision = from.revision + 1;
  let count = 0;
  for await (const event of events) {
    const metadata = event.metadata as Record<string, unknown>;
    const recorded = typeof metadata.hash === 'string' ? metadata.hash : null;
    const commandId = typeof metadata.commandId === 'string' ? metadata.commandId : '';
    const at = typeof metadata.at === 'string' ? metadata.at : '';
    const expected = chainHash(previous, { id: event.id, type: event.type, data: event.data, commandId, at });
    const broken = (message: string): HashChainReport => ({
      ok: false,
      events: count,
      streamId: event.streamId,
      revision: event.revision,
      position: event.position,
      expected,
      actual: recorded,
      message,
    });
    if (event.revision !== expectedRevision) {
      return broken(
        `Stream ${event.streamId}: expected revision ${expectedRevision} but read ${event.revision} (position ${event.position}); an event is missing.`,
      );
    }
    if (recorded !== expected) {
      return broken(
        recorded === null
          ? `Stream ${event.streamId} revision ${event.revision} (position ${event.position}, ${event.type}) has no hash: it was not written by the clusterchart engine.`
          : `Stream ${event.streamId} revision ${event.revision} (position ${event.position}, ${event.type}) breaks the hash chain: the event or one before it was altered, removed or reordered.`,
      );
    }
    previous = expected;
    expectedRevision++;
    count++;
  }
  return { ok: true, events: count, lastHash: previous };
}
