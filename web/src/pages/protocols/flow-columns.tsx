import type { ColumnDef } from '@tanstack/react-table';
import {
  formatBytes,
  formatClock,
  formatCount,
  formatDuration,
  formatEndpoint,
  formatTime,
} from '../../../../src/format/index.js';
import type { Flow } from '../../api/types';
import { type GeoFields, GeoTag } from '../../components/geo';
import { type PacketsAvailability, PacketsLink } from '../../components/PacketsLink';
import { UserText } from '../../components/UserText';
import { pageUrl } from '../../routes';
import { CONN_STATE_TEXTS } from './conn-states';
import { historyTooltip } from './history';
import { ProtoTag } from './ProtoTag';

// The flows table's columns: what each cell shows, and how wide each column is.

const DNS_RCODES: Record<number, string> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
};

/** The width of one character of the flows table's addresses (12.5 px monospace). */
const MONO_CHAR_PX = 7.6;

/** The flows table's columns of figures, px (with their 5 px paddings). */
const COLUMN_PX: Record<string, number> = {
  protocol: 62,
  service: 96,
  start: 98,
  duration: 76,
  packets: 72,
  bytes: 76,
  state: 50,
  history: 74,
  retrans: 52,
  // the download arrow (named "Packets"): the word beside the Packets count column cost the hints
  // their room and, at 1366 px, pushed the table past its card
  pcap: 44,
};

const FIXED_PX = Object.values(COLUMN_PX).reduce((a, b) => a + b, 0);

/** An address column's width for `chars` characters. */
const endpointPx = (chars: number) => Math.ceil(chars * MONO_CHAR_PX) + 14;

/** Room for any IPv4 address and port ("255.255.255.255:65535"), never cut. */
const IPV4_ENDPOINT_PX = endpointPx(21);

/** Narrower than this the table scrolls sideways in its card. */
export const MIN_TABLE_PX = 1000;

function isIcmp(protocol: string): boolean {
  const p = protocol.toLowerCase();
  return p === 'icmp' || p === 'icmpv6';
}

/**
 * An address (and port) that fits its column: when it does not, the middle is cut with an
 * ellipsis and the end stays, where an IPv6 address's interface ID and the port are. Full text
 * in the tooltip.
 */
function Endpoint({ ip, port, geo }: { ip: string; port: number | null; geo: GeoFields }) {
  const text = formatEndpoint(ip, port);
  // The tail that must stay: the port, and an IPv6 address's last two groups.
  let cut = text.length;
  if (ip.includes(':')) {
    const groups = ip.split(':');
    const keep = groups.slice(-2).join(':').length;
    cut = text.length - (port === null ? 0 : String(port).length + 2) - keep;
  } else if (port !== null) cut = text.length - String(port).length - 1;
  const address = (
    <span className="endpoint mono" title={text}>
      <span className="endpoint-head">{text.slice(0, cut)}</span>
      <span className="endpoint-tail">{text.slice(cut)}</span>
    </span>
  );
  return (
    <span className="endpoint-cell">
      {address}
      <GeoTag geo={geo} />
    </span>
  );
}

function hints(f: Flow): string[] {
  const out: string[] = [];
  if (f.tls_sni) out.push(`SNI ${f.tls_sni}`);
  if (f.http_host || f.http_method)
    out.push(`HTTP ${[f.http_method, f.http_host].filter(Boolean).join(' ')}`);
  if (f.dns_query) {
    const rc = f.dns_rcode === null ? '' : ` (${DNS_RCODES[f.dns_rcode] ?? `rcode ${f.dns_rcode}`})`;
    out.push(`DNS ${f.dns_query}${rc}`);
  }
  return out;
}

