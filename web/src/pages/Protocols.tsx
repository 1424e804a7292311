import {
  type ColumnDef,
  flexRender,
  getCoreRowModel,
  type SortingState,
  useReactTable,
} from '@tanstack/react-table';
import { type FormEvent, useEffect, useLayoutEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { sessionPath, useApi } from '../api';
import '../protocols.css';
import {
  formatBytes,
  formatClock,
  formatCount,
  formatDuration,
  formatEndpoint,
  formatFraction,
  formatPercent,
  formatRatio,
  formatTime,
} from '../../../src/format/index.js';
import { protocolColor } from '../colors';
import { Async, Card, ErrorNote, Loading, ShareBar } from '../components/ui';
import { connStateTable } from '../conn-states';
import { portsPath, tcpHealthPath } from '../endpoints';
import {
  addressProblem,
  clampPage,
  type FlowQuery,
  flowsPath,
  maxPage,
  PAGE_SIZES,
  readQuery,
  SORT_TO_COLUMN,
  SORTABLE,
} from '../flow-query';
import type { Flow, FlowsResponse, PortUsage, Session, Summary, TcpHealth } from '../types';

const DNS_RCODES: Record<number, string> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
};

/** Zeek's conn_state values, as its documentation words them. */
const CONN_STATES: Record<string, string> = {
  S0: 'attempt seen, no reply',
  S1: 'established, not terminated',
  SF: 'normal establishment and termination',
  REJ: 'attempt rejected',
  S2: 'established, close attempt by originator only',
  S3: 'established, close attempt by responder only',
  RSTO: 'established, originator aborted (RST)',
  RSTR: 'responder sent a RST',
  RSTOS0: 'originator sent SYN then RST, no SYN-ACK',
  RSTRH: 'responder sent SYN-ACK then RST, no SYN seen',
  SH: 'originator sent SYN then FIN, no SYN-ACK',
  SHR: 'responder sent SYN-ACK then FIN, no SYN seen',
  OTH: 'no SYN seen, midstream traffic',
};

/** Port usage lists this many ports until asked for all the API sent. */
const PORTS_SHOWN = 12;
/** The width of one character of the flows table's addresses (12.5 px monospace). */
const MONO_CHAR_PX = 7.6;
/** The flows table's columns of figures, px (with their 5 px paddings). */
const COLUMN_PX: Record<string, number> = {
  protocol: 72,
  service: 120,
  start: 100,
  duration: 76,
  packets: 82,
  bytes: 76,
  state: 58,
  retrans: 56,
};
const FIXED_PX = Object.values(COLUMN_PX).reduce((a, b) => a + b, 0);
/** An address column's width for `chars` characters. */
const endpointPx = (chars: number) => Math.ceil(chars * MONO_CHAR_PX) + 14;
/** Room for any IPv4 address and port ("255.255.255.255:65535"), never cut. */
const IPV4_ENDPOINT_PX = endpointPx(21);
/** Narrower than this the table scrolls sideways in its card. */
const MIN_TABLE_PX = 1000;

function isIcmp(protocol: string): boolean {
  const p = protocol.toLowerCase();
  return p === 'icmp' || p === 'icmpv6';
}

function ProtoTag({ protocol }: { protocol: string }) {
  return (
    <span className="proto" style={{ borderColor: protocolColor(protocol), color: protocolColor(protocol) }}>
      {protocol.toUpperCase()}
    </span>
  );
}

/**
 * An address (and port) that fits its column: when it does not, the middle is cut with an
 * ellipsis and the end stays, where an IPv6 address's interface ID and the port are. Full text
 * in the tooltip.
 */
