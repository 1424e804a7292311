import type { Writable } from 'node:stream';
import { canonicalIp, type FlowTimeouts } from '../analysis/index.js';
import { type PacketIndex, PacketIndexError, parsePacketIndex } from '../capture/index.js';
import {
  CaptureChangedError,
  type CaptureIdentity,
  compileSelection,
  type ExtractResult,
  extractPackets,
  type FlowRef,
  type OutputFormat,
  outputFormat,
  type Selection,
  SelectionError,
  type StoredCaptureSource,
} from '../extract/index.js';
import {
  type AlertSelectRow,
  type Db,
  type FlowSelectRow,
  getAlertForSelection,
  getCaptureSource,
  getFlowForSelection,
  getFlowsForSelection,
  getPacketIndexBytes,
  getSummaryPart,
  getWindowSpan,
} from '../storage/index.js';
import type { CaptureStore } from '../store/index.js';
import { captureChange, storedCaptureChange, storedCaptureRef, storeOf } from './capture.js';
import { PacketsError } from './errors.js';

/**
 * What packets to give, as the API's query and the CLI's flags name them. Exactly one of: a flow,
 * an alert, a window, a host (optionally within from/to), a host pair (same), a time range, or
 * the Protocols page's flow filters (ip, port, protocol, window_from/window_to).
 */
export interface PacketRequest {
  flow?: number;
  alert?: number;
  window?: number;
  from?: string;
  to?: string;
  host?: string;
  /** Two addresses, comma-separated. */
  hosts?: string;
  ip?: string;
  port?: number;
  protocol?: string;
  window_from?: number;
  window_to?: number;
}

/** Most flows a filter may select (each is matched against every packet of its time span). */
export const MAX_FILTER_FLOWS = 10_000;

/** A checked request, ready to stream: the capture, its index, the selection and what to call the file. */
export interface PacketPlan {
  /** The capture: a file's path, or an object in a capture store (read by ranges). */
  source: string | StoredCaptureSource;
  /** Closes a store opened for this plan (`writePlannedPackets` does once written). */
  release(): Promise<void>;
  index: PacketIndex;
  expect: CaptureIdentity;
  selection: Selection;
  timeouts: Partial<FlowTimeouts>;
  format: OutputFormat;
  /** application/vnd.tcpdump.pcap, or application/x-pcapng. */
  contentType: string;
  /** A file name saying what it holds, e.g. `web-capture-flow-42.pcap`. */
  fileName: string;
}

const PROTOCOL_NAMES: Record<string, string> = {
  tcp: 'TCP',
  udp: 'UDP',
  icmp: 'ICMP',
  icmpv6: 'ICMPv6',
  other: 'other',
};

/**
 * Checks a request against the session (loaded, packets kept, capture unchanged, the flow, alert
 * or window exists) and compiles it; throws PacketsError with a one-line reason. Nothing is
 * written before this has passed.
 */
