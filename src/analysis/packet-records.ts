/**
 * The hand-over between the two halves of the analysis: the packet half (reader, decoder, capture
 * counters, per-window packet counters) writes one compact record of 32-bit words per IP packet,
 * and the flow half (flow table, addresses, talkers, direction, rankings) reads them. In one thread
 * the records go through a local batch; with the worker pipeline through shared-memory slots. The
 * packet half does what needs only the packet (the flow key in canonical order and its hash), so
 * the flow half, the busier one, only looks flows up.
 *
 * Every record starts at an even word, so its time (a double) is 8-byte aligned:
 * - time record: [R_TIME, seconds / 2^32, seconds mod 2^32, 0]: the whole seconds of the IP packets
 *   that follow (written only when they change);
 * - IP record: [header, wire length, time in seconds (a double, 2 words), then the addresses (1 or
 *   4 words each): for a flow, end A then end B of the canonical key (the lower address first), else
 *   source then destination; for a flow: the key's ports (A << 16 | B; for ICMP the type and code or
 *   echo identifier) and the key's hash; then the packet's frame number (1-based, as tshark counts:
 *   a new flow takes it as its id, and addresses are ordered by the frame that first showed them, so
 *   the results do not depend on how flows are spread over threads); if R_TCP: sequence number,
 *   payload length, acknowledgement number and raw window; if R_HINT or R_LOG:
 *   the payload's byte count and bytes], padded to an even length;
 * - sweep record: [R_SWEEP, 0, time (a double)]: end flows idle at this capture time. The packet
 *   half writes it to every flow shard at the same points of the capture, so idle flows and unanswered
 *   DNS queries end at the same moments however many shards there are;
 * - an end record [R_END] closes a batch early (the rest of the slot is unused).
 *
 * Header bits: kind (low 2 bits), the flags below, the flow protocol (transport, or IP protocol for
 * other traffic) in bits 8-15, the TCP flags in bits 16-24.
 */

export const R_END = 0;
export const R_TIME = 1;
export const R_IP = 2;
export const R_SWEEP = 3;
export const KIND_MASK = 3;

/** IPv6: four words per address. */
export const R_V6 = 1 << 2;
/** The packet belongs to a flow (transport with ports, or another IP protocol by address pair). */
export const R_FLOW = 1 << 3;
/** The transport payload has captured bytes (counts towards the flow's hint packets). */
export const R_PAYLOAD = 1 << 4;
/** The payload bytes are attached for the application-hint parsers. */
export const R_HINT = 1 << 5;
/** TCP with flags: the record carries the sequence and acknowledgement numbers, the payload length and the window. */
export const R_TCP = 1 << 6;
/** The destination port is noted for the window's port diversity (TCP/UDP). */
export const R_NOTE_PORT = 1 << 7;
export const PROTO_SHIFT = 8;
export const FLAGS_SHIFT = 16;
/** The sender is end B of the flow key. */
export const R_SIDE_B = 1 << 25;
/** An ICMP echo (or other query) flow, keyed by its identifier. */
export const R_ECHO = 1 << 26;
/** A TCP/UDP flow whose ports were not captured (-1 each; e.g. under too many AH headers). */
export const R_NO_PORTS = 1 << 27;
/**
 * The protocol-log parsers read the attached payload (`AttachPolicy`). Bytes are attached when
 * R_HINT or R_LOG is set: as many as the larger of the two wants.
 */
export const R_LOG = 1 << 28;

/** Most words an IP record takes without its hint payload, with a time record before it. */
export const MAX_FIXED_WORDS = 4 + 4 + 8 + 4 + 4 + 2;

/**
 * Most payload bytes attached for the hint parsers: more than any of them reads (a TLS ClientHello
 * walk ends within 132 KiB of its start; DNS names and HTTP headers are far shorter).
 */
export const HINT_BYTES_MAX = 256 * 1024;

/** Words a batch must have room for: the largest record. */
export const MIN_BATCH_WORDS = MAX_FIXED_WORDS + 2 + HINT_BYTES_MAX / 4 + 8;

/** Hash of an IPv4 flow key (key = protocol | family << 8, ports as in the record). */
export function keyHash4(key: number, a0: number, b0: number, ports: number): number {
  let h = Math.imul(a0 ^ Math.imul(b0, 0x85ebca6b) ^ Math.imul(key + 1, 0x27d4eb2d), 0x9e3779b1);
  h = Math.imul(h ^ ports, 0xc2b2ae35);
  return h ^ (h >>> 15);
}

/** Hash of an IPv6 flow key: more address words mixed in. */
export function keyHash6(
  key: number,
  a0: number,
  b0: number,
  a1: number,
  a3: number,
  b2: number,
  b3: number,
  ports: number,
): number {
  let h = Math.imul(a0 ^ Math.imul(b0, 0x85ebca6b) ^ Math.imul(key + 1, 0x27d4eb2d), 0x9e3779b1);
  h ^= Math.imul(a3 ^ Math.imul(b3, 0x85ebca6b) ^ a1 ^ b2, 0xcc9e2d51);
  h = Math.imul(h ^ ports, 0xc2b2ae35);
  return h ^ (h >>> 15);
}
