import { useEffect, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { formatBytes, formatCount, formatEndpoint, formatTime } from '../../../../src/format/index.js';
import { useApi } from '../../api/hooks';
import type { SearchHit, SearchResponse } from '../../api/types';
import { Card, ErrorNote, Loading } from '../../components/ui';
import { pageUrl } from '../../routes';
import { useSessions } from '../../shell/sessions';
import { ProtoTag } from '../protocols/ProtoTag';
import { GroupBars } from './GroupBars';
import {
  GROUP_FIELDS,
  packetsPath,
  readSearch,
  type SearchQuery,
  searchApiPath,
  searchUrl,
} from './search-query';
import './search.css';

// The search page: the flows of every session (or the chosen ones) that match the header box's
// expression, newest first, a page at a time, and what dominates them (group-by). Everything it
// shows is in its URL.

const EXAMPLES = [
  'port == 53 and bytes > 10k',
  'ip in 10.0.0.0/8 and not service in (dns, https)',
  'state in (S0, REJ) | top dst by flows',
  'tls.sni ~ "*.google.*"',
  'duration > 5m and packets < 10',
];

function hint(h: SearchHit): string {
  if (h.tls_sni) return `TLS ${h.tls_sni}`;
  if (h.http_host) return `HTTP ${h.http_method ?? ''} ${h.http_host}`.replace('  ', ' ');
  if (h.dns_query) return `DNS ${h.dns_query}`;
  return '';
}

export function SearchPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const query = readSearch(params);
  const go = (q: Partial<SearchQuery>) => navigate(searchUrl({ ...query, ...q }));
  const answer = useApi<SearchResponse>(query.q || query.groupBy ? searchApiPath(query) : null, false);
  // Earlier cursors, for "Previous": the way back through pages this visit went forward.
  const [back, setBack] = useState<string[]>([]);
  useEffect(() => {
    if (!query.cursor) setBack([]);
  }, [query.cursor]);
  const { sessions } = useSessions();
  const names = new Map((sessions ?? []).map((s) => [s.session_id, s.name]));

  if (!query.q && !query.groupBy)
    return (
      <div className="page search-page">
        <Card
          title="Search every session"
          subtitle="Type an expression in the box above; the filter language is in docs/FILTERS.md."
        >
          <ul className="search-examples">
            {EXAMPLES.map((e) => (
              <li key={e}>
                <Link className="mono" to={searchUrl({ q: e })}>
                  {e}
                </Link>
              </li>
            ))}
          </ul>
        </Card>
      </div>
    );

  const data = answer.data;
  return (
    <div className="page search-page">
      <div className="search-bar">
        <code className="search-expr" data-testid="search-expr">
          {query.q || '(every flow)'}
        </code>
        <label className="inline-field">
          Group by
          <select value={query.groupBy} onChange={(e) => go({ groupBy: e.target.value, cursor: '' })}>
            <option value="">none</option>
            {GROUP_FIELDS.map((f) => (
              <option key={f} value={f}>
                {f}
              </option>
            ))}
          </select>
        </label>
        {query.sessions.length > 0 && (
          <span className="chip">
            {query.sessions.length === 1
              ? `in ${names.get(query.sessions[0]) ?? query.sessions[0]}`
              : `in ${query.sessions.length} sessions`}
            <button
              type="button"
              className="chip-x"
              aria-label="Every session"
              onClick={() => go({ sessions: [], cursor: '' })}
            >
              ×
            </button>
          </span>
        )}
      </div>
      {answer.error ? (
        <div className="state state-error search-error" role="alert" data-testid="search-error">
          {answer.error.status === 400 ? (
            <>
              <strong>This expression cannot be searched.</strong> {answer.error.message}
            </>
          ) : (
            <ErrorNote error={answer.error} retry={answer.reload} />
          )}
        </div>
      ) : !data ? (
        <Loading height={200} />
      ) : (
        <>
          {data.group && (
            <Card
              title={`Top ${data.group.field} by ${data.group.by}`}
              subtitle="Of every hit, not only this page"
            >
              <GroupBars group={data.group} names={names} />
            </Card>
          )}
          <Card
            title={
              <span data-testid="search-total">
                {data.total === 0
                  ? 'No flows match'
                  : `${data.total_exact ? '' : 'more than '}${formatCount(data.total)} ${data.total === 1 ? 'flow' : 'flows'}`}
              </span>
            }
            subtitle="Newest first; the source is the initiator"
          >
            {data.hits.length > 0 && (
              <div className="table-wrap">
                <table className="table table-compact search-hits">
                  <thead>
                    <tr>
                      <th>Session</th>
                      <th>Start (UTC)</th>
                      <th className="num">Flow</th>
                      <th>Proto</th>
                      <th>Source</th>
                      <th>Destination</th>
                      <th className="num">Bytes</th>
                      <th className="num">Packets</th>
                      <th>State</th>
                      <th>Hints</th>
                      <th />
                    </tr>
                  </thead>
                  <tbody>
                    {data.hits.map((h) => (
                      <tr key={`${h.session_id}/${h.flow_id}`}>
                        <td className="search-session">
                          <Link to={pageUrl('protocols', h.session_id)} title={h.session_id}>
                            {names.get(h.session_id) ?? h.session_id.slice(0, 8)}
                          </Link>
                        </td>
                        <td className="mono nowrap" title={formatTime(h.start_timestamp, 6)}>
                          {formatTime(h.start_timestamp).replace(/ UTC$/, '')}
                        </td>
                        <td className="num" data-testid="hit-flow">
                          {h.flow_id}
                        </td>
                        <td>
                          <ProtoTag protocol={h.protocol} />
                        </td>
                        <td className="mono nowrap">{formatEndpoint(h.src_ip, h.src_port)}</td>
                        <td className="mono nowrap">{formatEndpoint(h.dst_ip, h.dst_port)}</td>
                        <td className="num">{formatBytes(h.total_bytes)}</td>
                        <td className="num">{formatCount(h.packet_count)}</td>
                        <td>{h.conn_state}</td>
                        <td className="search-hint" title={hint(h)}>
                          {hint(h)}
                        </td>
                        <td>
                          <a
                            className="btn btn-small"
                            href={packetsPath(h.session_id, h.flow_id)}
                            title="This flow's packets from the capture (pcap)"
                          >
                            Packets
                          </a>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <div className="pager">
              <span>{data.hits.length > 0 ? `${formatCount(data.hits.length)} on this page` : ''}</span>
              <span className="pager-buttons">
                <button
                  type="button"
                  className="btn btn-small"
                  disabled={!query.cursor}
                  onClick={() => go({ cursor: '' })}
                >
                  « First
                </button>
                <button
                  type="button"
                  className="btn btn-small"
                  disabled={back.length === 0}
                  onClick={() => {
                    setBack(back.slice(0, -1));
                    go({ cursor: back[back.length - 1] });
                  }}
                >
                  ‹ Previous
                </button>
                <button
                  type="button"
                  className="btn btn-small"
                  disabled={data.next_cursor === null}
                  onClick={() => {
                    setBack([...back, query.cursor]);
                    go({ cursor: data.next_cursor ?? '' });
                  }}
                >
                  Next ›
                </button>
              </span>
            </div>
          </Card>
        </>
      )}
    </div>
  );
}
