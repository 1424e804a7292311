import {
  type DecodedPacket,
  FRAME_NON_IP,
  FRAME_UNSUPPORTED_LINK,
  L4_ICMP,
  L4_ICMPV6,
  L4_TCP,
  L4_UDP,
  M_EXT_SHORT,
  M_ICMP_SHORT,
  M_IHL,
  M_IP_SHORT,
  M_IP_VERSION,
  M_LINK_SHORT,
  M_TCP_HDR_LEN,
  M_TCP_SHORT,
  M_TOO_DEEP,
  M_TOTAL_LEN,
  M_TUNNEL_SHORT,
  M_UDP_SHORT,
  TUNNEL_GRE,
  TUNNEL_IPIP,
} from './packet.js';

// Link types (tcpdump.org registry).
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

/** Link types the decoder understands; others are counted as unsupported. */
export const SUPPORTED_LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276];

// A DataView over the buffer being decoded: getUint16/getUint32 compile to single loads. The
// reader's buffer changes once per chunk, so the view is rebuilt rarely.
let view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
let viewOf: Uint8Array | null = null;

/** Nesting limits: hostile captures can stack headers without end. */
const MAX_TUNNELS = 4;
const MAX_TAGS = 16;
const MAX_EXT_HEADERS = 16;

/**
 * Decodes one frame into `out` (reset first). Reads only buf[off, off + capLen); never throws on
 * any input. `origLen` tells a frame cut by the snaplen (short headers expected) from a damaged one.
 */
export function decodePacket(
  buf: Uint8Array,
  off: number,
  capLen: number,
  origLen: number,
  linkType: number,
  out: DecodedPacket,
): void {
  out.reset(capLen < origLen);
  if (buf !== viewOf) {
    view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    viewOf = buf;
  }
  const end = off + capLen;
  // Ethernet carrying IPv4 is most of what anyone captures: take it without the general dispatch.
  if (linkType === LINKTYPE_ETHERNET && off + 14 <= end && buf[off + 12] === 0x08 && buf[off + 13] === 0x00) {
    ipv4(buf, off + 14, end, out, 0);
    return;
  }
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      ethernet(buf, off, end, out, 0);
      return;
    case LINKTYPE_RAW:
    case 12:
    case 14:
      if (off >= end) return short(out, M_LINK_SHORT);
      if (buf[off] >> 4 === 6) ipv6(buf, off, end, out, 0);
      else ipv4(buf, off, end, out, 0);
      return;
    case LINKTYPE_IPV4:
      ipv4(buf, off, end, out, 0);
      return;
    case LINKTYPE_IPV6:
      ipv6(buf, off, end, out, 0);
      return;
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      if (off + 4 > end) return short(out, M_LINK_SHORT);
      // NULL stores the BSD address family in the capturing host's byte order, LOOP in network order.
      let af =
        linkType === LINKTYPE_LOOP
          ? buf[off + 3] | (buf[off + 2] << 8)
          : buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16) | (buf[off + 3] << 24);
      if ((af & 0xffff0000) !== 0) af = buf[off + 3] | (buf[off + 2] << 8);
      if (af === 2) ipv4(buf, off + 4, end, out, 0);
      else if (af === 24 || af === 28 || af === 30) ipv6(buf, off + 4, end, out, 0);
      else out.frame = FRAME_NON_IP;
      return;
    }
    case LINKTYPE_LINUX_SLL:
      if (off + 16 > end) return short(out, M_LINK_SHORT);
      etherType(buf, off + 16, end, (buf[off + 14] << 8) | buf[off + 15], out, 0);
      return;
    case LINKTYPE_LINUX_SLL2:
      if (off + 20 > end) return short(out, M_LINK_SHORT);
      etherType(buf, off + 20, end, (buf[off] << 8) | buf[off + 1], out, 0);
      return;
    default:
      out.frame = FRAME_UNSUPPORTED_LINK;
  }
}

/** A header that does not fit: expected in a snaplen-cut frame, damage otherwise. */
function short(out: DecodedPacket, code: number): void {
  if (!out.snapCut && out.malformed === 0) out.malformed = code;
}

/** A frame that carries no IP. Inside a tunnel the frame itself is still IP. */
function nonIp(out: DecodedPacket, depth: number): void {
  if (depth === 0) out.frame = FRAME_NON_IP;
}

function ethernet(buf: Uint8Array, p: number, end: number, out: DecodedPacket, depth: number): void {
  if (p + 14 > end) {
    nonIp(out, depth);
    return short(out, M_LINK_SHORT);
  }
  etherType(buf, p + 14, end, view.getUint16(p + 12), out, depth);
}

