/** What a frame turned out to be. */
export const FRAME_IP = 0;
export const FRAME_NON_IP = 1;
export const FRAME_UNSUPPORTED_LINK = 2;

/** Transport classes of the effective packet (IP protocol numbers); 0 when there is none. */
export const L4_NONE = 0;
export const L4_ICMP = 1;
export const L4_TCP = 6;
export const L4_UDP = 17;
export const L4_ICMPV6 = 58;

export const TUNNEL_NONE = 0;
export const TUNNEL_GRE = 1;
export const TUNNEL_IPIP = 2;

/** Why a packet was counted as malformed. Messages are fixed strings: no per-packet formatting. */
export const MALFORMED_MESSAGES = [
  '',
  'frame shorter than its link-layer header',
  'IP version field does not match the link layer',
  'IPv4 header length below 20 bytes',
  'IPv4 total length shorter than its header',
  'IP header cut short',
  'IPv6 extension header cut short',
  'TCP header cut short',
  'TCP header length below 20 bytes',
  'UDP header cut short',
  'ICMP header cut short',
  'tunnel header cut short',
  'too many nested headers',
] as const;
export const M_LINK_SHORT = 1;
export const M_IP_VERSION = 2;
export const M_IHL = 3;
export const M_TOTAL_LEN = 4;
export const M_IP_SHORT = 5;
export const M_EXT_SHORT = 6;
export const M_TCP_SHORT = 7;
export const M_TCP_HDR_LEN = 8;
export const M_UDP_SHORT = 9;
export const M_ICMP_SHORT = 10;
export const M_TUNNEL_SHORT = 11;
export const M_TOO_DEEP = 12;

/**
 * The effective packet (README, 'What the numbers mean'): the first transport header, reached through link layers, VLAN
 * and MPLS tags, IPv6 extension headers, GRE and IP-in-IP. One instance is reused for every packet;
 * addresses are stored as 32-bit words (IPv4 in word 0) so flow keys stay numeric.
 */
export class DecodedPacket {
  frame = FRAME_IP;
  /** Non-zero code (see MALFORMED_MESSAGES) when a header is inconsistent with itself or the frame. */
  malformed = 0;
  /** The captured frame is shorter than the wire frame (snaplen): short headers are then expected. */
  snapCut = false;

  /** IP version of the outermost IP header (0 when none), and its fragment state. */
  outerIp = 0;
  outerFragment = false;
  outerV6FragmentHeader = false;

  /** IP version of the effective (innermost walked) IP header. For IPv4 only word 0 of
   * `src`/`dst` is set; words 1-3 hold whatever an earlier packet left there. */
  ip = 0;
  ipOffset = 0;
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  /** Protocol carried by the effective IP header, after extension headers. */
  ipProto = -1;
  /** The effective IP header is a non-first fragment: no transport header. */
  fragment = false;
  tunnel = TUNNEL_NONE;

  l4 = L4_NONE;
  l4Offset = 0;
  /** TCP/UDP ports, or ICMP type and code; -1 when not captured. */
  srcPort = -1;
  dstPort = -1;
  /** TCP flag bits (FIN 0x01 … CWR 0x80, NS 0x100); -1 when not captured. */
  tcpFlags = -1;
  seq = 0;
  ack = 0;
  window = 0;
  /** ICMP/ICMPv6 echo identifier; -1 for other messages. */
  icmpId = -1;
  /** Transport payload: where it starts in the buffer, its length on the wire and as captured. */
  payloadOffset = 0;
  payloadLength = 0;
  payloadCaptured = 0;
  /** Offset of an ARP header in the buffer (a non-IP frame), or -1. */
  arpOffset = -1;

  reset(snapCut: boolean): void {
    this.frame = FRAME_IP;
    this.malformed = 0;
    this.snapCut = snapCut;
    this.outerIp = 0;
    this.outerFragment = false;
    this.outerV6FragmentHeader = false;
    this.ip = 0;
    this.ipProto = -1;
    this.fragment = false;
    this.tunnel = TUNNEL_NONE;
    this.l4 = L4_NONE;
    this.srcPort = -1;
    this.dstPort = -1;
    this.tcpFlags = -1;
    this.icmpId = -1;
    this.payloadLength = 0;
    this.payloadCaptured = 0;
    this.arpOffset = -1;
  }
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
