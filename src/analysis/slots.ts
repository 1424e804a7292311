/**
 * The slot array of an open-addressing table with linear probing: pairs (entry + 1, hash), 0 for
 * an empty slot, `mask + 1` pairs. The flow table keeps its flows this way, and the bench's bare
 * flow table too (`bench/floor.ts`), so both pay the same for a lookup and a removal.
 */

/** Puts entry e (its key's hash) in the first free slot from its home. */
export function placeSlot(slots: Int32Array, mask: number, e: number, hash: number): void {
  let i = hash & mask;
  while (slots[2 * i] !== 0) i = (i + 1) & mask;
  slots[2 * i] = e + 1;
  slots[2 * i + 1] = hash;
}

/** Takes entry e (its key's hash) out; backward-shift deletion keeps every probe chain intact. */
export function removeSlot(slots: Int32Array, mask: number, e: number, hash: number): void {
  let i = hash & mask;
  while (slots[2 * i] !== e + 1) i = (i + 1) & mask;
  let j = i;
  for (;;) {
    j = (j + 1) & mask;
    const s = slots[2 * j];
    if (s === 0) break;
    const home = slots[2 * j + 1] & mask;
    // Move the entry back if its home slot is not within (i, j].
    if (i <= j ? home <= i || home > j : home <= i && home > j) {
      slots[2 * i] = s;
      slots[2 * i + 1] = slots[2 * j + 1];
      i = j;
    }
  }
  slots[2 * i] = 0;
}
