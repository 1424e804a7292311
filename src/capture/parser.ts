import { hex, u16, u32, u32be, u32le } from './bytes.js';
import type { PacketIndexBuilder } from './packet-index.js';
import { type CaptureFormat, CaptureFormatError, type CaptureInfo, CaptureRecord } from './record.js';
import { WarningLog } from './warnings.js';

/** libpcap's rule: a record longer than this is corruption unless the header's snaplen allows it. */
export const DEFAULT_MAX_RECORD = 256 * 1024;
/** Whatever the snaplen says, no record or block above this is believed (bounded memory). */
export const HARD_MAX_RECORD = 16 * 1024 * 1024;

const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_IDB = 1;
const PCAPNG_PB = 2;
const PCAPNG_SPB = 3;
const PCAPNG_EPB = 6;
const BOM = 0x1a2b3c4d;

/** Link-type field bits that libpcap requires to be zero (FCS bits above them are allowed). */
const LINKTYPE_RESERVED_BITS = 0x03ff0000;

interface PcapngInterface {
  linkType: number;
  snaplen: number;
  /** Timestamp units per second, and how to turn a remainder of units into nanoseconds. */
  unitsPerSec: number;
  decimalExp: number; // >= 0 when units are 10^-decimalExp s, else -1
  tsOffsetSec: number;
}

type Stage = 'detect' | 'pcap' | 'pcapng' | 'stopped';

/**
 * A push parser for pcap and pcapng. The driver hands it a buffer holding the next unread bytes of
 * the capture; it emits every complete record through `onRecord` and returns how far it got. It never
 * copies packet data and never allocates per record. When it needs more bytes than the buffer holds
 * it says how many in `need`, so the driver can grow its buffer up to the hard limit.
 */
export class CaptureParser {
  readonly info: CaptureInfo = {
    format: null,
    compression: null,
    linkTypes: [],
    records: 0,
    bytesRead: 0,
    truncated: false,
    warnings: [],
  };
  /** Bytes needed from the returned position before the parser can make progress. */
  need = 0;
  readonly warnings = new WarningLog();

  private stage: Stage = 'detect';
  private le = true;
  private readonly rec = new CaptureRecord();
  // pcap state
  private recordHeaderLen = 16;
  private fracPerSec = 1_000_000;
  private nsPerFrac = 1000;
  private maxRecord = DEFAULT_MAX_RECORD;
  private snaplen = 0;
  // pcapng state
  private interfaces: PcapngInterface[] = [];
  private sections = 0;
  private lastSec = 0;
  private lastNsec = 0;

  constructor(
    private readonly onRecord: (rec: CaptureRecord) => void,
    /** Builds the packet index in the same pass (see packet-index.ts). */
    private readonly index: PacketIndexBuilder | null = null,
  ) {}

  get stopped(): boolean {
    return this.stage === 'stopped';
  }

  /**
   * Continues at a record in the middle of a capture, once the bytes before it that the parser
   * must know (the file header, or the section header and interfaces) have been parsed: the next
   * record is number `record`, and a Simple Packet Block there repeats the time `carrySec`/`carryNsec`.
   */
  resume(record: number, carrySec: number, carryNsec: number): void {
    this.info.records = record;
    this.lastSec = carrySec;
    this.lastNsec = carryNsec;
  }

  /**
   * Parses buf[start, end). `fileOffset` is the capture offset of buf[0], for messages. With `eof`
   * set, an incomplete record at the end is reported as truncation instead of waiting for more.
   * Returns the position up to which the bytes were consumed.
   */
  parse(buf: Buffer, start: number, end: number, eof: boolean, fileOffset: number): number {
    this.need = 0;
    let p = start;
    if (this.stage === 'detect') {
      p = this.detect(buf, p, end, eof);
      if (this.stage === 'detect') return p;
    }
    if (this.stage === 'pcap') p = this.pcapRecords(buf, p, end, fileOffset);
    else if (this.stage === 'pcapng') p = this.pcapngBlocks(buf, p, end, fileOffset);
    if (eof && this.stage === 'pcapng' && this.sections === 0) {
      // Cut inside the first section header: nothing of the file can be read, as for a cut pcap header.
      this.fatal(`pcapng section header cut short: ${end - p} bytes`);
    }
    if (eof && this.stage !== 'stopped' && p < end) {
      this.stop(`file ends inside a record at offset ${fileOffset + p} (${end - p} bytes left over)`);
    }
    this.info.bytesRead = fileOffset + p;
    return p;
  }

