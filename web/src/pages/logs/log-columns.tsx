import type { ColumnDef } from '@tanstack/react-table';
import { formatBytes, formatTime } from '../../../../src/format/index.js';
import { sessionPath } from '../../api/request';
import { pageUrl } from '../../routes';
import type { LogTab } from './log-query';

// What each log's table shows. Every value from the capture is rendered as React text (escaped),
// never as markup: a hostile capture chooses its names, hosts and agents.

export type LogRow = Record<string, unknown> & {
  flow_id: number;
  ts: number;
  src_ip: string | null;
  src_port: number | null;
  dst_ip: string | null;
  dst_port: number | null;
};

const text = (v: unknown) => (v === null || v === undefined || v === '' ? '—' : String(v));
const ms = (v: unknown) => (typeof v === 'number' ? `${(v * 1000).toFixed(1)} ms` : '—');
const list = (v: unknown) => {
  const a = typeof v === 'string' ? (JSON.parse(v) as unknown) : v;
  return Array.isArray(a) && a.length > 0 ? a.join(', ') : '—';
};

function endpoint(ip: string | null, port: number | null): string {
  if (ip === null) return '—';
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Links from a row to its flow (the Protocols page filtered to its client's address and port) and its packets. */
function FlowLinks({ sessionId, row }: { sessionId: string; row: LogRow }) {
  const toFlow =
    row.src_ip !== null
      ? pageUrl('protocols', sessionId, { ip: row.src_ip, port: String(row.src_port ?? '') })
      : pageUrl('protocols', sessionId);
  return (
    <span className="log-links">
      <a href={toFlow} data-testid="log-flow-link" title={`Flow ${row.flow_id} on the Protocols page`}>
        flow {row.flow_id}
      </a>{' '}
      <a
        href={sessionPath(sessionId, `/packets?flow=${row.flow_id}`)}
        data-testid="log-packets-link"
        title="This flow's packets as a capture file"
      >
        packets
      </a>
    </span>
  );
}

export function logColumns(tab: LogTab, sessionId: string): ColumnDef<LogRow>[] {
  const common: ColumnDef<LogRow>[] = [
    {
      id: 'ts',
      header: 'Time (UTC)',
      // UTC once in the heading, not in every row: the DNS log then fits its card at 1440 px
      cell: (c) => (
        <span title={formatTime(c.row.original.ts, 6)}>
          {formatTime(c.row.original.ts, 3).replace(/ UTC$/, '')}
        </span>
      ),
    },
    {
      id: 'client',
      header: 'Client → server',
      cell: (c) => {
        const r = c.row.original;
        return (
          <span className="mono">
            {endpoint(r.src_ip, r.src_port)} → {endpoint(r.dst_ip, r.dst_port)}
          </span>
        );
      },
    },
  ];
  const flow: ColumnDef<LogRow> = {
    id: 'flow_id',
    header: 'Flow',
    cell: (c) => <FlowLinks sessionId={sessionId} row={c.row.original} />,
  };
  const col = (
    id: string,
    header: string,
    cell: (r: LogRow) => string,
    numeric = false,
  ): ColumnDef<LogRow> => ({
    id,
    header,
    cell: (c) => <span title={cell(c.row.original)}>{cell(c.row.original)}</span>,
    meta: { numeric },
  });
  if (tab === 'dns')
    return [
      common[0],
      flow,
      common[1],
      col('query', 'Query', (r) => text(r.query)),
      col('qtype_name', 'Type', (r) => text(r.qtype_name)),
      col('rcode_name', 'Response', (r) => (r.answered ? text(r.rcode_name) : 'no response')),
      col('answers', 'Answers', (r) => list(r.answers)),
      col('rtt', 'RTT', (r) => ms(r.rtt), true),
    ];
  if (tab === 'http')
    return [
      common[0],
      flow,
      common[1],
      col('method', 'Method', (r) => text(r.method)),
      col('host', 'Host', (r) => text(r.host)),
      col('uri', 'URI', (r) => text(r.uri)),
      col('status_code', 'Status', (r) =>
        r.status_code === null ? '—' : `${r.status_code} ${text(r.status_msg)}`,
      ),
      col('user_agent', 'User agent', (r) => text(r.user_agent)),
      col(
        'response_body_len',
        'Body',
        (r) => (typeof r.response_body_len === 'number' ? formatBytes(r.response_body_len) : '—'),
        true,
      ),
    ];
  return [
    common[0],
    flow,
    common[1],
    col('server_name', 'Server name', (r) => text(r.server_name)),
    col('ja4', 'JA4', (r) => text(r.ja4)),
    col('version', 'Version', (r) => text(r.version)),
    col('cipher', 'Cipher', (r) => text(r.cipher)),
    col('ja3', 'JA3', (r) => text(r.ja3)),
    col('subject', 'Certificate', (r) => text(r.subject)),
  ];
}
