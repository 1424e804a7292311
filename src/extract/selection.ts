import type { FlowTimeouts } from '../analysis/flow-table.js';
import type { CaptureRecord } from '../capture/index.js';
import { type DecodedPacket, FRAME_IP, L4_TCP, L4_UDP } from '../decode/index.js';
import { type Address, isAddress, parseAddress } from './address.js';
import { SelectionError } from './errors.js';
import { type FlowRef, FlowSet, parseProtocol } from './flows.js';
import { addSeconds, checkOrder, inRange, parseTimestamp, type TimeRange, type Timestamp } from './time.js';

/**
 * What to extract, as plain data (from the CLI, the API or stored flow and alert rows). Times are
 * decimal strings (exact) or the analysis' doubles (see `Timestamp`); addresses are IPv4 or IPv6
 * literals. Every selection takes the effective packet (README, 'What the numbers mean'): a
 * tunnelled packet matches on its inner addresses and ports, as the analysis counts it, and a
 * packet the analysis found malformed matches only a time selection.
 */
export type Selection =
  /** One flow: exactly the packets the analysis counted in it. */
  | { kind: 'flow'; flow: FlowRef }
  /** Several flows (for example those the Protocols page's filters list). */
  | { kind: 'flows'; flows: FlowRef[] }
  /**
   * An alert: the packets within its span whose ends are among its addresses (one address: either
   * end; several: both ends), on one of its ports when it names ports (either end's port, TCP and
   * UDP), of its protocol when it names one.
   */
  | {
      kind: 'alert';
      addresses: string[];
      ports?: number[] | null;
      protocol?: string | number | null;
      from: Timestamp;
      to: Timestamp;
    }
  /** Every packet from `from` to `to`, both included. */
  | { kind: 'time'; from: Timestamp; to: Timestamp }
  /** A window: every packet from `start` for `length` seconds (the end excluded, as windows are). */
  | { kind: 'window'; start: Timestamp; length: number }
  /** The packets a host sent or received, optionally within a time range. */
  | { kind: 'host'; address: string; from?: Timestamp | null; to?: Timestamp | null }
  /** The packets between two hosts, either way, optionally within a time range. */
  | { kind: 'pair'; addresses: [string, string]; from?: Timestamp | null; to?: Timestamp | null };

// How a filter's addresses must match a packet's two ends.
const ANY_END = 0;
const PAIR = 1;
const BOTH_AMONG = 2;

/**
 * The packet predicate of every selection but flows: a time range, and on the decoded packet
 * addresses, ports and protocol. Checks touch the record and the decoder's reused packet only.
 */
export class PacketFilter {
  /** False when only times matter: the record need not be decoded. */
  readonly needsDecode: boolean;

  constructor(
    readonly range: TimeRange,
    private readonly addresses: Address[] = [],
    private readonly mode = ANY_END,
    private readonly ports: Set<number> | null = null,
    private readonly protocol = -1,
  ) {
    this.needsDecode = addresses.length > 0 || ports !== null || protocol >= 0;
  }

  matches(rec: CaptureRecord, pkt: DecodedPacket): boolean {
    if (!inRange(rec, this.range)) return false;
    if (!this.needsDecode) return true;
    const ip = pkt.ip;
    if (pkt.frame !== FRAME_IP || pkt.malformed !== 0 || ip === 0) return false;
    const l4 = pkt.l4;
    if (this.protocol >= 0 && (l4 !== 0 ? l4 : pkt.ipProto) !== this.protocol) return false;
    const ports = this.ports;
    if (ports !== null) {
      if (l4 !== L4_TCP && l4 !== L4_UDP) return false;
      if (!ports.has(pkt.srcPort) && !ports.has(pkt.dstPort)) return false;
    }
    const list = this.addresses;
    if (list.length === 0) return true;
    const src = pkt.src;
    const dst = pkt.dst;
    if (this.mode === PAIR) {
      const a = list[0];
      const b = list[1];
      return (
        (isAddress(src, ip, a) && isAddress(dst, ip, b)) || (isAddress(src, ip, b) && isAddress(dst, ip, a))
      );
    }
    let s = false;
    let d = false;
    for (let i = 0; i < list.length; i++) {
      if (!s && isAddress(src, ip, list[i])) s = true;
      if (!d && isAddress(dst, ip, list[i])) d = true;
    }
    return this.mode === ANY_END ? s || d : s && d;
  }
}