/** The columns, each cell as the table shows it; `labels` name the service ports ("443 (HTTPS)"). */
export function flowColumns(
  labels: Map<string, string>,
  sessionId: string,
  packets: PacketsAvailability,
): ColumnDef<Flow>[] {
  return [
    {
      id: 'src',
      header: 'Source',
      cell: ({ row: { original: f } }) => (
        <Endpoint
          ip={f.src_ip}
          port={isIcmp(f.protocol) ? null : f.src_port}
          geo={{ country: f.src_country ?? null, asn: f.src_asn ?? null, as_name: f.src_as_name ?? null }}
        />
      ),
    },
    {
      id: 'dst',
      header: 'Destination',
      cell: ({ row: { original: f } }) => (
        <Endpoint
          ip={f.dst_ip}
          port={isIcmp(f.protocol) ? null : f.dst_port}
          geo={{ country: f.dst_country ?? null, asn: f.dst_asn ?? null, as_name: f.dst_as_name ?? null }}
        />
      ),
    },
    {
      id: 'protocol',
      header: 'Proto',
      cell: ({ row: { original: f } }) => <ProtoTag protocol={f.protocol} />,
    },
    {
      id: 'service',
      header: 'Service',
      cell: ({ row: { original: f } }) => {
        if (isIcmp(f.protocol)) {
          const text = `type ${f.src_port} code ${f.dst_port}`;
          return (
            <span className="muted cell-clip" title={text}>
              {text}
            </span>
          );
        }
        if (f.dst_port === null) return '—';
        const text = labels.get(`${f.protocol.toLowerCase()}/${f.dst_port}`) ?? String(f.dst_port);
        return (
          <span className="cell-clip" title={text}>
            {text}
          </span>
        );
      },
    },
    {
      id: 'start',
      header: 'Start (UTC)',
      cell: ({ row: { original: f } }) => (
        <span title={formatTime(f.start_timestamp, 6)}>{formatClock(f.start_timestamp, 3)}</span>
      ),
    },
    {
      id: 'duration',
      header: 'Duration',
      meta: { numeric: true },
      cell: ({ row: { original: f } }) => formatDuration(f.duration_seconds),
    },
    {
      id: 'packets',
      header: 'Packets',
      meta: { numeric: true },
      cell: ({ row: { original: f } }) => (
        <span title={`${formatCount(f.src_packets)} → · ← ${formatCount(f.dst_packets)}`}>
          {formatCount(f.packet_count)}
        </span>
      ),
    },
    {
      id: 'bytes',
      header: 'Bytes',
      meta: { numeric: true },
      cell: ({ row: { original: f } }) => (
        <span
          title={`${formatBytes(f.src_bytes)} → · ← ${formatBytes(f.dst_bytes)} (${formatCount(f.total_bytes)} B)${
            f.orig_bytes != null && f.resp_bytes != null
              ? `\npayload ${formatBytes(f.orig_bytes)} → · ← ${formatBytes(f.resp_bytes)} (by sequence numbers)`
              : ''
          }`}
        >
          {formatBytes(f.total_bytes)}
        </span>
      ),
    },
    {
      id: 'state',
      header: 'State',
      cell: ({ row: { original: f } }) => (
        <span className="mono" title={CONN_STATE_TEXTS[f.conn_state] ?? ''}>
          {f.conn_state}
        </span>
      ),
    },
    {
      id: 'history',
      header: 'History',
      cell: ({ row: { original: f } }) => (
        <span className="mono cell-clip" title={historyTooltip(f.history, f.community_id)}>
          {f.history ?? ''}
        </span>
      ),
    },
    {
      id: 'retrans',
      header: 'Retr.',
      meta: { numeric: true },
      cell: ({ row: { original: f } }) => (f.retransmissions ? formatCount(f.retransmissions) : ''),
    },
    {
      id: 'hints',
      header: 'Hints',
      cell: ({ row: { original: f } }) => {
        const h = hints(f);
        // A flow with a protocol hint has transactions in a log: link to them.
        const tab = f.tls_sni ? 'tls' : f.http_method || f.http_host ? 'http' : f.dns_query ? 'dns' : null;
        return h.length ? (
          <span className="hints" title={h.join('\n')}>
            {tab && sessionId && (
              <a
                className="hint-logs"
                data-testid="flow-logs-link"
                href={pageUrl('logs', sessionId, { tab, flow: String(f.flow_id) })}
                title="This flow's transactions in the protocol logs"
              >
                logs
              </a>
            )}{' '}
            {h.map((hint, i) => (
              <span key={hint}>
                {i > 0 && ' · '}
                <UserText text={hint} />
              </span>
            ))}
          </span>
        ) : null;
      },
    },
    {
      id: 'pcap',
      header: '',
      cell: ({ row: { original: f } }) => (
        <PacketsLink
          sessionId={sessionId}
          packets={packets}
          query={{ flow: f.flow_id }}
          what="this flow"
          compact
        />
      ),
    },
  ];
}

/**
 * Each column's width in px for these rows in a table `tablePx` wide: fixed ones for the figures;
 * the address columns as wide as the page's longest address needs, but leaving the hints (when
 * there are any) their room; a longer address is cut in its middle.
 */
export function columnWidths(flows: Flow[], tablePx: number): (id: string) => number | undefined {
  const withHints = flows.some((f) => hints(f).length > 0);
  const addressCap = Math.max(
    IPV4_ENDPOINT_PX,
    Math.floor((Math.max(tablePx, MIN_TABLE_PX) - FIXED_PX - (withHints ? 160 : 64)) / 2),
  );
  return (id) => {
    if (id !== 'src' && id !== 'dst') return COLUMN_PX[id];
    const longest = Math.max(
      12,
      ...flows.map((f) =>
        id === 'src'
          ? formatEndpoint(f.src_ip, isIcmp(f.protocol) ? null : f.src_port).length
          : formatEndpoint(f.dst_ip, isIcmp(f.protocol) ? null : f.dst_port).length,
      ),
    );
    return Math.min(endpointPx(longest), addressCap);
  };
}
