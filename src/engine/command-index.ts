/**
 * The idempotency index: which command ids are already in history, and where their events start.
 *
 * It must answer "never seen" for every new command at tens of thousands of commands per second and hold every
 * command id ever recorded (a retry may come however long after), so it stores no strings: each entry is a 64-bit
 * hash of the command id and the location of the command's first event (lane + revision), in typed arrays
 * (12 bytes per command; see `CommandIndex`). A hash match is only a CANDIDATE: the engine reads the
 * events at that location and compares the recorded `metadata.commandId`, so a hash collision can never make a new
 * command look applied. Entries encode to a compact base64 string for snapshots.
 */

/** Which stream a command wrote to. */
export type Lane = 'cluster' | 'observations';

export type CommandLocation = Readonly<{ lane: Lane; revision: number }>;

/** Largest revision an entry can hold (31 bits, one bit holds the lane; the all-ones code marks a free slot). */
export const MAX_INDEXED_REVISION = 0x7fff_fffe;

const EMPTY = 0xffff_ffff;

/** Two independent 32-bit string hashes (cyrb53-style mixing) forming one 64-bit key. */
export function hashCommandId(commandId: string): [number, number] {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < commandId.length; i++) {
    const ch = commandId.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return [h1 >>> 0, h2 >>> 0];
}

const encodeLocation = (lane: Lane, revision: number): number => revision * 2 + (lane === 'observations' ? 1 : 0);
const decodeLocation = (code: number): CommandLocation => ({
  lane: code % 2 === 1 ? 'observations' : 'cluster',
  revision: Math.floor(code / 2),
});

/**
 * A multimap from command-id hash to event locations, in two parts:
 * - the archive: entries loaded from a snapshot, kept as the snapshot stored them (sorted by hash) and searched by
 *   bisection, so loading costs a base64 decode and nothing per entry;
 * - the recent part: entries added since, in an open-addressing hash table.
 * `encode()` merges both into one sorted run (sorting only the recent entries), which becomes the next archive.
 *
 * @example
 * const index = new CommandIndex();
 * index.add('cmd-1', 'cluster', 0);
 * index.candidates('cmd-1'); // [{ lane: 'cluster', revision: 0 }]
 */
export class CommandIndex {
  /** Sorted (hi, lo) triples: hi, lo, location. */
  #archive: Uint32Array = new Uint32Array(0);
  #hi: Uint32Array;
  #lo: Uint32Array;
  #loc: Uint32Array;
  #mask: number;
  #recent = 0;

  /** `capacity`: the number of recent entries to make room for without growing (slots stay at most half full). */
  constructor(capacity = 512) {
    let slots = 1024;
    while (slots < capacity * 2) slots *= 2;
    this.#hi = new Uint32Array(slots);
    this.#lo = new Uint32Array(slots);
    this.#loc = new Uint32Array(slots).fill(EMPTY);
    this.#mask = slots - 1;
  }