export async function planSessionPackets(
  db: Db,
  sessionId: string,
  req: PacketRequest,
  options: { store?: CaptureStore | null } = {},
): Promise<PacketPlan> {
  const source = await getCaptureSource(db, sessionId);
  if (source === null) throw new PacketsError(404, `no session ${sessionId}`);
  if (source.status === 'queued' || source.status === 'processing')
    throw new PacketsError(
      409,
      `session ${sessionId} is still loading: its packets can be asked for once it is done`,
    );
  if (source.status === 'failed')
    throw new PacketsError(409, `session ${sessionId} failed to load: it has no packets to give`);
  const { selection, label } = await selectionOf(db, sessionId, req);
  if (source.capture_freed_at !== null)
    throw new PacketsError(
      410,
      `packets no longer kept: the copy of session ${sessionId}'s capture was freed on ${source.capture_freed_at.slice(0, 10)}`,
    );
  if (source.capture_path === null || !source.has_index)
    throw new PacketsError(
      410,
      `packets not available: session ${sessionId} has no packet index (analysed before Flowlens kept them, or a pcapng with too many sections or interfaces to index)`,
    );
  const path = source.capture_path;
  const ref = storedCaptureRef(path);
  let capture: string | StoredCaptureSource = path;
  let release: () => Promise<void> = async () => undefined;
  if (ref === null) {
    const changed = captureChange(path, source.file_size, source.capture_mtime_ms, source.capture_kept);
    if (changed !== null) throw new PacketsError(source.capture_kept ? 410 : 409, changed);
  } else {
    // Kept in an S3 store: the plan reads it through that store (the caller's when it is the one).
    const s = storeOf(ref, options.store);
    let changed: string | null;
    try {
      changed = await storedCaptureChange(path, ref, s.store, source.file_size, source.capture_mtime_ms);
    } catch (err) {
      await s.done();
      throw new PacketsError(503, `the capture store cannot be read: ${(err as Error).message}`);
    }
    if (changed !== null) {
      await s.done();
      throw new PacketsError(changed.startsWith('packets no longer kept') ? 410 : 409, changed);
    }
    capture = { name: path, open: (signal) => s.store.open(ref.key, signal) };
    release = s.done;
  }
  const bytes = await getPacketIndexBytes(db, sessionId);
  let index: PacketIndex;
  try {
    index = parsePacketIndex(bytes!);
  } catch (err) {
    await release();
    if (!(err instanceof PacketIndexError)) throw err;
    throw new PacketsError(409, `the packet index of session ${sessionId} cannot be read: ${err.message}`);
  }
  const flows = await getSummaryPart<{ timeouts_s?: Partial<FlowTimeouts> }>(db, sessionId, 'flows');
  const timeouts = flows?.timeouts_s ?? {};
  try {
    compileSelection(selection, timeouts);
  } catch (err) {
    await release();
    if (err instanceof SelectionError) throw new PacketsError(400, err.message);
    throw err;
  }
  const format = outputFormat(index);
  return {
    source: capture,
    release,
    index,
    expect: { size: source.file_size ?? index.captureBytes, mtimeMs: source.capture_mtime_ms ?? 0 },
    selection,
    timeouts,
    format,
    contentType: format === 'pcapng' ? 'application/x-pcapng' : 'application/vnd.tcpdump.pcap',
    fileName: `${baseName(source.name)}-${label.replace(/[^A-Za-z0-9._-]+/g, '_')}.${format === 'pcapng' ? 'pcapng' : 'pcap'}`,
  };
}

/** Streams a plan's packets to `out`; a capture changed since the plan was made is a CaptureChangedError. */
export async function writePlannedPackets(
  plan: PacketPlan,
  out: Writable,
  options: { signal?: AbortSignal; end?: boolean } = {},
): Promise<ExtractResult> {
  try {
    return await extractPackets(plan.source, plan.selection, out, {
      index: plan.index,
      expect: plan.expect,
      timeouts: plan.timeouts,
      signal: options.signal,
      end: options.end,
    });
  } finally {
    await plan.release();
  }
}

export { CaptureChangedError };

