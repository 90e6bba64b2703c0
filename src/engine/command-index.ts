/**
 * The idempotency index: which command ids are already in history, and where their events start.
 *
 * It must answer "never seen" for every new command at tens of thousands of commands per second and hold every
 * command id ever recorded (a retry may come however long after), so it stores no strings: each entry is a 64-bit
 * hash of the command id and the location of the command's first event (lane + revision), in typed arrays with
 * open addressing (12 bytes per command plus free slots). A hash match is only a CANDIDATE: the engine reads the
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
 * A multimap from command-id hash to event locations.
 *
 * @example
 * const index = new CommandIndex();
 * index.add('cmd-1', 'cluster', 0);
 * index.candidates('cmd-1'); // [{ lane: 'cluster', revision: 0 }]
 */
export class CommandIndex {
  #hi: Uint32Array;
  #lo: Uint32Array;
  #loc: Uint32Array;
  #mask: number;
  #size = 0;

  constructor(capacity = 1024) {
    let slots = 1024;
    while (slots < capacity * 2) slots *= 2;
    this.#hi = new Uint32Array(slots);
    this.#lo = new Uint32Array(slots);
    this.#loc = new Uint32Array(slots).fill(EMPTY);
    this.#mask = slots - 1;
  }

  /** Number of entries (commands indexed). */
  get size(): number {
    return this.#size;
  }

  /** Records that `commandId`'s events start at `revision` of `lane`. Adding the same location twice is a no-op. */
  add(commandId: string, lane: Lane, revision: number): void {
    const [hi, lo] = hashCommandId(commandId);
    this.#insert(hi, lo, encodeLocation(lane, checkRevision(revision)));
  }

  /** Locations whose command id MAY be `commandId` (same 64-bit hash); the caller confirms by reading them. */
  candidates(commandId: string): CommandLocation[] {
    const [hi, lo] = hashCommandId(commandId);
    const found: CommandLocation[] = [];
    for (let slot = lo & this.#mask; this.#loc[slot] !== EMPTY; slot = (slot + 1) & this.#mask) {
      if (this.#hi[slot] === hi && this.#lo[slot] === lo) found.push(decodeLocation(this.#loc[slot]!));
    }
    return found;
  }

  /** All entries as base64 (12 bytes each: hash high, hash low, location), for a snapshot. */
  encode(): string {
    const packed = new Uint32Array(this.#size * 3);
    let j = 0;
    for (let slot = 0; slot < this.#loc.length; slot++) {
      const loc = this.#loc[slot]!;
      if (loc === EMPTY) continue;
      packed[j++] = this.#hi[slot]!;
      packed[j++] = this.#lo[slot]!;
      packed[j++] = loc;
    }
    return Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength).toString('base64');
  }

  /** Rebuilds an index from `encode()`'s output. Throws `RangeError` when the text is not a whole number of entries. */
  static decode(base64: string): CommandIndex {
    const bytes = Buffer.from(base64, 'base64');
    if (bytes.byteLength % 12 !== 0) throw new RangeError(`command index of ${bytes.byteLength} bytes is not a whole number of 12-byte entries`);
    const count = bytes.byteLength / 12;
    // Copy into an aligned buffer: Buffer's pool offset need not be a multiple of 4.
    const packed = new Uint32Array(count * 3);
    new Uint8Array(packed.buffer).set(bytes);
    const index = new CommandIndex(Math.max(1024, count * 2));
    for (let i = 0; i < packed.length; i += 3) {
      const loc = packed[i + 2]!;
      if (loc === EMPTY) throw new RangeError(`command index entry ${i / 3} has no location`);
      index.#insert(packed[i]!, packed[i + 1]!, loc);
    }
    return index;
  }

  #insert(hi: number, lo: number, loc: number): void {
    if ((this.#size + 1) * 2 > this.#loc.length) this.#grow();
    let slot = lo & this.#mask;
    for (; this.#loc[slot] !== EMPTY; slot = (slot + 1) & this.#mask) {
      if (this.#hi[slot] === hi && this.#lo[slot] === lo && this.#loc[slot] === loc) return;
    }
    this.#hi[slot] = hi;
    this.#lo[slot] = lo;
    this.#loc[slot] = loc;
    this.#size++;
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
    this.#size = 0;
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
