import {
  type ColumnDef,
  flexRender,
  getCoreRowModel,
  type SortingState,
  useReactTable,
} from '@tanstack/react-table';
import { type FormEvent, useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { sessionPath, useApi } from '../api';
import { protocolColor } from '../colors';
import { Async, Card, ErrorNote, Loading, ShareBar } from '../components/ui';
import { portsPath, tcpHealthPath } from '../endpoints';
import { type FlowQuery, flowsPath, PAGE_SIZES, readQuery, SORT_TO_COLUMN, SORTABLE } from '../flow-query';
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
} from '../format';
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
  const states = Object.entries(summary.flows.conn_states ?? {}).sort((a, b) => b[1] - a[1]);
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
            {states.length > 0 && (
              <table className="table table-compact conn-states">
                <thead>
                  <tr>
                    <th>Connection state (Zeek)</th>
                    <th className="num">Flows</th>
                    <th className="num">Share</th>
                  </tr>
                </thead>
                <tbody>
                  {states.slice(0, 6).map(([st, n]) => (
                    <tr key={st}>
                      <td>
                        <span className="mono">{st}</span>{' '}
                        <span className="muted small">{CONN_STATES[st] ?? ''}</span>
                      </td>
                      <td className="num">{formatCount(n)}</td>
                      <td className="num">
                        {formatPercent(summary.flows.count ? (n / summary.flows.count) * 100 : 0)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
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
  // Keep the last page on screen while the next one loads, so the table does not jump.
  const [shown, setShown] = useState<FlowsResponse | undefined>();
  useEffect(() => {
    if (flows.data) setShown(flows.data);
  }, [flows.data]);

  const columns = useMemo<ColumnDef<Flow>[]>(
    () => [
      {
        id: 'src',
        header: 'Source',
        cell: ({ row: { original: f } }) => (
          <span className="mono">{isIcmp(f.protocol) ? f.src_ip : formatEndpoint(f.src_ip, f.src_port)}</span>
        ),
      },
      {
        id: 'dst',
        header: 'Destination',
        cell: ({ row: { original: f } }) => (
          <span className="mono">{isIcmp(f.protocol) ? f.dst_ip : formatEndpoint(f.dst_ip, f.dst_port)}</span>
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
          if (isIcmp(f.protocol))
            return (
              <span className="muted">
                type {f.src_port} code {f.dst_port}
              </span>
            );
          if (f.dst_port === null) return '—';
          return labels.get(`${f.protocol.toLowerCase()}/${f.dst_port}`) ?? String(f.dst_port);
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
  const hasNext = exact ? query.page + 1 < pages : (shown?.flows.length ?? 0) === query.size;
  const from = total === 0 ? 0 : query.page * query.size + 1;
  const to = Math.min(total, (query.page + 1) * query.size);

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
      <div className={`table-wrap${flows.loading ? ' is-loading' : ''}`}>
        <table className="table flows" data-testid="flows-table">
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
                      className={numeric ? 'num' : undefined}
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
                    className={
                      (c.column.columnDef.meta as { numeric?: boolean } | undefined)?.numeric
                        ? 'num'
                        : undefined
                    }
                  >
                    {flexRender(c.column.columnDef.cell, c.getContext())}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        {!shown && !flows.error && <Loading />}
        {shown && shown.flows.length === 0 && (
          <div className="state state-empty">No flow matches these filters.</div>
        )}
      </div>
      <div className="pager">
        <span data-testid="flows-range">
          {total === 0
            ? 'No flows'
            : exact
              ? `${formatCount(from)}–${formatCount(to)} of ${formatCount(total)} flows`
              : `${formatCount(from)}–${formatCount(query.page * query.size + (shown?.flows.length ?? 0))} of more than ${formatCount(total)} flows`}
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
            onClick={() => setQuery({ page: query.page - 1 })}
          >
            ‹ Previous
          </button>
          <span className="muted">
            page {formatCount(query.page + 1)}
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
            disabled={!exact || query.page + 1 >= pages}
            onClick={() => setQuery({ page: pages - 1 })}
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
    if (a && !/^[0-9a-fA-F.:]+$/.test(a)) {
      setProblem('Address: an IPv4 or IPv6 address such as 10.0.0.1 or 2001:db8::1.');
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
          placeholder="either side, e.g. 10.0.0.5"
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
  const shownPorts = ports.data?.ports.slice(0, 12);

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
                <PortList
                  ports={shownPorts}
                  onPick={(p) =>
                    setQuery({ port: String(p.port), protocol: p.protocol.toLowerCase(), page: 0 })
                  }
                />
              )
            }
          </Async>
        </Card>
      </div>
      <Card
        title="Top flows"
        subtitle="Bidirectional flows; the source is the initiator. Sorted and filtered by the server."
        actions={
          <a className="btn btn-small" href={sessionPath(id, '/export?format=csv')} download>
            Export CSV
          </a>
        }
      >
        <FlowFilters query={query} setQuery={setQuery} />
        <FlowsTable sessionId={id} labels={labels} query={query} setQuery={setQuery} />
      </Card>
    </div>
  );
}
