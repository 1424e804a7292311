import { useMemo } from 'react';
import { useSearchParams } from 'react-router';
import { portsPath } from '../../api/endpoints';
import { useApi } from '../../api/hooks';
import { sessionPath } from '../../api/request';
import type { PortUsage, Session, Summary } from '../../api/types';
import { PacketsLink, packetsOf } from '../../components/PacketsLink';
import { Card } from '../../components/ui';
import './protocols.css';
import { FlowFilters } from './FlowFilters';
import { FlowsTable } from './FlowsTable';
import { type FlowQuery, readQuery, writeQuery } from './flow-query';
import { PortUsageCard } from './PortUsageCard';
import { TcpHealthCard } from './TcpHealthCard';

// The protocols page: TCP health, port usage, and the flows (filters, table, pager), whose sort,
// filters and page live in the URL (flow-query.ts).

export function ProtocolsPage({ session, summary }: { session: Session; summary: Summary }) {
  const id = session.session_id;
  const ports = useApi<{ ports: PortUsage[] }>(portsPath(id));
  const [search, setSearch] = useSearchParams();
  const query = readQuery(search);
  const setQuery = (q: Partial<FlowQuery>) =>
    // Any change but Next (which passes the cursor it follows) pages by offset again.
    setSearch(writeQuery(search, { ...query, after: '', ...q }), { replace: true });
  const packets = useMemo(() => packetsOf(session), [session]);
  // The table's filters as a packets selection: every flow they list (the server caps the count).
  const filter: Record<string, string> = {};
  if (query.ip) filter.ip = query.ip;
  if (query.port) filter.port = query.port;
  if (query.protocol) filter.protocol = query.protocol;
  if (query.wfrom) filter.window_from = query.wfrom;
  if (query.wto) filter.window_to = query.wto;
  const filtered = Object.keys(filter).length > 0;
  const labels = useMemo(
    () => new Map((ports.data?.ports ?? []).map((p) => [`${p.protocol.toLowerCase()}/${p.port}`, p.label])),
    [ports.data],
  );

  return (
    <div className="page protocols">
      <div className="grid grid-1-2">
        <TcpHealthCard sessionId={id} summary={summary} />
        <PortUsageCard
          sessionId={id}
          ports={ports}
          onPick={(p) => setQuery({ port: String(p.port), protocol: p.protocol.toLowerCase(), page: 0 })}
        />
      </div>
      <Card
        title="Top flows"
        subtitle="Bidirectional flows; the source is the initiator. Sorted and filtered by the server."
        actions={
          <>
            {filtered && (
              <PacketsLink
                sessionId={id}
                packets={packets}
                query={filter}
                what="every flow the filters list"
                label="Packets of these flows"
              />
            )}
            <a
              className="btn btn-small"
              href={sessionPath(id, '/export?format=csv')}
              download
              title="Every flow of this session as CSV; the table's filters and sort do not apply"
            >
              Export all flows (CSV)
            </a>
          </>
        }
      >
        <FlowFilters query={query} setQuery={setQuery} />
        <FlowsTable sessionId={id} packets={packets} labels={labels} query={query} setQuery={setQuery} />
      </Card>
    </div>
  );
}