async function selectionOf(
  db: Db,
  sessionId: string,
  req: PacketRequest,
): Promise<{ selection: Selection; label: string }> {
  const has = (v: unknown) => v !== undefined && v !== null && v !== '';
  const filter =
    has(req.ip) || has(req.port) || has(req.protocol) || has(req.window_from) || has(req.window_to);
  const kinds = [
    has(req.flow) && 'flow',
    has(req.alert) && 'alert',
    has(req.window) && 'window',
    has(req.host) && 'host',
    has(req.hosts) && 'hosts',
    filter && 'flow filter (ip, port, protocol, window_from, window_to)',
  ].filter((k): k is string => k !== false);
  const timed = has(req.from) || has(req.to);
  if (kinds.length > 1) throw new PacketsError(400, `choose one selection, not ${kinds.join(' and ')}`);
  if (kinds.length === 0 && !timed)
    throw new PacketsError(
      400,
      'say which packets: flow, alert, window, host, hosts, from and to, or the flow filters ip, port, protocol',
    );
  const kind = kinds[0] ?? 'time';
  if (timed && kind !== 'time' && kind !== 'host' && kind !== 'hosts')
    throw new PacketsError(400, `from and to go with host, hosts or alone, not with ${kind}`);
  const from = has(req.from) ? timestamp(req.from!, 'from') : null;
  const to = has(req.to) ? timestamp(req.to!, 'to') : null;
  switch (kind) {
    case 'flow': {
      const id = nonNegative(req.flow, 'flow');
      const row = await getFlowForSelection(db, sessionId, id);
      if (row === null) throw new PacketsError(404, `session ${sessionId} has no flow ${id}`);
      return { selection: { kind: 'flow', flow: flowRef(row) }, label: `flow-${id}` };
    }
    case 'alert': {
      const id = nonNegative(req.alert, 'alert');
      const row = await getAlertForSelection(db, sessionId, id);
      if (row === null) throw new PacketsError(404, `session ${sessionId} has no alert ${id}`);
      return {
        selection: alertSelection(row),
        label: `alert-${id}${row.alert_type ? `-${row.alert_type}` : ''}`,
      };
    }
    case 'window': {
      const id = nonNegative(req.window, 'window');
      const w = await getWindowSpan(db, sessionId, id);
      if (w === null) throw new PacketsError(404, `session ${sessionId} has no window ${id}`);
      return {
        selection: { kind: 'window', start: w.start_ts, length: w.end_ts - w.start_ts },
        label: `window-${id}`,
      };
    }
    case 'host': {
      const ip = address(req.host!, 'host');
      return {
        selection: { kind: 'host', address: ip, from, to },
        label: `host-${ip}${rangeLabel(from, to)}`,
      };
    }
    case 'hosts': {
      const parts = req.hosts!.split(',').map((s) => s.trim());
      if (parts.length !== 2)
        throw new PacketsError(400, `hosts names two addresses A,B, not '${req.hosts}'`);
      const a = address(parts[0], 'hosts');
      const b = address(parts[1], 'hosts');
      return {
        selection: { kind: 'pair', addresses: [a, b], from, to },
        label: `hosts-${a}-${b}${rangeLabel(from, to)}`,
      };
    }
    case 'time': {
      if (from === null || to === null) throw new PacketsError(400, 'a time range needs both from and to');
      return { selection: { kind: 'time', from, to }, label: `time${rangeLabel(from, to)}` };
    }
    default: {
      const protocol = has(req.protocol) ? PROTOCOL_NAMES[String(req.protocol).toLowerCase()] : null;
      if (protocol === undefined)
        throw new PacketsError(
          400,
          `protocol must be tcp, udp, icmp, icmpv6 or other, not '${req.protocol}'`,
        );
      const ip = has(req.ip) ? address(req.ip!, 'ip') : null;
      const port = has(req.port) ? integer(req.port, 'port', 0, 65535) : null;
      const wFrom = has(req.window_from) ? nonNegative(req.window_from, 'window_from') : null;
      const wTo = has(req.window_to) ? nonNegative(req.window_to, 'window_to') : null;
      if (wFrom !== null && wTo !== null && wFrom > wTo)
        throw new PacketsError(400, `window_from (${wFrom}) must not be after window_to (${wTo})`);
      const rows = await getFlowsForSelection(
        db,
        sessionId,
        { ip, port, protocol, windowFrom: wFrom, windowTo: wTo },
        MAX_FILTER_FLOWS + 1,
      );
      if (rows.length > MAX_FILTER_FLOWS)
        throw new PacketsError(
          400,
          `the filter matches more than ${MAX_FILTER_FLOWS} flows: narrow it, or ask for a host or a time range`,
        );
      const label = [
        'flows',
        ip && `ip-${ip}`,
        port !== null && `port-${port}`,
        protocol && String(req.protocol).toLowerCase(),
        wFrom !== null && `from-window-${wFrom}`,
        wTo !== null && `to-window-${wTo}`,
      ]
        .filter(Boolean)
        .join('-');
      if (rows.length === 0) {
        // No flow matches: an empty but valid capture. Record times are unsigned (pcap, pcapng),
        // so no packet is at -1 s, and the index finds no block to read.
        return { selection: { kind: 'time', from: '-1', to: '-1' }, label };
      }
      return { selection: { kind: 'flows', flows: rows.map(flowRef) }, label };
    }
  }
}

