/**
 * PostgreSQL's binary COPY format (the same on PostgreSQL 15 and PGlite): a signature, then rows
 * of (field count, then each field's length and bytes, -1 for NULL), then -1. Values are written
 * exactly (doubles as IEEE bits, integers as big-endian words), so nothing is parsed or rounded
 * on the way in, which makes it cheaper than CSV at both ends.
 */

/** "PGCOPY\n\377\r\n\0", flags 0, header extension length 0. */
export const COPY_HEADER = new Uint8Array([
  0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
]);
/** The end of the rows: a field count of -1. */
export const COPY_TRAILER = new Uint8Array([0xff, 0xff]);

/** The rows of a whole COPY input (see BinaryRows' `framed`), without its header and trailer. */
export function unframe(copy: Uint8Array): Uint8Array {
  return copy.subarray(COPY_HEADER.length, copy.length - COPY_TRAILER.length);
}

const encoder = new TextEncoder();

/**
 * Writes binary COPY rows into a growing buffer: the rows alone, or `framed`, a whole COPY input
 * (header, rows, trailer) that a loader can hand to the database as it is (see
 * BinaryCopy.writeFramed).
 */
export class BinaryRows {
  buf: Uint8Array;
  private view: DataView;
  pos = 0;
  rows = 0;

  constructor(
    capacity = 1 << 20,
    private readonly framed = false,
  ) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
    this.start();
  }

  private start(): void {
    this.pos = 0;
    this.rows = 0;
    if (this.framed) {
      this.buf.set(COPY_HEADER, 0);
      this.pos = COPY_HEADER.length;
    }
  }

  /** Starts a row of `fields` fields; `room` bytes are made available for its fixed-size fields. */
  row(fields: number, room: number): void {
    this.reserve(room + 2);
    this.view.setInt16(this.pos, fields);
    this.pos += 2;
    this.rows++;
  }

  int4(v: number): void {
    const p = this.pos;
    this.view.setInt32(p, 4);
    this.view.setInt32(p + 4, v);
    this.pos = p + 8;
  }

  /** A bigint from a safe integer (counts and ids). */
  int8(v: number): void {
    const hi = Math.floor(v / 4294967296);
    this.int8Parts(hi, v - hi * 4294967296);
  }

  /** A bigint given as its high and low 32 bits (an id beyond the safe integers). */
  int8Parts(hi: number, lo: number): void {
    const p = this.pos;
    const view = this.view;
    view.setInt32(p, 8);
    view.setInt32(p + 4, hi);
    view.setUint32(p + 8, lo);
    this.pos = p + 12;
  }

  float8(v: number): void {
    const p = this.pos;
    this.view.setInt32(p, 8);
    this.view.setFloat64(p + 4, v);
    this.pos = p + 12;
  }

  null(): void {
    this.view.setInt32(this.pos, -1);
    this.pos += 4;
  }

  /** Bytes already encoded (an address's text, a constant). */
  bytes(b: Uint8Array): void {
    this.reserve(4 + b.length);
    this.view.setInt32(this.pos, b.length);
    this.buf.set(b, this.pos + 4);
    this.pos += 4 + b.length;
  }

  /** Bytes already encoded, found at src[off, off + n) (an address's text in a shared arena). */
  bytesAt(src: Uint8Array, off: number, n: number): void {
    this.reserve(4 + n);
    const p = this.pos;
    this.view.setInt32(p, n);
    const buf = this.buf;
    for (let i = 0; i < n; i++) buf[p + 4 + i] = src[off + i];
    this.pos = p + 4 + n;
  }

  /**
   * A text value, or NULL. PostgreSQL text cannot hold NUL characters (a DNS label may carry one):
   * they are stored as U+FFFD.
   */
  text(value: string | null | undefined): void {
    if (value === null || value === undefined) {
      this.reserve(4);
      this.null();
      return;
    }
    const s = value.includes('\0') ? value.replaceAll('\0', '\uFFFD') : value;
    this.reserve(4 + 3 * s.length);
    const { written } = encoder.encodeInto(s, this.buf.subarray(this.pos + 4));
    this.view.setInt32(this.pos, written);
    this.pos += 4 + written;
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
    this.view = new DataView(grown.buffer);
  }

  /**
   * The rows written so far, and starts over in a new buffer: the caller may transfer the old one
   * (a fresh buffer costs less than copying megabytes of rows out of this one).
   */
  take(): { data: Uint8Array; rows: number } {
    if (this.framed) {
      this.reserve(COPY_TRAILER.length);
      this.buf.set(COPY_TRAILER, this.pos);
      this.pos += COPY_TRAILER.length;
    }
    const data = this.buf.subarray(0, this.pos);
    const rows = this.rows;
    this.buf = new Uint8Array(this.buf.length);
    this.view = new DataView(this.buf.buffer);
    this.start();
    return { data, rows };
  }
}

/** The text of a string as UTF-8 bytes (for values written many times). */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}
