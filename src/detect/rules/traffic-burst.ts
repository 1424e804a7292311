import { FLOW_CHUNK, FLOW_DOUBLES, FLOW_WORDS } from '../../analysis/flow-index.js';
import type { WindowRow } from '../../analysis/index.js';
import { formatBytes, formatSeconds } from '../../format/index.js';
import { PairTable } from '../pair-table.js';
import { type Insight, ip, median, type RuleContext, runs, type Severity, windowRange } from './context.js';

/**
 * Total or outbound bytes/s far above the capture's usual. From 4× the usual rate: low; an
 * outbound surge of 10× the usual outbound: medium; one local host uploading ≥ 50 MB of it to one
 * remote address: high.
 */
export const TRAFFIC_BURST = {
  minFactor: 4,
  mediumFactor: 10,
  minBytes: 1_000_000,
  highBytes: 50_000_000,
} as const;

/**
 * What makes a burst ordinary for its host or service: a transfer (a flow of `minBytes` or more)
 * of that host or service outside the burst ran at least 1/`factor` of the burst's rate.
 */
export const USUAL_TRANSFER = { minBytes: 100_000, factor: 3 } as const;

/** Flows whose end lies over this many windows after their start may overlap any later window. */
const SHORT_SPAN = 2;

export function trafficBursts(ctx: RuleContext): Insight[] {
  const R = TRAFFIC_BURST;
  const { usual, usualOut, bursts } = findBursts(ctx);
  const out: Insight[] = [];
  if (usual === 0) return out;
  // The conversation that carried most of each: flows overlapping the burst, bytes prorated by
  // the part of the flow inside it (a flow's bytes are assumed spread evenly over its life).
  const conversations = ctx.index ? burstConversations(ctx, bursts) : bursts.map(() => new PairTable(4));
  const found: Found[] = [];
  for (let r = 0; r < bursts.length; r++) {
    const { from, to, t0, t1, outbound } = bursts[r];
    const ws = ctx.rows.slice(from, to + 1);
    const bytes = ws.reduce((a, w) => a + w.byte_count, 0);
    const outBytes = ws.reduce((a, w) => a + w.outbound_bytes, 0);
    const peak = Math.max(...ws.map((w) => (outbound ? outRate(w) : w.bytes_per_sec)));
    const pairs = conversations[r];
    // The pair with the most bytes, the first of them on a tie (a stable sort's first).
    let best = -1;
    for (let e = 0; e < pairs.size; e++)
      if (best < 0 || pairs.values[4 * e] > pairs.values[4 * best]) best = e;
    const top =
      best < 0
        ? undefined
        : {
            src: pairs.hi[best],
            dst: pairs.lo[best],
            bytes: pairs.values[4 * best],
            first: pairs.values[4 * best + 1],
            port: pairs.values[4 * best + 2],
            toServer: pairs.values[4 * best + 3] === 1,
          };
    const toRemote = top && ctx.analyzer.isLocal(top.src) && !ctx.analyzer.isLocal(top.dst);
    // Downloads far above the usual rate are ordinary on most networks (updates, videos): worth a
    // line on the timeline, not an alarm. Data leaving is what matters: an outbound surge is
    // medium, a large upload to one remote address high.
    const severity: Severity =
      top && toRemote && top.bytes >= R.highBytes && top.bytes >= (outbound ? outBytes : bytes) / 2
        ? 'high'
        : outbound && peak >= R.mediumFactor * usualOut
          ? 'medium'
          : 'low';
    const who = top
      ? `; ${ip(ctx, top.src)} sent ${formatBytes(top.bytes)} of it to ${ip(ctx, top.dst)}${top.port ? `:${top.port}` : ''}`
      : '';
    const base = outbound ? usualOut : usual;
    const what = outbound ? 'Outbound traffic (local hosts to remote addresses)' : 'Traffic';
    found.push({
      top,
      t0,
      t1,
      insight: {
        insight_type: 'alert',
        alert_type: 'traffic_burst',
        severity,
        summary: `${what} rose to ${formatBytes(peak)}/s for ${formatSeconds(t1 - t0)}, ${(peak / base).toFixed(0)}× the capture's usual ${formatBytes(base)}/s (${formatBytes(outbound ? outBytes : bytes)} in all)${who}.`,
        details: {
          direction: outbound ? 'outbound' : 'all',
          bytes,
          outbound_bytes: outBytes,
          peak_bytes_per_sec: peak,
          usual_bytes_per_sec: base,
          addresses: top ? [ip(ctx, top.src), ip(ctx, top.dst)] : [],
          top_sender: top ? ip(ctx, top.src) : null,
          top_receiver: top ? ip(ctx, top.dst) : null,
          port: top?.port ?? null,
          top_bytes: top ? Math.round(top.bytes) : 0,
          outbound_to_remote: Boolean(toRemote),
        },
        ...windowRange(ctx, from, to),
        // When the conversation that carried it began inside the burst, that is when it started.
        event_ts: top ? Math.max(t0, top.first) : t0,
      },
    });
  }
  return judged(ctx, found);
}

