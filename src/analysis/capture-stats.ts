import type { CaptureRecord } from '../capture/index.js';
import {
  type DecodedPacket,
  FRAME_IP,
  FRAME_UNSUPPORTED_LINK,
  L4_ICMP,
  L4_ICMPV6,
  L4_TCP,
  L4_UDP,
  MALFORMED_MESSAGES,
  TCP_ACK,
  TCP_FIN,
  TCP_RST,
  TCP_SYN,
} from '../decode/index.js';

/**
 * Whole-capture counters: totals, time range, protocol classes and TCP flags, with tshark's
 * definitions (see README "What the numbers mean"). Pure counting: no allocation per packet.
 */
export class CaptureStats {
  packets = 0;
  bytes = 0;
  capturedBytes = 0;
  packetsWithoutTimestamp = 0;

  hasTimestamp = false;
  minSec = 0;
  minNsec = 0;
  maxSec = 0;
  maxNsec = 0;
  /** Time of the first and last record in file order; null sec when that record had no timestamp. */
  firstRecordSec: number | null = null;
  firstRecordNsec = 0;
  lastRecordSec: number | null = null;
  lastRecordNsec = 0;

  malformed = 0;
  readonly malformedByKind = new Uint32Array(MALFORMED_MESSAGES.length);
  unsupportedLinkType = 0;

  tcp = 0;
  udp = 0;
  icmp = 0;
  icmpv6 = 0;
  /** IP packets without a transport class: later fragments, GRE without IP, ESP, SCTP, … */
  otherIp = 0;
  /** Frames without IP: ARP, LLDP, STP, …, plus unsupported link types. */
  nonIp = 0;
  ipv4 = 0;
  ipv6 = 0;
  ipv4Fragments = 0;
  ipv6FragmentHeader = 0;

  tcpSyn = 0;
  tcpSynAck = 0;
  tcpAck = 0;
  tcpRst = 0;
  tcpFin = 0;

  add(rec: CaptureRecord, pkt: DecodedPacket): void {
    this.packets++;
    this.bytes += rec.origLen;
    this.capturedBytes += rec.capLen;
    this.time(rec);

    if (pkt.malformed !== 0) {
      this.malformed++;
      this.malformedByKind[pkt.malformed]++;
    }
    if (pkt.outerIp === 4) {
      this.ipv4++;
      if (pkt.outerFragment) this.ipv4Fragments++;
    } else if (pkt.outerIp === 6) {
      this.ipv6++;
      if (pkt.outerV6FragmentHeader) this.ipv6FragmentHeader++;
    }
    if (pkt.frame !== FRAME_IP) {
      this.nonIp++;
      if (pkt.frame === FRAME_UNSUPPORTED_LINK) this.unsupportedLinkType++;
      return;
    }
    switch (pkt.l4) {
      case L4_TCP: {
        this.tcp++;
        const flags = pkt.tcpFlags;
        if (flags < 0) break;
        if (flags & TCP_SYN) {
          if (flags & TCP_ACK) this.tcpSynAck++;
          else this.tcpSyn++;
        }
        if (flags & TCP_ACK) this.tcpAck++;
        if (flags & TCP_RST) this.tcpRst++;
        if (flags & TCP_FIN) this.tcpFin++;
        break;
      }
      case L4_UDP:
        this.udp++;
        break;
      case L4_ICMP:
        this.icmp++;
        break;
      case L4_ICMPV6:
        this.icmpv6++;
        break;
      default:
        this.otherIp++;
    }
  }

  private time(rec: CaptureRecord): void {
    if (!rec.hasTimestamp) {
      this.packetsWithoutTimestamp++;
      if (this.packets === 1) this.firstRecordSec = null;
      this.lastRecordSec = null;
      return;
    }
    const sec = rec.tsSec;
    const nsec = rec.tsNsec;
    if (this.packets === 1) {
      this.firstRecordSec = sec;
      this.firstRecordNsec = nsec;
    }
    this.lastRecordSec = sec;
    this.lastRecordNsec = nsec;
    if (!this.hasTimestamp) {
      this.hasTimestamp = true;
      this.minSec = this.maxSec = sec;
      this.minNsec = this.maxNsec = nsec;
      return;
    }
    if (sec < this.minSec || (sec === this.minSec && nsec < this.minNsec)) {
      this.minSec = sec;
      this.minNsec = nsec;
    }
    if (sec > this.maxSec || (sec === this.maxSec && nsec > this.maxNsec)) {
      this.maxSec = sec;
      this.maxNsec = nsec;
    }
  }

  /** Capture span in seconds (latest minus earliest timestamp). */
  durationSeconds(): number {
    if (!this.hasTimestamp) return 0;
    return this.maxSec - this.minSec + (this.maxNsec - this.minNsec) / 1e9;
  }

  /** One line per kind of damaged packet, for the summary's warnings. */
  malformedSummary(): string | null {
    if (this.malformed === 0) return null;
    const kinds: string[] = [];
    this.malformedByKind.forEach((n, code) => {
      if (n > 0) kinds.push(`${MALFORMED_MESSAGES[code]}: ${n}`);
    });
    return `malformed packets counted and skipped: ${this.malformed} (${kinds.join('; ')})`;
  }
}
