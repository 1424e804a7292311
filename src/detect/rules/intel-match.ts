import { formatCount } from '../../format/index.js';
import type { IntelEntry } from '../intel.js';
import { type Insight, type RuleContext, windowsOfTimes } from './context.js';

/** Every match is an alert; a list entry is something the analyst asked to hear about. */
export const INTEL_MATCH = {
  severity: 'high',
  /** At most this many alerts per capture (the rest are counted in the last one's details). */
  maxAlerts: 500,
} as const;

function entryText(e: IntelEntry): string {
  return `${e.value}${e.description ? ` (${e.description})` : ''} from ${e.list}`;
}

function alert(
  ctx: RuleContext,
  e: IntelEntry,
  what: string,
  first: number,
  last: number,
  details: Record<string, unknown>,
): Insight {
  return {
    insight_type: 'alert',
    alert_type: 'intel_match',
    severity: INTEL_MATCH.severity,
    summary: `${what} matches intel list entry ${entryText(e)}.`,
    details: {
      list: e.list,
      entry: e.value,
      kind: e.kind,
      description: e.description,
      first_ts: first,
      last_ts: last,
      ...details,
    },
    event_ts: first,
    ...windowsOfTimes(ctx, first, last),
  };
}

/**
 * Addresses of the flows against the lists' IPs and networks (each distinct address once, then one
 * pass over the flow index for its flows), and the log transactions, when given, against domains
 * (DNS queries, TLS server names, HTTP hosts) and JA3/JA4 fingerprints. One alert per matched
 * address, per (client, name, entry) and per (client, fingerprint).
 */
export function intelMatches(ctx: RuleContext): Insight[] {
  const intel = ctx.intel;
  if (!intel) return [];
  const out: Insight[] = [];
  const { addresses } = ctx.analyzer;
  if (intel.hasAddresses && ctx.index) {
    const hit = new Int32Array(addresses.size).fill(-1);
    const entries: IntelEntry[] = [];
    for (let id = 0; id < addresses.size; id++) {
      const e = intel.address(addresses.format(id), addresses.familyOf(id), addresses.wordsOf(id));
      if (e) {
        hit[id] = entries.length;
        entries.push(e);
      }
    }
    if (entries.length > 0) {
      const n = entries.length;
      const flows = new Float64Array(n);
      const first = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
      const last = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
      const peer = new Int32Array(n).fill(-1);
      const idOf = new Int32Array(n);
      const index = ctx.index;
      for (let f = 0; f < index.size; f++) {
        for (let side = 0; side < 2; side++) {
          const me = side === 0 ? index.src(f) : index.dst(f);
          const other = side === 0 ? index.dst(f) : index.src(f);
          const k = hit[me];
          if (k < 0) continue;
          idOf[k] = me;
          flows[k]++;
          if (index.start(f) < first[k]) {
            first[k] = index.start(f);
            peer[k] = other;
          }
          last[k] = Math.max(last[k], index.end(f));
        }
      }
      for (let k = 0; k < n; k++) {
        if (flows[k] === 0) continue;
        const address = addresses.format(idOf[k]);
        out.push(
          alert(ctx, entries[k], `Address ${address} (${formatCount(flows[k])} flows)`, first[k], last[k], {
            address,
            flows: flows[k],
            first_peer: peer[k] < 0 ? null : addresses.format(peer[k]),
            addresses: [address],
          }),
        );
      }
    }
  }
  const logs = ctx.logs;
  if (logs) {
    // Name matches grouped by (entry, client, name, where it was seen).
    const groups = new Map<
      string,
      {
        e: IntelEntry;
        what: string;
        first: number;
        last: number;
        count: number;
        details: Record<string, unknown>;
      }
    >();
    const add = (
      e: IntelEntry | null,
      key: string,
      what: string,
      ts: number,
      details: Record<string, unknown>,
    ) => {
      if (!e) return;
      const k = `${e.list}\u0000${e.kind}\u0000${e.value}\u0000${key}`;
      const g = groups.get(k);
      if (g) {
        g.count++;
        g.first = Math.min(g.first, ts);
        g.last = Math.max(g.last, ts);
      } else groups.set(k, { e, what, first: ts, last: ts, count: 1, details });
    };
    for (const d of logs.dns)
      add(
        intel.domain(d.query),
        `dns\u0000${d.client}\u0000${d.query}`,
        `DNS query for ${d.query} by ${d.client}`,
        d.ts,
        {
          seen_in: 'dns',
          name: d.query,
          client: d.client,
          server: d.server,
          addresses: [d.client, d.server],
        },
      );
    for (const h of logs.http)
      add(
        intel.domain(h.host),
        `http\u0000${h.client}\u0000${h.host}`,
        `HTTP request to ${h.host} by ${h.client}`,
        h.ts,
        {
          seen_in: 'http',
          name: h.host,
          client: h.client,
          server: h.server,
          addresses: [h.client, h.server],
        },
      );
    for (const t of logs.tls) {
      add(
        intel.domain(t.sni),
        `tls\u0000${t.client}\u0000${t.sni}`,
        `TLS connection to ${t.sni} by ${t.client}`,
        t.ts,
        {
          seen_in: 'tls',
          name: t.sni,
          client: t.client,
          server: t.server,
          addresses: [t.client, t.server],
        },
      );
      for (const kind of ['ja3', 'ja4'] as const) {
        const hash = t[kind];
        add(
          intel.fingerprint(kind, hash),
          `${kind}\u0000${t.client}`,
          `TLS client ${t.client} with ${kind.toUpperCase()} ${hash}`,
          t.ts,
          {
            seen_in: 'tls',
            fingerprint: hash,
            client: t.client,
            server: t.server,
            addresses: [t.client, t.server],
          },
        );
      }
    }
    for (const g of groups.values())
      out.push(
        alert(ctx, g.e, g.count > 1 ? `${g.what} (${formatCount(g.count)} times)` : g.what, g.first, g.last, {
          ...g.details,
          count: g.count,
        }),
      );
  }
  out.sort((a, b) => (a.event_ts ?? 0) - (b.event_ts ?? 0));
  if (out.length > INTEL_MATCH.maxAlerts) {
    const left = out.length - INTEL_MATCH.maxAlerts;
    out.length = INTEL_MATCH.maxAlerts;
    out[out.length - 1].details.matches_not_shown = left;
  }
  return out;
}