interface Found {
  top?: { src: number; dst: number; bytes: number; first: number; port: number; toServer: boolean };
  t0: number;
  t1: number;
  insight: Insight;
}

/** A burst's kind, by who sent to whom: what the roll-up counts ("14 downloads …"). */
type Kind = 'download' | 'upload' | 'LAN transfer' | 'transfer';

function kindOf(localSender: boolean, localReceiver: boolean): Kind {
  return localSender && localReceiver
    ? 'LAN transfer'
    : localSender
      ? 'upload'
      : localReceiver
        ? 'download'
        : 'transfer';
}

/**
 * Each burst judged against its own host's and service's usual: the fastest other transfer of the
 * same kind (download, upload, LAN transfer; a flow of at least USUAL_TRANSFER.minBytes, outside
 * the burst's time) of the local host, and on the same port. A burst at least `factor`
 * × both is unusual and stays an alert, saying why; the others are that host's or that service's
 * ordinary volume (a client that often downloads, HTTPS downloads every client makes) and roll up,
 * per kind, into one summary insight that lists them. Large uploads to one remote address (high)
 * always stay alerts.
 */
function judged(ctx: RuleContext, found: Found[]): Insight[] {
  const U = USUAL_TRANSFER;
  const L = ctx.windows.lengthS || 1;
  const isLocal = (id: number) => ctx.analyzer.isLocal(id);
  const roles = found.map((f) => {
    if (!f.top) return null;
    const { src, dst, port, toServer } = f.top;
    const server = toServer ? dst : src;
    const client = toServer ? src : dst;
    // The local side that is not the service, when there is one: whose habits the burst is judged by.
    const host = isLocal(client) || !isLocal(server) ? client : server;
    return { host, server, port, kind: kindOf(isLocal(src), isLocal(dst)) };
  });
  // Every transfer of the hosts and services concerned, in one pass over the index. A service is
  // a port and a kind: HTTPS downloads, SMB transfers on the LAN, uploads over HTTPS …
  const hostTransfers = new Map<string, number[]>();
  const serviceTransfers = new Map<string, number[]>();
  for (const r of roles)
    if (r) {
      hostTransfers.set(`${r.host}>${r.kind}`, []);
      serviceTransfers.set(`${r.port}>${r.kind}`, []);
    }
  const index = ctx.index;
  if (index && hostTransfers.size > 0)
    for (let f = 0; f < index.size; f++) {
      const sb = index.srcBytes(f);
      const db = index.dstBytes(f);
      if (sb + db < U.minBytes) continue;
      const s = index.start(f);
      const e = index.end(f);
      const a = index.src(f);
      const d = index.dst(f);
      // Like with like: a host's uploads against its other uploads, and so on.
      const kind = sb >= db ? kindOf(isLocal(a), isLocal(d)) : kindOf(isLocal(d), isLocal(a));
      hostTransfers.get(`${a}>${kind}`)?.push(s, e, sb + db);
      if (d !== a) hostTransfers.get(`${d}>${kind}`)?.push(s, e, sb + db);
      serviceTransfers.get(`${index.dstPort(f)}>${kind}`)?.push(s, e, sb + db);
    }
  /** The fastest of the transfers outside t0..t1 (bytes/s, a transfer shorter than a window counted as one window). */
  const fastest = (list: number[] | undefined, t0: number, t1: number) => {
    let best = 0;
    if (list)
      for (let i = 0; i < list.length; i += 3)
        if (list[i + 1] < t0 || list[i] > t1)
          best = Math.max(best, list[i + 2] / Math.max(list[i + 1] - list[i], L));
    return best;
  };
  const out: Insight[] = [];
  const ordinary = new Map<Kind, { f: Found; rate: number; why: string }[]>();
  found.forEach((f, k) => {
    const r = roles[k];
    if (!r || !f.top) {
      out.push(f.insight);
      return;
    }
    const rate = f.top.bytes / Math.max(f.t1 - f.t0, L);
    const hostUsual = fastest(hostTransfers.get(`${r.host}>${r.kind}`), f.t0, f.t1);
    const serviceUsual = fastest(serviceTransfers.get(`${r.port}>${r.kind}`), f.t0, f.t1);
    const host = ip(ctx, r.host);
    const service = `${r.kind}s on port ${r.port}`;
    const forHost = rate >= U.factor * hostUsual;
    const forService = rate >= U.factor * serviceUsual;
    const d = f.insight.details;
    d.rate_bytes_per_sec = rate;
    d.host = host;
    d.host_usual_bytes_per_sec = hostUsual;
    d.service = service;
    d.service_usual_bytes_per_sec = serviceUsual;
    if (f.insight.severity === 'high' || (forHost && forService)) {
      const hostPart =
        hostUsual > 0
          ? `its fastest other ${r.kind} ran at ${formatBytes(hostUsual)}/s`
          : `it made no other ${r.kind} of ${formatBytes(U.minBytes)} or more`;
      const servicePart =
        serviceUsual > 0
          ? `the fastest other ${r.kind} on port ${r.port} at ${formatBytes(serviceUsual)}/s`
          : `no other ${r.kind} on port ${r.port} reached ${formatBytes(U.minBytes)}`;
      const why =
        forHost && forService
          ? ` Unusual for ${host}: this ran at ${formatBytes(rate)}/s, while ${hostPart} and ${servicePart}.`
          : ` Large for an upload, though ${!forHost ? `another ${r.kind} of ${host} ran at ${formatBytes(hostUsual)}/s` : `another of the ${service} ran at ${formatBytes(serviceUsual)}/s`}.`;
      f.insight.summary += why;
      out.push(f.insight);
      return;
    }
    const why = !forHost
      ? `usual for ${host}, whose fastest other ${r.kind} ran at ${formatBytes(hostUsual)}/s`
      : `usual for ${service}, the fastest other of which ran at ${formatBytes(serviceUsual)}/s`;
    const list = ordinary.get(r.kind) ?? [];
    list.push({ f, rate, why });
    ordinary.set(r.kind, list);
  });
  for (const [kind, list] of ordinary) {
    const largest = list.reduce((a, b) => (b.f.top!.bytes > a.f.top!.bytes ? b : a));
    const slowest = Math.min(...list.map((x) => x.rate));
    const t = largest.f.top!;
    const first = list[0].f.insight;
    const last = list[list.length - 1].f.insight;
    const n = list.length;
    out.push({
      insight_type: 'summary',
      alert_type: 'traffic_bursts',
      severity: 'low',
      summary:
        n === 1
          ? `1 ${kind} far above the capture's usual traffic, ${formatBytes(t.bytes)} that ${ip(ctx, t.src)} sent to ${ip(ctx, t.dst)}:${t.port} at ${formatBytes(largest.rate)}/s, ${largest.why}.`
          : `${n} ${kind}s far above the capture's usual traffic, at ${formatBytes(slowest)}/s or more, each usual for its host or its service; the largest, ${formatBytes(t.bytes)}, ${ip(ctx, t.src)} sent to ${ip(ctx, t.dst)}:${t.port}, ${largest.why}.`,
      details: {
        kind,
        count: n,
        addresses: [ip(ctx, t.src), ip(ctx, t.dst)],
        bursts: list.map((x) => ({
          event_ts: x.f.insight.event_ts,
          sender: ip(ctx, x.f.top!.src),
          receiver: ip(ctx, x.f.top!.dst),
          port: x.f.top!.port,
          bytes: Math.round(x.f.top!.bytes),
          rate_bytes_per_sec: x.rate,
          severity: x.f.insight.severity,
          why: x.why,
        })),
      },
      event_ts: first.event_ts,
      window_start: first.window_start,
      window_end: last.window_end,
    });
  }
  return out;
}