function Endpoint({ ip, port }: { ip: string; port: number | null }) {
  const text = formatEndpoint(ip, port);
  // The tail that must stay: the port, and an IPv6 address's last two groups.
  let cut = text.length;
  if (ip.includes(':')) {
    const groups = ip.split(':');
    const keep = groups.slice(-2).join(':').length;
    cut = text.length - (port === null ? 0 : String(port).length + 2) - keep;
  } else if (port !== null) cut = text.length - String(port).length - 1;
  return (
    <span className="endpoint mono" title={text}>
      <span className="endpoint-head">{text.slice(0, cut)}</span>
      <span className="endpoint-tail">{text.slice(cut)}</span>
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

function TcpHealthCard({ sessionId, summary }: { sessionId: string; summary: Summary }) {
  const health = useApi<TcpHealth>(tcpHealthPath(sessionId));
  const states = connStateTable(summary.flows);
  return (
    <Card title="TCP health" subtitle="Over the whole capture">
      <Async
        state={health}
        height={160}
        empty={(h) => h.tcp_packets === 0}
        emptyText="No TCP packets in this capture."
      >
        {(h) => (
          <>
            <div className="health" data-testid="tcp-health">
              <div className="health-card">
                <div className="health-label">SYN / SYN-ACK</div>
                <div className="health-value" data-testid="syn-ack-ratio">
                  {formatRatio(h.syn_ack_ratio)}
                </div>
                <div className="health-note">
                  {h.syn_ack_ratio === null
                    ? `${formatCount(h.syn)} SYN, no SYN-ACK`
                    : `${formatCount(h.syn)} SYN / ${formatCount(h.synack)} SYN-ACK`}
                </div>
              </div>
              <div className="health-card">
                <div className="health-label">RST rate</div>
                <div className="health-value" data-testid="rst-rate">
                  {formatFraction(h.rst_rate)}
                </div>
                <div className="health-note">
                  {formatCount(h.rst)} RST of {formatCount(h.tcp_packets)} TCP packets
                </div>
              </div>
              <div className="health-card">
                <div className="health-label">Retransmissions</div>
                <div className="health-value" data-testid="retransmission-rate">
                  {formatFraction(h.retransmission_rate)}
                </div>
                <div className="health-note">
                  {formatCount(h.retransmissions)} of {formatCount(h.tcp_packets)} TCP packets
                </div>
              </div>
            </div>
            <div className="health-flags muted small">
              FIN {formatCount(h.fin)} · ACK {formatCount(h.ack)} · TCP packets {formatCount(h.tcp_packets)}
            </div>
            {states && states.rows.length > 0 && (
              <>
                <table className="table table-compact conn-states" data-testid="conn-states">
                  <caption className="muted small">
                    {states.scope === 'tcp'
                      ? `Shares of the ${formatCount(states.total)} TCP flows`
                      : `All transports: this session was analysed before TCP flows' states were counted apart, so these include UDP and ICMP flows; shares are of all ${formatCount(states.total)} flows`}
                  </caption>
                  <thead>
                    <tr>
                      <th>
                        {states.scope === 'tcp'
                          ? 'Connection state of TCP flows (Zeek)'
                          : 'Connection state, all transports (Zeek)'}
                      </th>
                      <th className="num">Flows</th>
                      <th className="num">Share</th>
                    </tr>
                  </thead>
                  <tbody>
                    {states.rows.slice(0, 6).map((r) => (
                      <tr key={r.state}>
                        <td>
                          <span className="mono">{r.state}</span>{' '}
                          <span className="muted small">{CONN_STATES[r.state] ?? ''}</span>
                        </td>
                        <td className="num">{formatCount(r.flows)}</td>
                        <td className="num">{formatPercent(r.share)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                {states.rows.length > 6 && (
                  <div className="muted small">
                    {formatCount(states.rows.length - 6)} other states,{' '}
                    {formatCount(states.rows.slice(6).reduce((n, r) => n + r.flows, 0))} flows
                  </div>
                )}
              </>
            )}
          </>
        )}
      </Async>
    </Card>
  );
}

function PortList({ ports, onPick }: { ports: PortUsage[]; onPick: (p: PortUsage) => void }) {
  const max = Math.max(...ports.map((p) => p.percentage), 1e-9);
  return (
    <table className="table table-compact ports" data-testid="port-usage">
      <thead>
        <tr>
          <th>Service port</th>
          <th>Share of TCP+UDP packets</th>
          <th className="num">Packets</th>
          <th className="num">Flows</th>
          <th className="num">Bytes</th>
        </tr>
      </thead>
      <tbody>
        {ports.map((p) => (
          <tr key={`${p.protocol}/${p.port}`}>
            <td>
              <button
                type="button"
                className="linklike"
                onClick={() => onPick(p)}
                title={`Show the ${p.protocol.toUpperCase()} flows to port ${p.port}`}
              >
                {p.label}
              </button>{' '}
              <ProtoTag protocol={p.protocol} />
            </td>
            <td className="cell-share">
              <ShareBar pct={(p.percentage / max) * 100} color={protocolColor(p.protocol)} />
              <span className="share-text">{formatPercent(p.percentage)}</span>
            </td>
            <td className="num">{formatCount(p.packets)}</td>
            <td className="num">{formatCount(p.flows)}</td>
            <td className="num">{formatBytes(p.bytes)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function FlowsTable({
  sessionId,
  labels,
  query,
  setQuery,
}: {
  sessionId: string;
  labels: Map<string, string>;
  query: FlowQuery;
  setQuery: (q: Partial<FlowQuery>) => void;
}) {
  const flows = useApi<FlowsResponse>(flowsPath(sessionId, query));
  // Keep the last page on screen while the next one loads, so the table does not jump; a refused
  // query (400) clears it: the rows under its error would be another filter's.
  const [shown, setShown] = useState<FlowsResponse | undefined>();
  useEffect(() => {
    if (flows.data) setShown(flows.data);
    else if (flows.error) setShown(undefined);
  }, [flows.data, flows.error]);
  // A page past the last one (an old link, a typed URL, fewer flows since) goes to the last page
  // that has rows, in the URL too.
  const answered = flows.data;
  const target = answered ? clampPage(query.page, query.size, answered.total) : query.page;
  useEffect(() => {
    if (target !== query.page) setQuery({ page: target });
  }, [target, query.page, setQuery]);

  const columns = useMemo<ColumnDef<Flow>[]>(
    () => [
      {
        id: 'src',
        header: 'Source',
        cell: ({ row: { original: f } }) => (
          <Endpoint ip={f.src_ip} port={isIcmp(f.protocol) ? null : f.src_port} />
        ),
      },
      {
        id: 'dst',
        header: 'Destination',
        cell: ({ row: { original: f } }) => (
          <Endpoint ip={f.dst_ip} port={isIcmp(f.protocol) ? null : f.dst_port} />
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
            title={`${formatBytes(f.src_bytes)} → · ← ${formatBytes(f.dst_bytes)} (${formatCount(f.total_bytes)} B)`}
          >
            {formatBytes(f.total_bytes)}
          </span>
        ),
      },
      {
        id: 'state',
        header: 'State',
        cell: ({ row: { original: f } }) => (
          <span className="mono" title={CONN_STATES[f.conn_state] ?? ''}>
            {f.conn_state}
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
          return h.length ? (
            <span className="hints" title={h.join('\n')}>
              {h.join(' · ')}
            </span>
          ) : null;
        },
      },
    ],
    [labels],
  );

  const sorting: SortingState = [{ id: SORT_TO_COLUMN[query.sort] ?? 'bytes', desc: query.order === 'desc' }];
  const table = useReactTable({
    data: shown?.flows ?? [],
    columns,
    state: { sorting },
    manualSorting: true,
    manualPagination: true,
    manualFiltering: true,
    enableSortingRemoval: false,
    getCoreRowModel: getCoreRowModel(),
  });

  const total = shown?.total ?? 0;
  const exact = shown?.total_exact !== false;
  const pages = Math.max(1, Math.ceil(total / query.size));
  const last = Math.min(pages - 1, maxPage(query.size));
  const hasNext = query.page < last || (!exact && (shown?.flows.length ?? 0) === query.size);
  // The rows on screen, as the answer numbers them: never a range that ends before it starts.
  const rows = shown?.flows.length ?? 0;
  const from = (shown?.offset ?? 0) + 1;
  const to = (shown?.offset ?? 0) + rows;

  // The address columns are as wide as the page's longest address needs, but leave the hints
  // (when there are any) their room; a longer address is cut in its middle.
  const withHints = shown?.flows.some((f) => hints(f).length > 0) ?? false;
  const [wrap, setWrap] = useState<HTMLDivElement | null>(null);
  const [wrapPx, setWrapPx] = useState(0);
  useLayoutEffect(() => {
    if (!wrap) return;
    setWrapPx(wrap.clientWidth);
    const watch = new ResizeObserver(() => setWrapPx(wrap.clientWidth));
    watch.observe(wrap);
    return () => watch.disconnect();
  }, [wrap]);
  const addressCap = Math.max(
    IPV4_ENDPOINT_PX,
    Math.floor((Math.max(wrapPx, MIN_TABLE_PX) - FIXED_PX - (withHints ? 160 : 64)) / 2),
  );
  const columnWidth = (id: string): number | undefined => {
    if (id !== 'src' && id !== 'dst') return COLUMN_PX[id];
    const longest = Math.max(
      12,
      ...(shown?.flows ?? []).map((f) =>
        id === 'src'
          ? formatEndpoint(f.src_ip, isIcmp(f.protocol) ? null : f.src_port).length
          : formatEndpoint(f.dst_ip, isIcmp(f.protocol) ? null : f.dst_port).length,
      ),
    );
    return Math.min(endpointPx(longest), addressCap);
  };

  const toggleSort = (columnId: string) => {
    const sort = SORTABLE[columnId];
    if (!sort) return;
    if (sort === query.sort) setQuery({ order: query.order === 'desc' ? 'asc' : 'desc', page: 0 });
    else setQuery({ sort, order: sort === 'start_timestamp' ? 'asc' : 'desc', page: 0 });
  };

  if (flows.error && flows.error.status !== 400)
    return <ErrorNote error={flows.error} retry={flows.reload} />;
  return (
    <>
      {flows.error && (
        <p className="form-error" role="alert">
          {flows.error.message}
        </p>
      )}
      <div ref={setWrap} className={`table-wrap flows-wrap${flows.loading ? ' is-loading' : ''}`}>
        <table className="table flows" data-testid="flows-table" style={{ minWidth: MIN_TABLE_PX }}>
          <thead>
            {table.getHeaderGroups().map((hg) => (
              <tr key={hg.id}>
                {hg.headers.map((h) => {
                  const numeric = (h.column.columnDef.meta as { numeric?: boolean } | undefined)?.numeric;
                  const sortable = h.column.id in SORTABLE;
                  const active = SORT_TO_COLUMN[query.sort] === h.column.id;
                  return (
                    <th
                      key={h.id}
                      className={`col-${h.column.id}${numeric ? ' num' : ''}`}
                      style={{ width: columnWidth(h.column.id) }}
                      aria-sort={active ? (query.order === 'asc' ? 'ascending' : 'descending') : undefined}
                    >
                      {sortable ? (
                        <button
                          type="button"
                          className={`th-sort${active ? ' active' : ''}`}
                          onClick={() => toggleSort(h.column.id)}
                        >
                          {flexRender(h.column.columnDef.header, h.getContext())}
                          <span className="sort-mark">
                            {active ? (query.order === 'asc' ? '▲' : '▼') : '↕'}
                          </span>
                        </button>
                      ) : (
                        flexRender(h.column.columnDef.header, h.getContext())
                      )}
                    </th>
                  );
                })}
              </tr>
            ))}
          </thead>
          <tbody>
            {table.getRowModel().rows.map((r) => (
              <tr key={r.original.flow_id}>
                {r.getVisibleCells().map((c) => (
                  <td
                    key={c.id}
                    className={`col-${c.column.id}${
                      (c.column.columnDef.meta as { numeric?: boolean } | undefined)?.numeric ? ' num' : ''
                    }`}
                  >
                    {flexRender(c.column.columnDef.cell, c.getContext())}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        {!shown && !flows.error && <Loading />}
        {flows.error && (
          <div className="state state-empty">No flows shown: the server refused this filter.</div>
        )}
        {shown && rows === 0 && total === 0 && (
          <div className="state state-empty">No flow matches these filters.</div>
        )}
        {shown && rows === 0 && total > 0 && <Loading />}
      </div>
      <div className="pager">
        <span data-testid="flows-range">
          {flows.error
            ? ''
            : !shown
              ? '…'
              : total === 0
                ? 'No flows'
                : rows === 0
                  ? `${exact ? '' : 'more than '}${formatCount(total)} flows`
                  : `${formatCount(from)}–${formatCount(to)} of ${exact ? '' : 'more than '}${formatCount(total)} flows`}
        </span>
        <span className="pager-buttons">
          <label className="inline-field">
            Rows
            <select value={query.size} onChange={(e) => setQuery({ size: Number(e.target.value), page: 0 })}>
              {PAGE_SIZES.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            className="btn btn-small"
            disabled={query.page === 0}
            onClick={() => setQuery({ page: 0 })}
          >
            « First
          </button>
          <button
            type="button"
            className="btn btn-small"
            disabled={query.page === 0}
            onClick={() => setQuery({ page: Math.min(query.page, last + 1) - 1 })}
          >
            ‹ Previous
          </button>
          <span className="muted" data-testid="flows-page">
            page {formatCount(Math.min(query.page, last) + 1)}
            {exact ? ` of ${formatCount(pages)}` : ''}
          </span>
          <button
            type="button"
            className="btn btn-small"
            disabled={!hasNext}
            onClick={() => setQuery({ page: query.page + 1 })}
          >
            Next ›
          </button>
          <button
            type="button"
            className="btn btn-small"
            disabled={!exact || query.page >= last}
            title={exact ? undefined : 'The count stops at 100,000 matches: the last page is not known'}
            onClick={() => setQuery({ page: last })}
          >
            Last »
          </button>
        </span>
      </div>
    </>
  );
}

function windowText(from: string, to: string): string {
  if (from && to) return from === to ? `started in window ${from}` : `started in windows ${from}–${to}`;
  if (from) return `started in window ${from} or later`;
  return `started in window ${to} or earlier`;
}

function FlowFilters({ query, setQuery }: { query: FlowQuery; setQuery: (q: Partial<FlowQuery>) => void }) {
  const [ip, setIp] = useState(query.ip);
  const [port, setPort] = useState(query.port);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    setIp(query.ip);
    setPort(query.port);
  }, [query.ip, query.port]);
  const apply = (e: FormEvent) => {
    e.preventDefault();
    const p = port.trim();
    if (p && !(/^\d+$/.test(p) && Number(p) <= 65535)) {
      setProblem('Port: a number from 0 to 65535.');
      return;
    }
    const a = ip.trim();
    const bad = addressProblem(a);
    if (bad) {
      setProblem(bad);
      return;
    }
    setProblem(null);
    setQuery({ ip: a, port: p, page: 0 });
  };
  const active = query.ip || query.port || query.protocol || query.wfrom || query.wto;
  return (
    <form className="filters" onSubmit={apply} aria-label="Filter flows">
      <label className="inline-field">
        Address
        <input
          type="text"
          value={ip}
          placeholder="one address, e.g. 10.0.0.5"
          onChange={(e) => setIp(e.target.value)}
          className="mono"
          size={22}
        />
      </label>
      <label className="inline-field">
        Port
        <input
          type="text"
          value={port}
          placeholder="any"
          onChange={(e) => setPort(e.target.value)}
          size={7}
        />
      </label>
      <label className="inline-field">
        Protocol
        <select value={query.protocol} onChange={(e) => setQuery({ protocol: e.target.value, page: 0 })}>
          <option value="">all</option>
          <option value="tcp">TCP</option>
          <option value="udp">UDP</option>
          <option value="icmp">ICMP</option>
          <option value="icmpv6">ICMPv6</option>
          <option value="other">other</option>
        </select>
      </label>
      <button type="submit" className="btn btn-small btn-primary">
        Filter
      </button>
      {active && (
        <button
          type="button"
          className="btn btn-small"
          onClick={() => setQuery({ ip: '', port: '', protocol: '', wfrom: '', wto: '', page: 0 })}
        >
          Clear
        </button>
      )}
      {(query.wfrom || query.wto) && (
        <span className="chip">
          {windowText(query.wfrom, query.wto)}
          <button
            type="button"
            className="chip-x"
            aria-label="All windows"
            onClick={() => setQuery({ wfrom: '', wto: '', page: 0 })}
          >
            ×
          </button>
        </span>
      )}
      {problem && (
        <span className="form-error" role="alert">
          {problem}
        </span>
      )}
    </form>
  );
}

export function ProtocolsPage({ session, summary }: { session: Session; summary: Summary }) {
  const id = session.session_id;
  const ports = useApi<{ ports: PortUsage[] }>(portsPath(id));
  const [search, setSearch] = useSearchParams();
  const query = readQuery(search);
  const setQuery = (q: Partial<FlowQuery>) => {
    const next = { ...query, ...q };
    const s = new URLSearchParams(search);
    const put = (k: string, v: string, dflt: string) => (v && v !== dflt ? s.set(k, v) : s.delete(k));
    put('sort', next.sort, 'total_bytes');
    put('order', next.order, 'desc');
    put('ip', next.ip, '');
    put('port', next.port, '');
    put('protocol', next.protocol, '');
    put('window_from', next.wfrom, '');
    put('window_to', next.wto, '');
    put('page', String(next.page), '0');
    put('size', String(next.size), '50');
    setSearch(s, { replace: true });
  };
  const labels = useMemo(
    () => new Map((ports.data?.ports ?? []).map((p) => [`${p.protocol.toLowerCase()}/${p.port}`, p.label])),
    [ports.data],
  );
  const [allPorts, setAllPorts] = useState(false);
  const portCount = ports.data?.ports.length ?? 0;
  // The most ports the page asks for: a list that long may have been cut.
  const portsLimit = Number(new URL(portsPath(id), window.location.href).searchParams.get('limit'));
  const cut = portCount >= portsLimit;
  const shownPorts = allPorts ? ports.data?.ports : ports.data?.ports.slice(0, PORTS_SHOWN);

  return (
    <div className="page protocols">
      <div className="grid grid-1-2">
        <TcpHealthCard sessionId={id} summary={summary} />
        <Card
          title="Port usage"
          subtitle="Service ports (the responder's port) by packets; click one to list its flows"
        >
          <Async
            state={ports}
            height={200}
            empty={(d) => d.ports.length === 0}
            emptyText="No TCP or UDP traffic in this capture."
          >
            {() =>
              shownPorts && (
                <>
                  <div className={allPorts ? 'ports-scroll' : undefined}>
                    <PortList
                      ports={shownPorts}
                      onPick={(p) =>
                        setQuery({ port: String(p.port), protocol: p.protocol.toLowerCase(), page: 0 })
                      }
                    />
                  </div>
                  {portCount > PORTS_SHOWN && (
                    <div className="ports-more">
                      <span className="muted small">
                        {allPorts
                          ? cut
                            ? `The ${formatCount(portCount)} busiest ports; the list stops there`
                            : `All ${formatCount(portCount)} ports`
                          : `The ${PORTS_SHOWN} busiest of ${formatCount(portCount)}${cut ? ' or more' : ''} ports`}
                      </span>
                      <button
                        type="button"
                        className="btn btn-small"
                        aria-expanded={allPorts}
                        onClick={() => setAllPorts(!allPorts)}
                      >
                        {allPorts
                          ? `Show the top ${PORTS_SHOWN}`
                          : cut
                            ? `Show the ${formatCount(portCount)} busiest`
                            : `Show all ${formatCount(portCount)} ports`}
                      </button>
                    </div>
                  )}
                </>
              )
            }
          </Async>
        </Card>
      </div>
      <Card
        title="Top flows"
        subtitle="Bidirectional flows; the source is the initiator. Sorted and filtered by the server."
        actions={
          <a
            className="btn btn-small"
            href={sessionPath(id, '/export?format=csv')}
            download
            title="Every flow of this session as CSV; the table's filters and sort do not apply"
          >
            Export all flows (CSV)
          </a>
        }
      >
        <FlowFilters query={query} setQuery={setQuery} />
        <FlowsTable sessionId={id} labels={labels} query={query} setQuery={setQuery} />
      </Card>
    </div>
  );
}