/** Dispatches on an EtherType, walking 802.1Q/802.1ad tags, MPLS labels, LLC/SNAP and PPPoE. */
function etherType(
  buf: Uint8Array,
  p: number,
  end: number,
  type: number,
  out: DecodedPacket,
  depth: number,
): void {
  for (let tags = 0; tags <= MAX_TAGS; tags++) {
    switch (type) {
      case 0x0800:
        ipv4(buf, p, end, out, depth);
        return;
      case 0x86dd:
        ipv6(buf, p, end, out, depth);
        return;
      case 0x8100:
      case 0x88a8:
      case 0x9100:
      case 0x9200:
        if (p + 4 > end) {
          nonIp(out, depth);
          return short(out, M_LINK_SHORT);
        }
        type = (buf[p + 2] << 8) | buf[p + 3];
        p += 4;
        continue;
      case 0x8847:
      case 0x8848:
        mpls(buf, p, end, out, depth);
        return;
      case 0x8864:
        // PPPoE session: 6-byte header, then a PPP protocol number.
        if (p + 8 > end) {
          nonIp(out, depth);
          return short(out, M_LINK_SHORT);
        }
        ppp(buf, p + 6, end, out, depth);
        return;
      default:
        if (type <= 0x05dc || type === 0x0004) {
          // 802.3 length field: only LLC/SNAP with an EtherType can carry IP.
          if (p + 8 <= end && buf[p] === 0xaa && buf[p + 1] === 0xaa && buf[p + 2] === 0x03) {
            type = (buf[p + 6] << 8) | buf[p + 7];
            p += 8;
            continue;
          }
        }
        // ARP over Ethernet for IPv4 (htype 1, ptype 0x0800, 6- and 4-byte addresses): noted so the
        // analysis can see ARP sweeps.
        if (type === 0x0806 && depth === 0 && p + 28 <= end && buf[p + 4] === 6 && buf[p + 5] === 4)
          out.arpOffset = p;
        nonIp(out, depth);
        return;
    }
  }
  nonIp(out, depth);
  if (out.malformed === 0) out.malformed = M_TOO_DEEP;
}

function mpls(buf: Uint8Array, p: number, end: number, out: DecodedPacket, depth: number): void {
  for (let labels = 0; ; labels++) {
    if (p + 4 > end) {
      nonIp(out, depth);
      return short(out, M_LINK_SHORT);
    }
    const bottom = buf[p + 2] & 1;
    p += 4;
    if (bottom) break;
    if (labels >= MAX_TAGS) {
      nonIp(out, depth);
      if (out.malformed === 0) out.malformed = M_TOO_DEEP;
      return;
    }
  }
  if (p >= end) {
    nonIp(out, depth);
    return;
  }
  // MPLS does not say what it carries: like tshark, guess from the first nibble.
  const nibble = buf[p] >> 4;
  if (nibble === 4) ipv4(buf, p, end, out, depth);
  else if (nibble === 6) ipv6(buf, p, end, out, depth);
  else if (nibble === 0 && depth < MAX_TUNNELS) ethernet(buf, p + 4, end, out, depth + 1);
  else nonIp(out, depth);
}

/** A PPP protocol field (possibly address/control-prefixed or compressed to one byte). */
function ppp(buf: Uint8Array, p: number, end: number, out: DecodedPacket, depth: number): void {
  if (p + 2 <= end && buf[p] === 0xff && buf[p + 1] === 0x03) p += 2;
  if (p >= end) {
    nonIp(out, depth);
    return;
  }
  let proto = buf[p];
  if ((proto & 1) === 0) {
    if (p + 2 > end) return;
    proto = (proto << 8) | buf[p + 1];
    p += 2;
  } else {
    p += 1;
  }
  if (proto === 0x21) ipv4(buf, p, end, out, depth);
  else if (proto === 0x57) ipv6(buf, p, end, out, depth);
  else nonIp(out, depth);
}

function ipv4(buf: Uint8Array, p: number, end: number, out: DecodedPacket, depth: number): void {
  if (depth === 0) out.outerIp = 4;
  if (p + 20 > end) {
    if (p < end && buf[p] >> 4 !== 4) out.malformed = M_IP_VERSION;
    else short(out, M_IP_SHORT);
    return;
  }
  const vihl = buf[p];
  if (vihl >> 4 !== 4) {
    out.malformed = M_IP_VERSION;
    return;
  }
  const ihl = (vihl & 15) << 2;
  if (ihl < 20) {
    out.malformed = M_IHL;
    return;
  }
  if (p + ihl > end) return short(out, M_IP_SHORT);
  const total = view.getUint16(p + 2);
  // A zero total length comes from TCP segmentation offload: the frame then bounds the packet.
  let wireEnd = p + total;
  if (total === 0) wireEnd = end;
  else if (total < ihl) {
    out.malformed = M_TOTAL_LEN;
    return;
  }
  const fragField = view.getUint16(p + 6);
  const fragOffset = fragField & 0x1fff;
  if (depth === 0) out.outerFragment = (fragField & 0x2000) !== 0 || fragOffset !== 0;
  out.ip = 4;
  out.ipOffset = p;
  const src = out.src;
  const dst = out.dst;
  src[0] = view.getUint32(p + 12);
  dst[0] = view.getUint32(p + 16);
  // Words 1-3 are left as they are: for IPv4 only word 0 is meaningful (see DecodedPacket).
  const proto = buf[p + 9];
  out.ipProto = proto;
  out.fragment = fragOffset !== 0;
  out.l4 = 0;
  if (fragOffset !== 0) return;
  transport(buf, p + ihl, Math.min(wireEnd, end), wireEnd, proto, out, depth);
}