  /** Finishes: fills `info.warnings`; call once after the last `parse`. */
  finish(): CaptureInfo {
    if (this.stage === 'detect') throw new CaptureFormatError('empty file: no capture header');
    this.info.warnings = this.warnings.list();
    return this.info;
  }

  private stop(reason: string): void {
    this.stage = 'stopped';
    this.info.truncated = true;
    this.warnings.add('truncated', `${reason}; kept the ${this.info.records} records before it`);
  }

  private fatal(reason: string): never {
    throw new CaptureFormatError(reason);
  }

  private addLinkType(linkType: number): void {
    if (!this.info.linkTypes.includes(linkType)) this.info.linkTypes.push(linkType);
  }

  // ---------------------------------------------------------------- format detection and headers

  private detect(buf: Buffer, p: number, end: number, eof: boolean): number {
    const avail = end - p;
    if (avail < 4) {
      if (eof) {
        if (avail === 0) this.fatal('empty file: no capture header');
        this.fatal(`file too short for a capture header (${avail} bytes)`);
      }
      this.need = 4;
      return p;
    }
    const magicLe = u32le(buf, p);
    if (magicLe === PCAPNG_SHB) {
      this.stage = 'pcapng';
      this.info.format = 'pcapng';
      return p;
    }
    let format: CaptureFormat | null = null;
    let le = true;
    let modified = false;
    switch (magicLe) {
      case 0xa1b2c3d4:
        format = 'pcap';
        break;
      case 0xa1b23c4d:
        format = 'pcap-ns';
        break;
      case 0xa1b2cd34:
        format = 'pcap';
        modified = true;
        break;
      default: {
        const magicBe = u32be(buf, p);
        if (magicBe === 0xa1b2c3d4) format = 'pcap';
        else if (magicBe === 0xa1b23c4d) format = 'pcap-ns';
        else if (magicBe === 0xa1b2cd34) {
          format = 'pcap';
          modified = true;
        }
        le = false;
      }
    }
    if (format === null) {
      const what = buf[p] === 0x89 && buf[p + 1] === 0x50 ? ' (a PNG image)' : '';
      this.fatal(`not a pcap or pcapng capture${what}: unknown magic ${hex(buf, p, 4)}`);
    }
    if (avail < 24) {
      if (eof) this.fatal(`pcap global header cut short: ${avail} of 24 bytes`);
      this.need = 24;
      return p;
    }
    const major = u16(buf, p + 4, le);
    const minor = u16(buf, p + 6, le);
    if (major !== 2) this.fatal(`unsupported pcap version ${major}.${minor} (only 2.x exists)`);
    if (minor > 4) {
      // libpcap refuses this; tshark reads it. The records are ordinary, so read them and say so.
      this.warnings.add('unusual header', `pcap version 2.${minor} (expected 2.4)`);
    }
    const snaplen = u32(buf, p + 16, le);
    const linkField = u32(buf, p + 20, le);
    if ((linkField & LINKTYPE_RESERVED_BITS) !== 0) {
      this.fatal(
        `pcap header link-type field 0x${linkField.toString(16).padStart(8, '0')} has reserved bits set`,
      );
    }
    this.le = le;
    this.stage = 'pcap';
    this.info.format = format;
    this.recordHeaderLen = modified ? 24 : 16;
    this.fracPerSec = format === 'pcap-ns' ? 1_000_000_000 : 1_000_000;
    this.nsPerFrac = format === 'pcap-ns' ? 1 : 1000;
    this.snaplen = snaplen;
    this.maxRecord = snaplen > DEFAULT_MAX_RECORD ? Math.min(snaplen, HARD_MAX_RECORD) : DEFAULT_MAX_RECORD;
    this.rec.linkType = linkField & 0xffff;
    this.addLinkType(this.rec.linkType);
    this.index?.pcapFileHeader(buf, p, this.recordHeaderLen);
    return p + 24;
  }

  // ------------------------------------------------------------------------------------ pcap