function flowRef(r: FlowSelectRow): FlowRef {
  return {
    protocol: r.protocol,
    src_ip: r.src_ip,
    dst_ip: r.dst_ip,
    src_port: r.src_port,
    dst_port: r.dst_port,
    first_ts: r.first_ts,
    last_ts: r.last_ts,
    packets: r.packets,
    bytes: r.bytes,
  };
}

/**
 * An alert's packets: within its span, between the addresses it names (one: either end), on its
 * one port and of its protocol when it names them. A port scan's list of ports is cut at 50, so
 * it is not used (its attacker and victim already say which packets). An alert that names no
 * address (a rate across the capture) or only ARP gives every packet of its span.
 */
function alertSelection(a: AlertSelectRow): Selection {
  const d = a.details ?? {};
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const from = num(d.first_ts) ?? a.window_start ?? a.event_ts;
  const to = num(d.last_ts) ?? a.window_end ?? a.event_ts;
  if (from === null || to === null)
    throw new PacketsError(400, `alert ${a.id} has no time span to select by`);
  const addresses = Array.isArray(d.addresses)
    ? [...new Set(d.addresses.filter((x): x is string => typeof x === 'string' && canonicalIp(x) !== null))]
    : [];
  const protocol = typeof d.protocol === 'string' ? d.protocol : null;
  if (addresses.length === 0 || protocol?.toLowerCase() === 'arp') return { kind: 'time', from, to };
  const port = num(d.port);
  return {
    kind: 'alert',
    addresses,
    ports: port !== null && Number.isInteger(port) ? [port] : null,
    protocol,
    from,
    to,
  };
}

const DECIMAL = /^-?\d+(?:\.\d{1,9})?$/;

/** Seconds since 1970 (exact, up to 9 decimals) or an ISO 8601 date and time. */
function timestamp(text: string, what: string): string {
  const t = String(text).trim();
  if (DECIMAL.test(t)) return t;
  const ms = /\d{4}-\d\d-\d\d/.test(t) ? Date.parse(t) : Number.NaN;
  if (Number.isNaN(ms))
    throw new PacketsError(
      400,
      `${what} must be seconds since 1970 (e.g. 1700000000.25) or an ISO date and time, not '${text}'`,
    );
  return (ms / 1000).toFixed(3);
}

function address(text: string, what: string): string {
  const ip = canonicalIp(String(text).trim());
  if (ip === null) throw new PacketsError(400, `${what} '${text}' is not an IPv4 or IPv6 address`);
  return ip;
}

function integer(v: unknown, what: string, min: number, max: number): number {
  const n = typeof v === 'number' ? v : /^\d+$/.test(String(v).trim()) ? Number(v) : Number.NaN;
  if (!(Number.isSafeInteger(n) && n >= min && n <= max))
    throw new PacketsError(400, `${what} must be a whole number from ${min} to ${max}, not '${v}'`);
  return n;
}

function nonNegative(v: unknown, what: string): number {
  return integer(v, what, 0, Number.MAX_SAFE_INTEGER);
}

function rangeLabel(from: string | null, to: string | null): string {
  return `${from === null ? '' : `-from-${from}`}${to === null ? '' : `-to-${to}`}`;
}

/** The session's name as a file name's start: its extension off, nothing a shell or a browser minds. */
function baseName(name: string): string {
  const base = name
    .replace(/\.(pcapng|pcap|cap)(\.gz)?$/i, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._-]+/, '')
    .slice(0, 60);
  return base === '' ? 'capture' : base;
}