function ipv6(buf: Uint8Array, p: number, end: number, out: DecodedPacket, depth: number): void {
  if (depth === 0) out.outerIp = 6;
  if (p + 40 > end) {
    if (p < end && buf[p] >> 4 !== 6) out.malformed = M_IP_VERSION;
    else short(out, M_IP_SHORT);
    return;
  }
  if (buf[p] >> 4 !== 6) {
    out.malformed = M_IP_VERSION;
    return;
  }
  const payloadLen = view.getUint16(p + 4);
  // Zero means a jumbogram (or offload): the frame bounds the packet.
  const wireEnd = payloadLen === 0 ? end : p + 40 + payloadLen;
  const capEnd = Math.min(wireEnd, end);
  out.ip = 6;
  out.ipOffset = p;
  const src = out.src;
  const dst = out.dst;
  src[0] = view.getUint32(p + 8);
  src[1] = view.getUint32(p + 12);
  src[2] = view.getUint32(p + 16);
  src[3] = view.getUint32(p + 20);
  dst[0] = view.getUint32(p + 24);
  dst[1] = view.getUint32(p + 28);
  dst[2] = view.getUint32(p + 32);
  dst[3] = view.getUint32(p + 36);
  out.fragment = false;
  out.l4 = 0;
  let next = buf[p + 6];
  let q = p + 40;
  for (let n = 0; n < MAX_EXT_HEADERS; n++) {
    if (next === 0 || next === 43 || next === 60) {
      if (q + 2 > capEnd) return extShort(out, next);
      const len = (buf[q + 1] + 1) << 3;
      if (q + len > capEnd) return extShort(out, next);
      next = buf[q];
      q += len;
    } else if (next === 44) {
      if (depth === 0) out.outerV6FragmentHeader = true;
      if (q + 8 > capEnd) return extShort(out, next);
      const fragOffset = ((buf[q + 2] << 8) | buf[q + 3]) >> 3;
      next = buf[q];
      q += 8;
      if (fragOffset !== 0) {
        out.ipProto = next;
        out.fragment = true;
        return;
      }
    } else if (next === 51) {
      if (q + 2 > capEnd) return extShort(out, next);
      const len = (buf[q + 1] + 2) << 2;
      if (q + len > capEnd) return extShort(out, next);
      next = buf[q];
      q += len;
    } else {
      out.ipProto = next;
      transport(buf, q, capEnd, wireEnd, next, out, depth);
      return;
    }
  }
  if (out.malformed === 0) out.malformed = M_TOO_DEEP;
}

function extShort(out: DecodedPacket, next: number): void {
  out.ipProto = next;
  short(out, M_EXT_SHORT);
}

/**
 * The header after IP: records TCP/UDP/ICMP/ICMPv6, or walks into a tunnel. `end` bounds the
 * captured bytes, `wireEnd` is where the IP packet ends on the wire (for payload lengths).
 */
