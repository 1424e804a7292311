import { grown } from './grown.js';

/**
 * Flows waiting to be looked at for idleness, in the order queued: a ring of (flow slot, flow id,
 * time queued) that doubles when full. The flow table walks it from `head` (the oldest) and
 * stops at the first entry queued too recently to be idle; the bench's bare flow table
 * (`bench/floor.ts`) uses the same queue, so both pay the same for it.
 */
export class IdleQueue {
  flow = new Int32Array(1024);
  id = new Int32Array(1024);
  stamp = new Float64Array(1024);
  head = 0;
  length = 0;

  push(f: number, id: number, stamp: number): void {
    let n = this.stamp.length;
    if (this.length === n) {
      // Full: unrolled from the head into a twice larger ring (the head is at 0 there).
      this.flow = unrolled(this.flow, this.head, n);
      this.id = unrolled(this.id, this.head, n);
      this.stamp = unrolled(this.stamp, this.head, n);
      this.head = 0;
      n *= 2;
    }
    let at = this.head + this.length;
    if (at >= n) at -= n;
    this.flow[at] = f;
    this.id[at] = id;
    this.stamp[at] = stamp;
    this.length++;
  }

  /** Drops the oldest entry (read at `head` before). */
  shift(): void {
    const next = this.head + 1;
    this.head = next === this.stamp.length ? 0 : next;
    this.length--;
  }

  clear(): void {
    this.head = 0;
    this.length = 0;
  }
}

/** A full ring of n entries from `head`, in order, at the start of an array twice as long. */
function unrolled<T extends Int32Array | Float64Array>(a: T, head: number, n: number): T {
  const b = grown(a.subarray(head) as T, 2 * n);
  b.set(a.subarray(0, head), n - head);
  return b;
}
