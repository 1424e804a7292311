import type { Writable } from 'node:stream';
import {
  type CaptureRecord,
  type IndexInterface,
  type PacketIndex,
  pcapHeader,
  writeRecordHeader,
} from '../capture/index.js';
import { OutputClosedError } from './errors.js';

export type OutputFormat = 'pcap' | 'pcap-ns' | 'pcapng';

/** How records reach the output. */
export type OutputPlan =
  /** pcap in, pcap out: the file header and each record (header and data) as read. */
  | { kind: 'copy' }
  /** pcapng with one interface in play: pcap with its link type and precision; data as read. */
  | { kind: 'convert'; iface: IndexInterface }
  /** pcapng: section headers, the interfaces the records use (renumbered from 0) and packet blocks as read. */
  | { kind: 'pcapng' };

/** The format a plan writes (known before the first byte, for a response's type and file name). */
export function planFormat(index: PacketIndex, plan: OutputPlan): OutputFormat {
  if (plan.kind === 'copy') return index.format === 'pcap-ns' ? 'pcap-ns' : 'pcap';
  if (plan.kind === 'convert') return plan.iface.nanosecond ? 'pcap-ns' : 'pcap';
  return 'pcapng';
}

/** Output is gathered in buffers of this size and handed to the stream whole. */
const STAGE_BYTES = 1 << 20;

/**
 * Writes the selected records to a stream as they are found. Records are copied into a staging
 * buffer (runs of consecutive pcap records in one copy) that is handed over when full or when the
 * reader is about to reuse its chunk (`flush`), which then waits while the stream is over its
 * high-water mark: memory stays at a chunk or two whatever the output's size.
 */
export class PacketOutput {
  readonly format: OutputFormat;
  packets = 0;
  /** Wire bytes (original lengths) and captured bytes of the records written. */
  bytes = 0;
  capturedBytes = 0;

  private stage: Buffer = Buffer.allocUnsafe(STAGE_BYTES);
  private len = 0;
  /** Stages the stream has finished with, reused: memory stays flat without waiting for the GC. */
  private readonly spare: Buffer[] = [];
  // The run of consecutive records not yet copied (copy mode): they sit in the reader's chunk.
  private runBuf: Buffer | null = null;
  private runStart = 0;
  private runEnd = 0;
  private readonly headerLength: number;
  private readonly nanosecond: boolean;
  // pcapng: the input section being written, its byte order, and input → output interface numbers.
  private section = -1;
  private le = true;
  private ifaceMap = new Int32Array(0);
  private nextIface = 0;
  private failure: Error | null = null;
  private waiting = false;

  constructor(
    private readonly out: Writable,
    private readonly index: PacketIndex,
    private readonly plan: OutputPlan,
  ) {
    out.on('error', (err) => {
      this.failure ??= err;
    });
    this.headerLength = index.recordHeaderLength;
    this.nanosecond = plan.kind === 'convert' && plan.iface.nanosecond;
    this.format = planFormat(index, plan);
    if (plan.kind === 'copy') this.put(index.pcapHeader!, 0, 24);
    else if (plan.kind === 'convert') {
      const f = plan.iface;
      const header = pcapHeader({
        linkType: f.linkType,
        nanosecond: f.nanosecond,
        snaplen: f.snaplen || 262144,
      });
      this.put(header, 0, header.length);
    }
  }

  /** Adds one record (of input section `section`, for pcapng); call `flush` before its chunk is reused. */
  add(rec: CaptureRecord, section: number): void {
    this.packets++;
    this.bytes += rec.origLen;
    this.capturedBytes += rec.capLen;
    const kind = this.plan.kind;
    if (kind === 'copy') {
      const start = rec.offset - this.headerLength;
      const end = rec.offset + rec.capLen;
      if (rec.buf === this.runBuf && start === this.runEnd) {
        this.runEnd = end;
        return;
      }
      this.endRun();
      this.runBuf = rec.buf;
      this.runStart = start;
      this.runEnd = end;
    } else if (kind === 'convert') {
      this.room(16 + rec.capLen);
      writeRecordHeader(
        this.stage,
        this.len,
        rec.tsSec,
        rec.tsNsec,
        rec.capLen,
        rec.origLen,
        this.nanosecond,
      );
      rec.buf.copy(this.stage, this.len + 16, rec.offset, rec.offset + rec.capLen);
      this.len += 16 + rec.capLen;
    } else this.addBlock(rec, section);
  }

  /** Hands what is gathered to the stream and waits while the stream is full. */
  async flush(): Promise<void> {
    this.endRun();
    this.ship();
    if (this.failure) throw this.closed();
    if (this.out.writableNeedDrain) await this.drained();
  }

