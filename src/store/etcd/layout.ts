/**
 * How the etcd store lays the contract out in etcd's flat, revisioned key space (pure: no client, unit-testable).
 *
 * Keys under the URL's prefix `P`:
 * - `P/s/<stream>/<revision>`: one event (its value: `EncodedEvent` JSON). `<stream>` is the stream id through
 *   `encodeURIComponent` (never a `/`, so one stream's range never holds another's), `<revision>` is 16 zero-padded
 *   decimal digits, so key order is revision order and a stream is one contiguous range. Written once, never changed:
 *   its create revision is the revision of the transaction that appended it.
 * - `P/h/<stream>`: the stream head, the last revision as decimal text. Every append compares it and rewrites it.
 * - `P/i/<event id>`: the id index (`IdRef` JSON), so an id stored anywhere is found with one read and two appends
 *   of one id can never both commit (each compares the id key's version with 0).
 *
 * Positions: all events of one append share the transaction's etcd revision, so an event's position is
 * `createRevision * 2^10 + index`, where `index` (< 2^10, stored in the event) is its place in the append. Positions
 * increase in commit order, and `floor(position / 2^10)` is the etcd revision to read from after a checkpoint.
 * They stay exact integers while the etcd revision is below 2^43 (8.8e12 transactions: 27 years at 10,000
 * appends per second); beyond that the store refuses to read rather than return a wrong position.
 */
import { ClusterchartError } from '../../domain/errors.js';
import { redactUrl } from '../common.js';

/** Multiplier of the etcd revision in a position; also the cap on events in one append. */
export const POSITION_SCALE = 1024;
/** Largest etcd revision whose positions are exact JavaScript integers. */
export const MAX_REVISION = Math.floor(Number.MAX_SAFE_INTEGER / POSITION_SCALE);

/** etcd's defaults: `--max-txn-ops` and `--max-request-bytes`. */
export const DEFAULT_MAX_TXN_OPS = 128;
export const DEFAULT_MAX_REQUEST_BYTES = 1_572_864;
/**
 * Request bytes kept for keys, compares and protobuf framing, so events within `maxBytesPerAppend` fit one request
 * for any stream id the contract accepts (up to 1000 characters, three keys per event).
 */
export const REQUEST_RESERVE_BYTES = 256 * 1024;

/** A parsed `etcd://` URL. */
export type EtcdLocation = Readonly<{
  /** `host:port` (or `https://host:port` with `tls=true`) of every member given. */
  hosts: readonly string[];
  /** Key prefix without trailing slash, for example `clusterchart` or `team/a`. */
  prefix: string;
  auth: Readonly<{ username: string; password: string }> | undefined;
  /** The URL without credentials (safe to log). */
  safeUrl: string;
  /** Per-call deadline, after which a member that does not answer counts as failed. */
  callTimeoutMs: number;
  maxTxnOps: number;
  maxRequestBytes: number;
}>;

