import { grown } from './grown.js';

/**
 * Interns IP addresses into dense ids (0, 1, 2 …) so every per-address figure can live in a typed
 * array and flow keys stay numeric. Open addressing with linear probing; addresses are stored as
 * four 32-bit words (IPv4 in word 0) plus the family.
 */
export interface AddressTableState {
  size: number;
  words: Uint32Array;
  family: Uint8Array;
}

export class AddressTable {
  size = 0;
  private words: Uint32Array = new Uint32Array(4 * 1024);
  private family: Uint8Array = new Uint8Array(1024);
  private slots = new Int32Array(2048); // id + 1, 0 = empty
  private mask = 2047;

  /**
   * Returns the id of the address in w[at, at + 1) (IPv4) or w[at, at + 4) (IPv6), words as int32
   * bit patterns, adding it when new.
   */
  intern(ip: number, w: Int32Array, at: number): number {
    const v6 = ip !== 4;
    const w0 = w[at] >>> 0;
    const w1 = v6 ? w[at + 1] >>> 0 : 0;
    const w2 = v6 ? w[at + 2] >>> 0 : 0;
    const w3 = v6 ? w[at + 3] >>> 0 : 0;
    const h = hashAddress(ip, w0, w1, w2, w3);
    const mask = this.mask;
    const slots = this.slots;
    const words = this.words;
    let i = h & mask;
    for (;;) {
      const s = slots[i];
      if (s === 0) break;
      const id = s - 1;
      const o = id << 2;
      if (
        words[o] === w0 &&
        this.family[id] === ip &&
        (!v6 || (words[o + 1] === w1 && words[o + 2] === w2 && words[o + 3] === w3))
      ) {
        return id;
      }
      i = (i + 1) & mask;
    }
    const id = this.size++;
    if (id >= this.family.length) this.growStorage();
    const o = id << 2;
    this.words[o] = w0;
    this.words[o + 1] = w1;
    this.words[o + 2] = w2;
    this.words[o + 3] = w3;
    this.family[id] = ip;
    slots[i] = id + 1;
    if (this.size * 2 > mask) this.rehash();
    return id;
  }

  /** The table's contents, to send to another thread (its buffers can be transferred). */
  exportState(): AddressTableState {
    return { size: this.size, words: this.words, family: this.family };
  }

  /** A table with the exported contents; it formats and looks up, but is not interned into again. */
  static restore(state: AddressTableState): AddressTable {
    const t = new AddressTable();
    t.size = state.size;
    t.words = state.words;
    t.family = state.family;
    t.slots = new Int32Array(0);
    t.mask = -1;
    return t;
  }

  familyOf(id: number): number {
    return this.family[id];
  }

  /** The address' words (a view; copy if kept). */
  wordsOf(id: number): Uint32Array {
    return this.words.subarray(id << 2, (id << 2) + 4);
  }

  /** Text form: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run compressed). */
  /** The IPv4 address of an id as a 32-bit number, or -1 for an IPv6 address. */
  ipv4(id: number): number {
    return this.family[id] === 4 ? this.words[id << 2] : -1;
  }

  format(id: number): string {
    const o = id << 2;
    const w = this.words;
    if (this.family[id] === 4) {
      const a = w[o];
      return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
    }
    return formatIpv6([w[o], w[o + 1], w[o + 2], w[o + 3]]);
  }

  private growStorage(): void {
    this.family = grown(this.family, this.family.length * 2);
    this.words = grown(this.words, this.words.length * 2);
  }

  private rehash(): void {
    const size = this.slots.length * 2;
    const mask = size - 1;
    const slots = new Int32Array(size);
    const w = this.words;
    for (let id = 0; id < this.size; id++) {
      const o = id << 2;
      let i = hashAddress(this.family[id], w[o], w[o + 1], w[o + 2], w[o + 3]) & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = id + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

function hashAddress(ip: number, w0: number, w1: number, w2: number, w3: number): number {
  const h =
    ip === 4
      ? Math.imul(w0 ^ 0x5bd1e995, 0x9e3779b1)
      : Math.imul(w0 ^ Math.imul(w1, 0x85ebca6b) ^ Math.imul(w2, 0xc2b2ae35) ^ w3, 0x9e3779b1);
  return h ^ (h >>> 15);
}

export function formatIpv6(words: ArrayLike<number>): string {
  const groups: number[] = [];
  for (let i = 0; i < 4; i++) {
    groups.push(words[i] >>> 16, words[i] & 0xffff);
  }
  // IPv4-mapped addresses read best as ::ffff:a.b.c.d.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const a = words[3] >>> 0;
    return `::ffff:${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLen).join(':');
  return `${head}::${tail}`;
}