/** A selection ready to run: a predicate over one scan, or flows found in two. */
export type CompiledSelection = { kind: 'packets'; filter: PacketFilter } | { kind: 'flows'; flows: FlowSet };

/** Checks a selection and compiles it; throws SelectionError saying what is wrong. */
export function compileSelection(sel: Selection, timeouts: Partial<FlowTimeouts> = {}): CompiledSelection {
  switch (sel?.kind) {
    case 'flow':
      return { kind: 'flows', flows: new FlowSet([sel.flow], timeouts) };
    case 'flows':
      if (!Array.isArray(sel.flows)) throw new SelectionError('flows must be a list of flows');
      return { kind: 'flows', flows: new FlowSet(sel.flows, timeouts) };
    case 'time':
      return packets(range(sel.from, sel.to, 'the time range'));
    case 'window': {
      if (!(Number.isFinite(sel.length) && sel.length > 0)) {
        throw new SelectionError(
          `the window's length must be a positive number of seconds, not ${sel.length}`,
        );
      }
      const from = parseTimestamp(sel.start, "the window's start");
      return packets({ from, to: addSeconds(from, sel.length), toExclusive: true });
    }
    case 'host':
      return packets(optionalRange(sel.from, sel.to, 'the host'), [parseAddress(sel.address, 'the host')]);
    case 'pair': {
      if (!Array.isArray(sel.addresses) || sel.addresses.length !== 2) {
        throw new SelectionError('a host pair names two addresses');
      }
      const a = parseAddress(sel.addresses[0], 'the first host');
      const b = parseAddress(sel.addresses[1], 'the second host');
      return packets(optionalRange(sel.from, sel.to, 'the host pair'), [a, b], PAIR);
    }
    case 'alert': {
      if (!Array.isArray(sel.addresses) || sel.addresses.length === 0) {
        throw new SelectionError('an alert names at least one address');
      }
      const addresses = sel.addresses.map((a, i) => parseAddress(a, `the alert's address ${i + 1}`));
      let ports: Set<number> | null = null;
      if (sel.ports != null) {
        for (const p of sel.ports) {
          if (!(Number.isInteger(p) && p >= 0 && p <= 65535))
            throw new SelectionError(`the alert's port ${p} is not a port`);
        }
        ports = new Set(sel.ports);
      }
      const protocol = sel.protocol == null ? -1 : parseProtocol(sel.protocol, "the alert's protocol");
      const mode = addresses.length === 1 ? ANY_END : BOTH_AMONG;
      return packets(range(sel.from, sel.to, 'the alert'), addresses, mode, ports, protocol);
    }
    default:
      throw new SelectionError(`unknown selection kind '${(sel as { kind?: unknown })?.kind}'`);
  }
}

function packets(
  r: TimeRange,
  addresses: Address[] = [],
  mode = ANY_END,
  ports: Set<number> | null = null,
  protocol = -1,
): CompiledSelection {
  return { kind: 'packets', filter: new PacketFilter(r, addresses, mode, ports, protocol) };
}

function range(from: Timestamp, to: Timestamp, what: string): TimeRange {
  if (from == null || to == null) throw new SelectionError(`${what} needs a start and an end`);
  const r = {
    from: parseTimestamp(from, `${what}'s start`),
    to: parseTimestamp(to, `${what}'s end`),
    toExclusive: false,
  };
  checkOrder(r, what);
  return r;
}

function optionalRange(
  from: Timestamp | null | undefined,
  to: Timestamp | null | undefined,
  what: string,
): TimeRange {
  const r = {
    from: from == null ? null : parseTimestamp(from, `${what}'s start`),
    to: to == null ? null : parseTimestamp(to, `${what}'s end`),
    toExclusive: false,
  };
  checkOrder(r, what);
  return r;
}