  /** Ends the output: an empty pcapng still gets its first section's header and interfaces. */
  async finish(): Promise<void> {
    if (this.plan.kind === 'pcapng' && this.section < 0 && this.index.sections.length > 0) {
      this.startSection(0);
      const n = this.index.sections[0].interfaces.length;
      for (let id = 0; id < n; id++) this.addInterface(id);
    }
    await this.flush();
  }

  // ---------------------------------------------------------------------------------- pcapng

  private addBlock(rec: CaptureRecord, section: number): void {
    if (section !== this.section) this.startSection(section);
    const id = rec.interfaceId;
    // A Simple Packet Block names no interface: it is interface 0's, so that must stay number 0.
    const simple = !rec.hasTimestamp;
    let o = this.ifaceMap[id];
    if (simple && o !== 0 && this.nextIface > 0) {
      this.startSection(section);
      o = -1;
    }
    if (o < 0) o = this.addInterface(id);
    const buf = rec.buf;
    const start = rec.offset - (simple ? 12 : 28);
    const le = this.le;
    const length = le ? buf.readUInt32LE(start + 4) : buf.readUInt32BE(start + 4);
    this.room(length);
    const at = this.len;
    buf.copy(this.stage, at, start, start + length);
    this.len += length;
    if (o !== id) {
      // The obsolete Packet Block (type 2) has a 16-bit interface id; the Enhanced one 32 bits.
      const type = le ? buf.readUInt32LE(start) : buf.readUInt32BE(start);
      if (type === 2) {
        if (le) this.stage.writeUInt16LE(o, at + 8);
        else this.stage.writeUInt16BE(o, at + 8);
      } else if (le) this.stage.writeUInt32LE(o, at + 8);
      else this.stage.writeUInt32BE(o, at + 8);
    }
  }

  /** Opens an output section like input section `s`: its header as read, with the length unknown. */
  private startSection(s: number): void {
    const sec = this.index.sections[s];
    const shb = sec.shb;
    this.le = shb.readUInt32LE(8) === 0x1a2b3c4d;
    this.room(shb.length);
    shb.copy(this.stage, this.len);
    // The section length no longer holds: -1 says "not given".
    this.stage.fill(0xff, this.len + 16, this.len + 24);
    this.len += shb.length;
    this.section = s;
    this.ifaceMap = new Int32Array(sec.interfaces.length).fill(-1);
    this.nextIface = 0;
  }

  private addInterface(id: number): number {
    const idb = this.index.sections[this.section].interfaces[id].idb;
    this.room(idb.length);
    idb.copy(this.stage, this.len);
    this.len += idb.length;
    this.ifaceMap[id] = this.nextIface;
    return this.nextIface++;
  }

  // ---------------------------------------------------------------------------------- staging

  private endRun(): void {
    const run = this.runBuf;
    if (run === null) return;
    this.runBuf = null;
    this.put(run, this.runStart, this.runEnd);
  }

  private put(src: Buffer, from: number, to: number): void {
    const n = to - from;
    if (n > STAGE_BYTES) {
      // A run longer than the stage goes out as a copy of its own.
      this.ship();
      this.write(Buffer.from(src.subarray(from, to)));
      return;
    }
    this.room(n);
    src.copy(this.stage, this.len, from, to);
    this.len += n;
  }

  /** Makes room for n more bytes in the stage (records up to 16 MiB fit a stage of their own). */
  private room(n: number): void {
    if (this.len + n <= this.stage.length) return;
    this.ship();
    if (n > this.stage.length) this.stage = Buffer.allocUnsafe(n);
  }

  /** Hands the stage to the stream (which keeps it until written) and starts another. */
  private ship(): void {
    if (this.len === 0) return;
    const stage = this.stage;
    const full = stage.subarray(0, this.len);
    this.stage = this.spare.pop() ?? Buffer.allocUnsafe(STAGE_BYTES);
    this.len = 0;
    this.write(full, stage.length === STAGE_BYTES ? stage : null);
  }

  /** Writes bytes; `reuse`, once the stream is done with them, becomes a spare stage. */
  private write(bytes: Buffer, reuse: Buffer | null = null): void {
    if (this.failure || this.out.destroyed) throw this.closed();
    this.out.write(bytes, (err) => {
      if (!err && reuse !== null && this.spare.length < 4) this.spare.push(reuse);
    });
  }

  private closed(): OutputClosedError {
    const why = this.failure ? `: ${this.failure.message}` : '';
    return new OutputClosedError(`the output was closed before every packet was written${why}`);
  }

  private drained(): Promise<void> {
    const out = this.out;
    if (this.waiting) throw new Error('flush called while a flush is waiting');
    this.waiting = true;
    return new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        out.off('drain', onDrain);
        out.off('close', onClose);
        out.off('error', onClose);
        this.waiting = false;
        if (err) reject(err);
        else resolve();
      };
      const onDrain = () => done();
      const onClose = () => done(this.closed());
      out.on('drain', onDrain);
      out.on('close', onClose);
      out.on('error', onClose);
    });
  }
}