  #clearRecent(): void {
    this.#hi = new Uint32Array(1024);
    this.#lo = new Uint32Array(1024);
    this.#loc = new Uint32Array(1024).fill(EMPTY);
    this.#mask = 1023;
    this.#recent = 0;
  }

  /** Number of entries (commands indexed). */
  get size(): number {
    return this.#archive.length / 3 + this.#recent;
  }

  /** Records that `commandId`'s events start at `revision` of `lane`. Adding the same location twice is a no-op. */
  add(commandId: string, lane: Lane, revision: number): void {
    const [hi, lo] = hashCommandId(commandId);
    const loc = encodeLocation(lane, checkRevision(revision));
    for (let i = this.#firstArchived(hi, lo); i < this.#archive.length && this.#archive[i] === hi && this.#archive[i + 1] === lo; i += 3) {
      if (this.#archive[i + 2] === loc) return;
    }
    this.#insert(hi, lo, loc);
  }

  /** Locations whose command id MAY be `commandId` (same 64-bit hash); the caller confirms by reading them. */
  candidates(commandId: string): CommandLocation[] {
    const [hi, lo] = hashCommandId(commandId);
    const found: CommandLocation[] = [];
    for (let i = this.#firstArchived(hi, lo); i < this.#archive.length && this.#archive[i] === hi && this.#archive[i + 1] === lo; i += 3) {
      found.push(decodeLocation(this.#archive[i + 2]!));
    }
    for (let slot = lo & this.#mask; this.#loc[slot] !== EMPTY; slot = (slot + 1) & this.#mask) {
      if (this.#hi[slot] === hi && this.#lo[slot] === lo) found.push(decodeLocation(this.#loc[slot]!));
    }
    return found;
  }

  /** All entries as base64 (12 bytes each: hash high, hash low, location; sorted by hash), for a snapshot. */
  encode(): string {
    return this.encodeBytes().toString('base64');
  }

  /**
   * `encode()` before base64 (native-endian Uint32 triples). The merged run also becomes this index's archive, so
   * the next encode sorts only what was added after this one.
   */
  encodeBytes(): Buffer {
    const recent = this.#sortedRecent();
    const archive = this.#archive;
    const merged = new Uint32Array(archive.length + recent.length);
    let a = 0;
    let r = 0;
    let m = 0;
    while (a < archive.length || r < recent.length) {
      const takeArchive =
        r >= recent.length ||
        (a < archive.length && (archive[a]! < recent[r]! || (archive[a] === recent[r] && archive[a + 1]! <= recent[r + 1]!)));
      const from = takeArchive ? archive : recent;
      const at = takeArchive ? a : r;
      merged[m++] = from[at]!;
      merged[m++] = from[at + 1]!;
      merged[m++] = from[at + 2]!;
      if (takeArchive) a += 3;
      else r += 3;
    }
    this.#archive = merged;
    this.#clearRecent();
    return Buffer.from(merged.buffer, merged.byteOffset, merged.byteLength);
  }

  /**
   * An index from `encode()`'s output. Throws `RangeError` when the text is not a whole number of entries or the
   * entries are not in order (a damaged snapshot).
   */
  static decode(base64: string): CommandIndex {
    return CommandIndex.fromBytes(Buffer.from(base64, 'base64'));
  }

  /** `decode()` after base64. */
  static fromBytes(bytes: Uint8Array): CommandIndex {
    if (bytes.byteLength % 12 !== 0) throw new RangeError(`command index of ${bytes.byteLength} bytes is not a whole number of 12-byte entries`);
    // Copy into an aligned buffer: Buffer's pool offset need not be a multiple of 4.
    const archive = new Uint32Array(bytes.byteLength / 4);
    new Uint8Array(archive.buffer).set(bytes);
    for (let i = 3; i < archive.length; i += 3) {
      if (archive[i - 3]! > archive[i]! || (archive[i - 3] === archive[i] && archive[i - 2]! > archive[i + 1]!)) {
        throw new RangeError(`command index entry ${i / 3} is out of order`);
      }
    }
    const index = new CommandIndex();
    index.#archive = archive;
    return index;
  }

  /** Offset of the first archived triple whose hash is >= (hi, lo). */
  #firstArchived(hi: number, lo: number): number {
    let low = 0;
    let high = this.#archive.length / 3;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const h = this.#archive[mid * 3]!;
      if (h < hi || (h === hi && this.#archive[mid * 3 + 1]! < lo)) low = mid + 1;
      else high = mid;
    }
    return low * 3;
  }

  /** The recent entries as sorted triples. */
  #sortedRecent(): Uint32Array {
    const order: number[] = [];
    for (let slot = 0; slot < this.#loc.length; slot++) if (this.#loc[slot] !== EMPTY) order.push(slot);
    const hi = this.#hi;
    const lo = this.#lo;
    order.sort((x, y) => hi[x]! - hi[y]! || lo[x]! - lo[y]!);
    const out = new Uint32Array(order.length * 3);
    order.forEach((slot, i) => {
      out[i * 3] = hi[slot]!;
      out[i * 3 + 1] = lo[slot]!;
      out[i * 3 + 2] = this.#loc[slot]!;
    });
    return out;
  }

  #insert(hi: number, lo: number, loc: number): void {
    if ((this.#recent + 1) * 2 > this.#loc.length) this.#grow();
    let slot = lo & this.#mask;
    for (; this.#loc[slot] !== EMPTY; slot = (slot + 1) & this.#mask) {
      if (this.#hi[slot] === hi && this.#lo[slot] === lo && this.#loc[slot] === loc) return;
    }
    this.#hi[slot] = hi;
    this.#lo[slot] = lo;
    this.#loc[slot] = loc;
    this.#recent++;
  }

  #grow(): void {
    const hi = this.#hi;
    const lo = this.#lo;
    const loc = this.#loc;
    const slots = loc.length * 2;
    this.#hi = new Uint32Array(slots);
    this.#lo = new Uint32Array(slots);
    this.#loc = new Uint32Array(slots).fill(EMPTY);
    this.#mask = slots - 1;
    this.#recent = 0;
    for (let slot = 0; slot < loc.length; slot++) {
      if (loc[slot] !== EMPTY) this.#insert(hi[slot]!, lo[slot]!, loc[slot]!);
    }
  }
}

function checkRevision(revision: number): number {
  if (!Number.isSafeInteger(revision) || revision < 0 || revision > MAX_INDEXED_REVISION) {
    throw new RangeError(`revision ${revision} cannot be indexed (0..${MAX_INDEXED_REVISION})`);
  }
  return revision;
}