const URL_SHAPE = /^etcd:\/\/(?:([^@/?#]*)@)?([^/?#]+)(\/[^?#]*)?(?:\?([^#]*))?$/i;
const HOST_SHAPE = /^(?:\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/i;

/**
 * Parses `etcd://[user:password@]host[:port][,host[:port]...]/prefix[?tls=true&callTimeoutMs=..&maxTxnOps=..&maxRequestBytes=..]`.
 * The port defaults to 2379 and the prefix to `clusterchart`. Throws `InvalidInput` (without the credentials).
 */
export function parseEtcdUrl(url: string): EtcdLocation {
  const text = url.trim();
  const safeUrl = redactUrl(text);
  const match = URL_SHAPE.exec(text);
  const bad = (why: string): ClusterchartError =>
    new ClusterchartError('InvalidInput', `Store URL "${safeUrl}" is not a valid etcd URL: ${why}. Write etcd://host:2379,host:2379/prefix.`, { url: safeUrl });
  if (match === null) throw bad('expected etcd://host:port[,host:port...]/prefix');
  const [, userinfo, hostList = '', path = '', query = ''] = match;
  let auth: EtcdLocation['auth'];
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    if (colon <= 0) throw bad('credentials must be written user:password@');
    auth = { username: safeDecode(userinfo.slice(0, colon), bad), password: safeDecode(userinfo.slice(colon + 1), bad) };
  }
  const params = new URLSearchParams(query);
  const known = new Set(['tls', 'callTimeoutMs', 'maxTxnOps', 'maxRequestBytes']);
  for (const key of params.keys()) if (!known.has(key)) throw bad(`unknown option "${key}" (known: ${[...known].join(', ')})`);
  const tls = params.get('tls');
  if (tls !== null && tls !== 'true' && tls !== 'false') throw bad('tls must be true or false');
  const hosts = hostList.split(',').map((h) => h.trim());
  for (const h of hosts) if (!HOST_SHAPE.test(h)) throw bad(`"${h}" is not host[:port]`);
  const prefix = safeDecode(path.replace(/^\/+/, '').replace(/\/+$/, ''), bad) || 'clusterchart';
  const safeHosts = hosts.map((h) => (/:\d+$/.test(h) && !h.endsWith(']') ? h : `${h}:2379`));
  return {
    hosts: safeHosts.map((h) => (tls === 'true' ? `https://${h}` : h)),
    prefix,
    auth,
    safeUrl: `etcd://${safeHosts.join(',')}/${prefix}${query === '' ? '' : `?${query}`}`,
    callTimeoutMs: positiveInt(params.get('callTimeoutMs'), 5000, 'callTimeoutMs', bad),
    maxTxnOps: positiveInt(params.get('maxTxnOps'), DEFAULT_MAX_TXN_OPS, 'maxTxnOps', bad),
    maxRequestBytes: positiveInt(params.get('maxRequestBytes'), DEFAULT_MAX_REQUEST_BYTES, 'maxRequestBytes', bad),
  };
}

function safeDecode(text: string, bad: (why: string) => Error): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw bad('bad percent-encoding');
  }
}

function positiveInt(value: string | null, fallback: number, name: string, bad: (why: string) => Error): number {
  if (value === null) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw bad(`${name} must be a positive integer`);
  return n;
}

/**
 * The store's limits for a server with these settings. An append writes one key per event, one id-index key per
 * event and the stream head, and compares the head and every id key: `2n + 1 <= maxTxnOps`.
 */
export function etcdLimits(location: Pick<EtcdLocation, 'maxTxnOps' | 'maxRequestBytes'>): { maxEventsPerAppend: number; maxBytesPerAppend: number } {
  return {
    maxEventsPerAppend: Math.max(1, Math.min(POSITION_SCALE, Math.floor((location.maxTxnOps - 1) / 2))),
    maxBytesPerAppend: Math.max(1, location.maxRequestBytes - REQUEST_RESERVE_BYTES),
  };
}

/** The keys of one store (one prefix). */
export class Keys {
  readonly #prefix: string;
  /** First and last-exclusive key of all events. */
  readonly eventsStart: Buffer;
  readonly eventsEnd: Buffer;

  constructor(prefix: string) {
    this.#prefix = prefix;
    this.eventsStart = Buffer.from(`${prefix}/s/`);
    this.eventsEnd = Buffer.from(`${prefix}/s0`);
  }

  event(streamId: string, revision: number): Buffer {
    return Buffer.from(`${this.#prefix}/s/${encodeStream(streamId)}/${String(revision).padStart(16, '0')}`);
  }

  /** First key of a stream's events, and the first key after them. */
  streamRange(streamId: string): { start: Buffer; end: Buffer } {
    const base = `${this.#prefix}/s/${encodeStream(streamId)}`;
    return { start: Buffer.from(`${base}/`), end: Buffer.from(`${base}0`) };
  }

  head(streamId: string): Buffer {
    return Buffer.from(`${this.#prefix}/h/${encodeStream(streamId)}`);
  }

  id(eventId: string): Buffer {
    return Buffer.from(`${this.#prefix}/i/${eventId}`);
  }

  /** Stream id and revision of an event key, or undefined for a key that is not one. */
  parseEventKey(key: Buffer): { streamId: string; revision: number } | undefined {
    const text = key.toString('utf8');
    const start = this.#prefix.length + 3;
    if (!text.startsWith(`${this.#prefix}/s/`)) return undefined;
    const slash = text.lastIndexOf('/');
    if (slash < start) return undefined;
    return { streamId: decodeURIComponent(text.slice(start, slash)), revision: Number(text.slice(slash + 1)) };
  }
}

/** The stream id as a key segment; an id that is not well-formed Unicode (a lone surrogate) has no UTF-8 form. */
function encodeStream(streamId: string): string {
  try {
    return encodeURIComponent(streamId);
  } catch {
    throw new ClusterchartError('InvalidInput', `Stream id ${JSON.stringify(streamId.slice(0, 100))} is not well-formed Unicode (it holds a lone surrogate); the etcd store cannot key it.`, {
      stream: streamId.slice(0, 100),
    });
  }
}

/** Value of an event key. `data` and `metadata` are the JSON texts spliced in unchanged. */
export type EncodedEvent = { i: number; x: number; id: string; type: string; data: unknown; metadata: unknown };

/** Event value text: the serialized JSON of data and metadata is embedded as is (no second stringify). */
export function encodeEvent(index: number, expected: number, e: Readonly<{ id: string; type: string; data: string; metadata: string }>): string {
  return `{"i":${index},"x":${expected},"id":${JSON.stringify(e.id)},"type":${JSON.stringify(e.type)},"data":${e.data},"metadata":${e.metadata}}`;
}

/** Value of an id-index key: stream, revision, the append's index and its expected revision (encoded). */
export type IdRef = { s: string; r: number; i: number; x: number };

export function encodeIdRef(ref: IdRef): string {
  return JSON.stringify(ref);
}

/** The position of the event at `index` of the transaction committed at etcd revision `revision`. */
export function toPosition(revision: number, index: number, safeUrl: string): number {
  if (!(Number.isSafeInteger(revision) && revision >= 0 && revision <= MAX_REVISION)) {
    throw new ClusterchartError(
      'StoreCorrupt',
      `The etcd store ${safeUrl} is at revision ${revision}, beyond ${MAX_REVISION}: positions (revision * ${POSITION_SCALE} + index) would no longer be exact.`,
      { url: safeUrl, revision },
    );
  }
  return revision * POSITION_SCALE + index;
}

/** The etcd revision holding `position`. */
export function revisionOf(position: number): number {
  return Math.floor(position / POSITION_SCALE);
}

/** UTF-8 bytes of text. */
export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