interface Burst {
  from: number;
  to: number;
  t0: number;
  t1: number;
  outbound: boolean;
}

const outRate = (w: WindowRow) => w.outbound_bytes / (w.end_ts - w.start_ts || 1);

interface BurstSet {
  /** The capture's usual bytes per second (all, outbound): medians over windows with traffic. */
  usual: number;
  usualOut: number;
  bursts: Burst[];
}

/** The runs of windows far above the usual rate (none when the capture has no traffic). */
function findBursts(ctx: RuleContext): BurstSet {
  const R = TRAFFIC_BURST;
  const usual = median(ctx.rows.map((w) => w.bytes_per_sec).filter((r) => r > 0));
  const usualOut = median(ctx.rows.map(outRate).filter((r) => r > 0));
  // A window is a burst in all its traffic, or in what local hosts sent out (an upload can be far
  // above the usual outbound rate while downloads keep the total ordinary).
  const total = (w: WindowRow) => w.bytes_per_sec >= R.minFactor * usual && w.byte_count >= R.minBytes;
  const upload = (w: WindowRow) =>
    usualOut > 0 && outRate(w) >= R.minFactor * usualOut && w.outbound_bytes >= R.minBytes;
  const bursts: Burst[] =
    usual === 0
      ? []
      : runs(ctx.rows.length, (k) => (total(ctx.rows[k]) || upload(ctx.rows[k]) ? 'burst' : null)).map(
          (run) => {
            const ws = ctx.rows.slice(run.from, run.to + 1);
            return {
              from: run.from,
              to: run.to,
              t0: ws[0].start_ts,
              t1: ws[ws.length - 1].end_ts,
              outbound: ws.filter(upload).length > ws.filter(total).length,
            };
          },
        );
  return { usual, usualOut, bursts };
}

