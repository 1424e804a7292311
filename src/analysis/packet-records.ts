/**
 * The hand-over between the two halves of the analysis: the packet half (reader, decoder, capture
 * counters, per-window packet counters) writes one compact record of 32-bit words per IP packet,
 * and the flow half (flow table, addresses, talkers, direction, rankings) reads them. In one thread
 * the records go through a local batch; with the worker pipeline through shared-memory slots.
 *
 * Layout of a batch (Int32Array words):
 * - time record: [R_TIME, seconds / 2^32, seconds mod 2^32]: the whole seconds of the IP packets
 *   that follow (written only when they change);
 * - IP record: [header, nanoseconds, wire length, source words (1 or 4), destination words (1 or 4),
 *   then if R_PORTS: ports (source << 16 | destination), if R_ICMP_ID: echo identifier, if R_TCP:
 *   sequence number and payload length, if R_HINT: payload byte count and the payload bytes];
 * - an end record [R_END] closes a batch early (the rest of the slot is unused).
 *
 * Header bits: kind (low 2 bits), flags below, the TCP flags in bits 16-24 and the flow protocol
 * (transport, or IP protocol for other traffic) in bits 8-15.
 */

export const R_END = 0;
export const R_TIME = 1;
export const R_IP = 2;
export const KIND_MASK = 3;

/** IPv6: four words per address. */
export const R_V6 = 1 << 2;
/** The packet belongs to a flow (transport with ports, or another IP protocol by address pair). */
export const R_FLOW = 1 << 3;
/** The transport payload has captured bytes (counts towards the flow's hint packets). */
export const R_PAYLOAD = 1 << 4;
/** The payload bytes are attached for the application-hint parsers. */
export const R_HINT = 1 << 5;
/** TCP with flags: the record carries the sequence number and the payload length. */
export const R_TCP = 1 << 6;
/** The destination port is noted for the window's port diversity (TCP/UDP). */
export const R_NOTE_PORT = 1 << 7;
export const PROTO_SHIFT = 8;
export const FLAGS_SHIFT = 16;
/** Ports are present (flows); ICMP echo flows also carry their identifier. */
export const R_PORTS = 1 << 25;
export const R_ICMP_ID = 1 << 26;
/** A TCP/UDP flow whose ports were not captured (-1 each). */
export const R_NO_PORTS = 1 << 27;

/** Most words an IP record takes without its hint payload. */
export const MAX_FIXED_WORDS = 3 + 3 + 8 + 4 + 2;

/**
 * Most payload bytes attached for the hint parsers: more than any of them reads (a TLS ClientHello
 * walk ends within 132 KiB of its start; DNS names and HTTP headers are far shorter).
 */
export const HINT_BYTES_MAX = 256 * 1024;

/** Words a batch must have room for: the largest record. */
export const MIN_BATCH_WORDS = MAX_FIXED_WORDS + 1 + HINT_BYTES_MAX / 4 + 8;