function transport(
  buf: Uint8Array,
  q: number,
  end: number,
  wireEnd: number,
  proto: number,
  out: DecodedPacket,
  depth: number,
): void {
  const avail = end - q;
  switch (proto) {
    case 6: {
      out.l4 = L4_TCP;
      out.l4Offset = q;
      if (avail >= 4) {
        out.srcPort = view.getUint16(q);
        out.dstPort = view.getUint16(q + 2);
      }
      if (avail < 20) {
        if (avail >= 14) out.tcpFlags = buf[q + 13] | ((buf[q + 12] & 1) << 8);
        if (avail >= 8) out.seq = readU32(buf, q + 4);
        return short(out, M_TCP_SHORT);
      }
      out.seq = view.getUint32(q + 4);
      out.ack = view.getUint32(q + 8);
      out.tcpFlags = buf[q + 13] | ((buf[q + 12] & 1) << 8);
      out.window = view.getUint16(q + 14);
      const hl = (buf[q + 12] >> 4) << 2;
      if (hl < 20) {
        out.malformed = M_TCP_HDR_LEN;
        return;
      }
      setPayload(out, q + hl, end, wireEnd);
      if (q + hl > end) short(out, M_TCP_SHORT);
      return;
    }
    case 17:
      out.l4 = L4_UDP;
      out.l4Offset = q;
      if (avail >= 4) {
        out.srcPort = view.getUint16(q);
        out.dstPort = view.getUint16(q + 2);
      }
      if (avail < 8) return short(out, M_UDP_SHORT);
      setPayload(out, q + 8, end, wireEnd);
      return;
    case 1:
    case 58: {
      out.l4 = proto === 1 ? L4_ICMP : L4_ICMPV6;
      out.l4Offset = q;
      if (avail < 4) {
        if (avail >= 1) out.srcPort = buf[q];
        if (avail >= 2) out.dstPort = buf[q + 1];
        return short(out, M_ICMP_SHORT);
      }
      const type = buf[q];
      out.srcPort = type;
      out.dstPort = buf[q + 1];
      const echo = proto === 1 ? isIcmpQuery(type) : type === 128 || type === 129;
      if (echo && avail >= 6) out.icmpId = (buf[q + 4] << 8) | buf[q + 5];
      setPayload(out, q + 8, end, wireEnd);
      return;
    }
    case 4:
    case 41:
      if (depth >= MAX_TUNNELS) {
        if (out.malformed === 0) out.malformed = M_TOO_DEEP;
        return;
      }
      out.tunnel = TUNNEL_IPIP;
      if (q >= end) return short(out, M_TUNNEL_SHORT);
      if (proto === 4) ipv4(buf, q, end, out, depth + 1);
      else ipv6(buf, q, end, out, depth + 1);
      return;
    case 47:
      gre(buf, q, end, out, depth);
      return;
    case 51: {
      // AH over IPv4: skip it and decode what it protects (IPv6 walks AH as an extension header).
      if (q + 2 > end) return extShort(out, proto);
      const len = (buf[q + 1] + 2) << 2;
      if (q + len > end) return extShort(out, proto);
      out.ipProto = buf[q];
      if (depth >= MAX_TUNNELS) return;
      transport(buf, q + len, end, wireEnd, buf[q], out, depth + 1);
      return;
    }
    default:
      return;
  }
}

function isIcmpQuery(type: number): boolean {
  // Echo, timestamp, information and address-mask requests and replies carry an identifier.
  return type === 0 || type === 8 || (type >= 13 && type <= 18);
}

function setPayload(out: DecodedPacket, start: number, end: number, wireEnd: number): void {
  out.payloadOffset = start;
  out.payloadLength = wireEnd > start ? wireEnd - start : 0;
  out.payloadCaptured = end > start ? end - start : 0;
}

function readU32(buf: Uint8Array, p: number): number {
  return ((buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]) >>> 0;
}

/** GRE (RFC 2784/2890) and PPTP's enhanced GRE (RFC 2637), walked to the IP packet inside. */
function gre(buf: Uint8Array, q: number, end: number, out: DecodedPacket, depth: number): void {
  if (q + 4 > end) return short(out, M_TUNNEL_SHORT);
  if (depth >= MAX_TUNNELS) {
    if (out.malformed === 0) out.malformed = M_TOO_DEEP;
    return;
  }
  const flags = (buf[q] << 8) | buf[q + 1];
  const proto = (buf[q + 2] << 8) | buf[q + 3];
  const version = flags & 7;
  let h = 4;
  if (version === 0) {
    if (flags & 0x4000) return; // source routing (RFC 1701): obsolete, not walked
    if (flags & 0x8000) h += 4;
    if (flags & 0x2000) h += 4;
    if (flags & 0x1000) h += 4;
  } else if (version === 1) {
    h += 4; // payload length and call ID
    if (flags & 0x1000) h += 4;
    if (flags & 0x0080) h += 4;
  } else {
    return;
  }
  if (q + h > end) return short(out, M_TUNNEL_SHORT);
  const inner = q + h;
  if (inner === end) return; // e.g. a PPTP acknowledgement without payload
  out.tunnel = TUNNEL_GRE;
  switch (proto) {
    case 0x0800:
      ipv4(buf, inner, end, out, depth + 1);
      return;
    case 0x86dd:
      ipv6(buf, inner, end, out, depth + 1);
      return;
    case 0x880b:
      ppp(buf, inner, end, out, depth + 1);
      return;
    case 0x6558:
      ethernet(buf, inner, end, out, depth + 1);
      return;
    case 0x8847:
    case 0x8848:
      mpls(buf, inner, end, out, depth + 1);
      return;
    default:
      return;
  }
}