  private pcapRecords(buf: Buffer, p: number, end: number, fileOffset: number): number {
    const le = this.le;
    const hdr = this.recordHeaderLen;
    const rec = this.rec;
    const maxRecord = this.maxRecord;
    const fracPerSec = this.fracPerSec;
    const nsPerFrac = this.nsPerFrac;
    const onRecord = this.onRecord;
    const snaplen = this.snaplen;
    rec.buf = buf;
    // One DataView per chunk: getUint32 compiles to a single load, unlike four byte reads.
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let index = this.info.records;
    // The packet index (when built): where the next block starts, in this buffer's coordinates,
    // and the open block's first and last second, kept in locals and written back when the block
    // ends. (Whole seconds: two integer compares per record, not four, keep the read's speed.)
    const ix = this.index;
    let ixAt = ix ? ix.nextOffset - fileOffset : 0;
    let ixRecord = ix ? ix.nextRecord : 0;
    let minSec = ix ? ix.minSec : 0;
    let maxSec = ix ? ix.maxSec : 0;
    while (p + hdr <= end) {
      const sec = view.getUint32(p, le);
      let frac = view.getUint32(p + 4, le);
      const capLen = view.getUint32(p + 8, le);
      const origLen = view.getUint32(p + 12, le);
      if (capLen > maxRecord) {
        this.info.records = index;
        this.stop(
          `record ${index + 1} at offset ${fileOffset + p} claims ${capLen} captured bytes, above the ${maxRecord}-byte limit (damaged record header)`,
        );
        break;
      }
      if (p + hdr + capLen > end) {
        this.need = hdr + capLen;
        break;
      }
      let s = sec;
      if (frac >= fracPerSec) {
        this.warnings.add(
          'invalid fractional second',
          `record ${index + 1} has ${frac} in its sub-second field (carried into the seconds)`,
        );
        s += Math.floor(frac / fracPerSec);
        frac %= fracPerSec;
      }
      if (capLen > origLen || (capLen > snaplen && snaplen > 0)) this.oddLength(index, capLen, origLen);
      const ns = frac * nsPerFrac;
      if (ix !== null) {
        if (p >= ixAt || index >= ixRecord) {
          ix.minSec = minSec;
          ix.maxSec = maxSec;
          ix.startBlock(fileOffset + p, index, 0, 0, 0);
          ixAt = ix.nextOffset - fileOffset;
          ixRecord = ix.nextRecord;
          minSec = s;
          maxSec = s;
        } else if (s < minSec) minSec = s;
        else if (s > maxSec) maxSec = s;
      }
      rec.tsSec = s;
      rec.tsNsec = ns;
      rec.offset = p + hdr;
      rec.capLen = capLen;
      rec.origLen = origLen;
      rec.index = index++;
      onRecord(rec);
      p += hdr + capLen;
    }
    this.info.records = index;
    if (ix !== null) {
      ix.minSec = minSec;
      ix.maxSec = maxSec;
    }
    return p;
  }

  /** Notes a record whose captured length is above its original length or the snaplen. */
  private oddLength(index: number, capLen: number, origLen: number): void {
    if (capLen > origLen) {
      this.warnings.add(
        'captured length above original length',
        `record ${index + 1}: ${capLen} captured of ${origLen}`,
      );
    } else {
      this.warnings.add(
        'captured length above snaplen',
        `record ${index + 1}: ${capLen} bytes, snaplen ${this.snaplen}`,
      );
    }
  }

  // ---------------------------------------------------------------------------------- pcapng

  private pcapngBlocks(buf: Buffer, p: number, end: number, fileOffset: number): number {
    while (p + 12 <= end) {
      let le = this.le;
      const type = u32(buf, p, le);
      if (type === PCAPNG_SHB) {
        const bom = u32le(buf, p + 8);
        if (bom === BOM) le = true;
        else if (bom === 0x4d3c2b1a) le = false;
        else return this.damaged(`section header at offset ${fileOffset + p} has no byte-order magic`, p);
      }
      const len = u32(buf, p + 4, le);
      if (len < 12 || len % 4 !== 0 || len > HARD_MAX_RECORD + 1024) {
        return this.damaged(`block at offset ${fileOffset + p} has an impossible length ${len}`, p);
      }
      if (p + len > end) {
        this.need = len;
        break;
      }
      const trailer = u32(buf, p + len - 4, le);
      if (trailer !== len) {
        return this.damaged(
          `block at offset ${fileOffset + p}: leading and trailing block lengths differ (${len} and ${trailer})`,
          p,
        );
      }
      if (type === PCAPNG_SHB) {
        if (!this.sectionHeader(buf, p, len, le, fileOffset)) return p;
      } else if (this.sections === 0) {
        this.fatal('pcapng file does not start with a section header block');
      } else if (type === PCAPNG_EPB || type === PCAPNG_SPB || type === PCAPNG_PB) {
        const before = this.info.records;
        if (this.index !== null) this.indexBlockAt(fileOffset + p, before);
        if (type === PCAPNG_EPB) {
          if (!this.packetBlock(buf, p, len, fileOffset, u32(buf, p + 8, le))) return p;
        } else if (type === PCAPNG_SPB) this.simplePacket(buf, p, len, fileOffset);
        else if (!this.packetBlock(buf, p, len, fileOffset, u16(buf, p + 8, le))) return p;
        if (this.index !== null && this.info.records > before) this.indexRecord();
      } else if (type === PCAPNG_IDB) {
        if (!this.interfaceDescription(buf, p, len, fileOffset)) return p;
      }
      // Name resolution, statistics, decryption secrets, custom and unknown blocks: skipped.
      p += len;
    }
    return p;
  }