/**
 * Per burst, per (sender, receiver): bytes, first start and port of its first flow, over the flows
 * that may overlap the burst (those starting from SHORT_SPAN windows before it, a shorter flow
 * cannot reach further, and the long flows) and do, in ascending order; for an outbound burst,
 * only local hosts sending to remote ones. One pass over the index serves every burst, instead of
 * gathering and sorting each burst's flows.
 */
function burstConversations(ctx: RuleContext, bursts: Burst[]): PairTable[] {
  const index = ctx.index!;
  const conversations = bursts.map(() => new PairTable(4));
  if (bursts.length === 0) return conversations;
  const { t0: w0, lengthS, count } = ctx.windows;
  const last = Math.max(count - 1, 0);
  // Per window, the burst that looks at the flows starting there. Runs of bursts are at least
  // three windows apart, so the spans do not overlap.
  const burstOf = new Int32Array(last + 1).fill(-1);
  for (let b = 0; b < bursts.length; b++)
    for (let k = Math.max(0, bursts[b].from - SHORT_SPAN); k <= Math.min(last, bursts[b].to); k++)
      burstOf[k] = b;
  const isLocal = (id: number) => ctx.analyzer.isLocal(id);
  // The index's rows read in place (see `chunks`), in one flat loop (see `groupFlows`).
  const { doubles, words } = index.chunks();
  const ROW = FLOW_CHUNK - 1;
  for (let f = 0; f < index.size; f++) {
    const d = doubles[f >>> 16];
    const w = words[f >>> 16];
    const o = (f & ROW) * FLOW_DOUBLES;
    const u = (f & ROW) * FLOW_WORDS;
    const s = d[o];
    const e = d[o + 1];
    // windowAt written out (this loop runs for every flow): the grouping's windows.
    const k = Math.min(Math.max(Math.floor((s - w0) / lengthS), 0), last);
    const own = burstOf[k];
    // A long flow (its end over SHORT_SPAN windows after its start) may overlap any burst: those
    // its windows come near (one window of slack for rounding; the times decide). A flow shorter
    // than a window ends at most two windows (with rounding) after its start: not long.
    const end = e - s > lengthS ? Math.min(Math.max(Math.floor((e - w0) / lengthS), 0), last) : k;
    const long = end - k > SHORT_SPAN;
    if (own < 0 && !long) continue;
    // One call site, so the loop is compiled with one copy of it.
    for (let b = long ? 0 : own; b < (long ? bursts.length : own + 1); b++)
      if (b === own || (long && k <= bursts[b].to + 1 && end + 1 >= bursts[b].from))
        addConversation(d, w, o, u, bursts[b], isLocal, conversations[b]);
  }
  return conversations;
}

/**
 * The bytes inside the burst of the flow at `o` and `u` of an index chunk (`d`, `w`), prorated by the
 * part of its life there, to its conversation. It reads the flow's times again rather than take
 * them: a double passed to a call that is not inlined is allocated.
 */
function addConversation(
  d: Float64Array,
  w: Uint32Array,
  o: number,
  u: number,
  burst: Burst,
  isLocal: (id: number) => boolean,
  pairs: PairTable,
): void {
  const s = d[o];
  const e = d[o + 1];
  const { t0, t1 } = burst;
  if (e < t0 || s >= t1) return;
  const life = e - s;
  const part = life <= 0 ? 1 : (Math.min(e, t1) - Math.max(s, t0)) / life;
  const sb = d[o + 2] * part;
  const db = d[o + 3] * part;
  const forward = sb >= db;
  const src = forward ? w[u + 2] : w[u + 3];
  const dst = forward ? w[u + 3] : w[u + 2];
  if (burst.outbound && !(isLocal(src) && !isLocal(dst))) return;
  const p = pairs.add(src, dst) * 4;
  const pv = pairs.values;
  if (pairs.added) {
    pv[p + 1] = s;
    pv[p + 2] = w[u + 4] >>> 16;
    // Whether the receiver is the flow's responder (the service's side): an upload to it.
    pv[p + 3] = forward ? 1 : 0;
  }
  pv[p] += Math.max(sb, db);
  pv[p + 1] = Math.min(pv[p + 1], s);
}
