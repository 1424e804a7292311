import { grown } from '../analysis/index.js';

/**
 * An open-addressing hash table (linear probing) from a key of two 32-bit words (compared as
 * signed: a word that may exceed 2^31 goes in as `x | 0`) to a dense entry number (0, 1, 2 … in
 * insertion order), with `width` numbers kept per entry. The detection counts millions of
 * (source, port), (source, destination) … keys per capture: a Map keyed by a number that combines
 * them (above 2^31, so a heap number) allocates per key and hashes slowly, and a Map per group
 * allocates per group. Entries are in insertion order, as a Map's are, so whatever a rule reads in
 * that order (ties, sums) comes out the same.
 */
export class PairTable {
  size = 0;
  /** Whether the last `add` inserted its key. */
  added = false;
  /** Per entry, its key's words. */
  hi: Int32Array;
  lo: Int32Array;
  /** Per entry, `width` numbers, zero when the entry is added: entry e's are values[e·width …]. */
  values: Float64Array;
  /** Per cell, entry + 1; 0 when empty. Only the first mask + 1 cells are in use. */
  private cells: Int32Array;
  private mask: number;
  /** The entry `add` found or made last (-1: none), and its key: flows of one pair tend to come
   * one after another, and then the lookup is two compares. */
  private last = -1;
  private lastHi = 0;
  private lastLo = 0;

  constructor(
    readonly width = 0,
    expected = 8,
  ) {
    const cells = cellsFor(expected);
    this.cells = new Int32Array(cells);
    this.mask = cells - 1;
    const entries = Math.max(8, expected);
    this.hi = new Int32Array(entries);
    this.lo = new Int32Array(entries);
    this.values = new Float64Array(entries * width);
  }

  /** Empties the table, sized for about `expected` keys (so a window's table costs its own size). */
  clear(expected = 0): void {
    const cells = cellsFor(expected);
    if (cells > this.cells.length) this.cells = new Int32Array(cells);
    else this.cells.fill(0, 0, cells);
    this.mask = cells - 1;
    this.size = 0;
    this.last = -1;
  }

  /** The entry of (hi, lo), added (its values zero) when it is new; `added` says which. */
  add(hi: number, lo: number): number {
    if (hi === this.lastHi && lo === this.lastLo && this.last >= 0) {
      this.added = false;
      return this.last;
    }
    const id = this.probe(hi, lo);
    this.last = id;
    this.lastHi = hi;
    this.lastLo = lo;
    return id;
  }

  /** `add` without the last entry's shortcut: looks the key up in the cells. */
  private probe(hi: number, lo: number): number {
    const cells = this.cells;
    const mask = this.mask;
    let c = hash(hi, lo) & mask;
    for (let e = cells[c]; e !== 0; e = cells[c]) {
      if (this.hi[e - 1] === hi && this.lo[e - 1] === lo) {
        this.added = false;
        return e - 1;
      }
      c = (c + 1) & mask;
    }
    const id = this.size++;
    if (id === this.hi.length) this.growEntries();
    this.hi[id] = hi;
    this.lo[id] = lo;
    const w = this.width;
    for (let i = id * w; i < id * w + w; i++) this.values[i] = 0;
    cells[c] = id + 1;
    this.added = true;
    // At most half full: probes stay short.
    if (this.size * 2 > mask) this.rehash();
    return id;
  }

  /** The entry of (hi, lo), or -1. */
  get(hi: number, lo: number): number {
    const cells = this.cells;
    const mask = this.mask;
    let c = hash(hi, lo) & mask;
    for (let e = cells[c]; e !== 0; e = cells[c]) {
      if (this.hi[e - 1] === hi && this.lo[e - 1] === lo) return e - 1;
      c = (c + 1) & mask;
    }
    return -1;
  }

  private growEntries(): void {
    const n = this.hi.length * 2;
    this.hi = grown(this.hi, n);
    this.lo = grown(this.lo, n);
    this.values = grown(this.values, n * this.width);
  }

  private rehash(): void {
    const cellCount = (this.mask + 1) * 2;
    if (cellCount > this.cells.length) this.cells = new Int32Array(cellCount);
    else this.cells.fill(0, 0, cellCount);
    const cells = this.cells;
    const mask = cellCount - 1;
    this.mask = mask;
    for (let e = 0; e < this.size; e++) {
      let c = hash(this.hi[e], this.lo[e]) & mask;
      while (cells[c] !== 0) c = (c + 1) & mask;
      cells[c] = e + 1;
    }
  }
}

/** A power of two at least twice `expected` (and at least 16). */
function cellsFor(expected: number): number {
  let n = 16;
  while (n < 2 * expected + 2) n *= 2;
  return n;
}

/** murmur3's finalizer over both words: ids and ports that differ in a few low bits spread out. */
function hash(hi: number, lo: number): number {
  let h = Math.imul(hi, 0x9e3779b1) ^ lo;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}