  /** A damaged structure: fatal before any section was read, else stop and keep what was read. */
  private damaged(reason: string, p: number): number {
    if (this.sections === 0) this.fatal(reason);
    this.stop(reason);
    return p;
  }

  /** Like `damaged`, for block handlers: false tells the block loop to stop here. */
  private broken(reason: string): false {
    if (this.sections === 0) this.fatal(reason);
    this.stop(reason);
    return false;
  }

  private sectionHeader(buf: Buffer, p: number, len: number, le: boolean, fileOffset: number): boolean {
    if (len < 28) return this.broken(`section header at offset ${fileOffset + p} is too short`);
    const major = u16(buf, p + 12, le);
    const minor = u16(buf, p + 14, le);
    if (major !== 1 || (minor !== 0 && minor !== 2)) {
      const reason = `unsupported pcapng version ${major}.${minor} in the section header at offset ${fileOffset + p}`;
      return this.broken(reason);
    }
    const bad = this.walkOptions(buf, p + 24, p + len - 4, le, null);
    if (bad) return this.broken(`section header at offset ${fileOffset + p}: ${bad}`);
    this.le = le;
    this.sections++;
    this.interfaces = [];
    this.index?.sectionHeader(buf, p, len);
    return true;
  }

  private interfaceDescription(buf: Buffer, p: number, len: number, fileOffset: number): boolean {
    const le = this.le;
    if (len < 20) return this.broken(`interface block at offset ${fileOffset + p} is too short`);
    const iface: PcapngInterface = {
      linkType: u16(buf, p + 8, le),
      snaplen: u32(buf, p + 12, le),
      unitsPerSec: 1_000_000,
      decimalExp: 6,
      tsOffsetSec: 0,
    };
    const bad = this.walkOptions(buf, p + 16, p + len - 4, le, iface);
    if (bad) return this.broken(`interface block at offset ${fileOffset + p}: ${bad}`);
    this.interfaces.push(iface);
    this.addLinkType(iface.linkType);
    // Finer than microseconds, or binary fractions (not exact in microseconds): pcap needs ns.
    const nanosecond = iface.decimalExp < 0 || iface.decimalExp > 6;
    this.index?.interfaceDescription(buf, p, len, iface.linkType, iface.snaplen, nanosecond);
    return true;
  }

  /** Checks that options stay inside the block; reads if_tsresol and if_tsoffset into `iface`. */
  private walkOptions(
    buf: Buffer,
    p: number,
    end: number,
    le: boolean,
    iface: PcapngInterface | null,
  ): string | null {
    while (p + 4 <= end) {
      const code = u16(buf, p, le);
      const olen = u16(buf, p + 2, le);
      if (code === 0) return null;
      if (p + 4 + olen > end) return `option ${code} of length ${olen} runs past the end of the block`;
      if (iface && code === 9 && olen >= 1) {
        const v = buf[p + 4];
        const exp = v & 0x7f;
        if (v & 0x80) {
          iface.unitsPerSec = 2 ** exp;
          iface.decimalExp = -1;
        } else if (exp <= 15) {
          iface.unitsPerSec = 10 ** exp;
          iface.decimalExp = exp;
        } else {
          return `if_tsresol 10^-${exp} is beyond what the reader supports`;
        }
        if (iface.unitsPerSec > 2 ** 36) return `if_tsresol 2^-${exp} is beyond what the reader supports`;
      } else if (iface && code === 14 && olen >= 8) {
        const hi = u32(buf, p + (le ? 8 : 4), le) | 0;
        const lo = u32(buf, p + (le ? 4 : 8), le);
        iface.tsOffsetSec = hi * 4294967296 + lo;
      }
      p += 4 + ((olen + 3) & ~3);
    }
    return null;
  }

  /** Packet index: starts a block at this packet block when the open one is full. */
  private indexBlockAt(offset: number, record: number): void {
    const ix = this.index!;
    if (offset >= ix.nextOffset || record >= ix.nextRecord) {
      ix.startBlock(offset, record, this.lastSec, this.lastNsec, this.interfaces.length);
    }
  }

  /** Packet index: the record just emitted, in the open block's seconds and interfaces. */
  private indexRecord(): void {
    const ix = this.index!;
    const s = this.lastSec;
    if (s < ix.minSec) ix.minSec = s;
    if (s > ix.maxSec) ix.maxSec = s;
    const id = this.rec.interfaceId;
    ix.interfaceMask |= id < 31 ? 1 << id : 1 << 31;
    if (!this.rec.hasTimestamp) ix.untimedRecords++;
  }

  private interfaceFor(id: number, blockOffset: number): PcapngInterface | null {
    const iface = this.interfaces[id];
    if (iface) return iface;
    this.warnings.add(
      'packet on an undeclared interface',
      `block at offset ${blockOffset} names interface ${id} of ${this.interfaces.length} (block skipped)`,
    );
    return null;
  }

  /**
   * An Enhanced Packet Block, or the obsolete Packet Block: the same layout but for the interface
   * id (32 bits in an EPB; 16 bits followed by a drop count in a PB).
   */
  private packetBlock(buf: Buffer, p: number, len: number, fileOffset: number, ifId: number): boolean {
    const le = this.le;
    if (len < 32) return this.broken(`packet block at offset ${fileOffset + p} is too short`);
    const capLen = u32(buf, p + 20, le);
    if (capLen > len - 32) {
      return this.broken(
        `packet block at offset ${fileOffset + p} claims ${capLen} captured bytes in a ${len}-byte block`,
      );
    }
    const iface = this.interfaceFor(ifId, fileOffset + p);
    if (!iface) return true;
    this.emit(
      buf,
      p + 28,
      capLen,
      u32(buf, p + 24, le),
      iface,
      ifId,
      u32(buf, p + 12, le),
      u32(buf, p + 16, le),
    );
    return true;
  }

  private simplePacket(buf: Buffer, p: number, len: number, fileOffset: number): void {
    const iface = this.interfaceFor(0, fileOffset + p);
    if (!iface || len < 16) return;
    const origLen = u32(buf, p + 8, this.le);
    // An SPB's captured length is implied: the original length, cut by snaplen and by the block.
    let capLen = Math.min(origLen, len - 16);
    if (iface.snaplen > 0) capLen = Math.min(capLen, iface.snaplen);
    const rec = this.rec;
    rec.buf = buf;
    rec.offset = p + 12;
    rec.capLen = capLen;
    rec.origLen = origLen;
    rec.tsSec = this.lastSec;
    rec.tsNsec = this.lastNsec;
    rec.hasTimestamp = false;
    rec.linkType = iface.linkType;
    rec.interfaceId = 0;
    rec.index = this.info.records++;
    this.onRecord(rec);
  }

  private emit(
    buf: Buffer,
    offset: number,
    capLen: number,
    origLen: number,
    iface: PcapngInterface,
    ifId: number,
    hi: number,
    lo: number,
  ): void {
    const rec = this.rec;
    const units = iface.unitsPerSec;
    let sec: number;
    let rem: number;
    if (hi < 0x200000) {
      // Below 2^53 the count is exact as a double.
      const v = hi * 4294967296 + lo;
      sec = Math.floor(v / units);
      rem = v - sec * units;
      if (rem < 0) {
        sec--;
        rem += units;
      } else if (rem >= units) {
        sec++;
        rem -= units;
      }
    } else {
      // Nanosecond counts of today's dates exceed 2^53: long division in 16-bit limbs stays exact.
      let cur = hi >>> 16;
      let q = Math.floor(cur / units);
      rem = cur - q * units;
      cur = rem * 65536 + (hi & 0xffff);
      let qd = Math.floor(cur / units);
      rem = cur - qd * units;
      q = q * 65536 + qd;
      cur = rem * 65536 + (lo >>> 16);
      qd = Math.floor(cur / units);
      rem = cur - qd * units;
      q = q * 65536 + qd;
      cur = rem * 65536 + (lo & 0xffff);
      qd = Math.floor(cur / units);
      rem = cur - qd * units;
      sec = q * 65536 + qd;
    }
    const exp = iface.decimalExp;
    let nsec: number;
    if (exp >= 0) nsec = exp <= 9 ? rem * 10 ** (9 - exp) : Math.floor(rem / 10 ** (exp - 9));
    else nsec = Math.floor((rem * 1e9) / units);
    rec.buf = buf;
    rec.offset = offset;
    rec.capLen = capLen;
    rec.origLen = origLen;
    rec.tsSec = this.lastSec = sec + iface.tsOffsetSec;
    rec.tsNsec = this.lastNsec = nsec;
    rec.hasTimestamp = true;
    rec.linkType = iface.linkType;
    rec.interfaceId = ifId;
    rec.index = this.info.records++;
    this.onRecord(rec);
  }
}
