import { formatBytes, formatCount } from '../../../../src/format/index.js';
import { remotePath } from '../../api/endpoints';
import { useApi } from '../../api/hooks';
import type { RemoteGroup, RemoteSummary } from '../../api/types';
import { countryName, GeoAttribution } from '../../components/geo';
import { Async, Card, ShareBar } from '../../components/ui';

// Where the remote (non-local) side of a capture is: its addresses grouped by country and by
// network (autonomous system), by bytes, from the data the server ships with.

function GroupList({
  label,
  rows,
  name,
}: {
  label: string;
  rows: RemoteGroup[];
  name: (g: RemoteGroup) => string;
}) {
  const max = Math.max(...rows.map((r) => r.bytes), 1);
  return (
    <div className="remote-list">
      <h3 className="remote-heading">{label}</h3>
      <ol className="remote-rows" data-testid={`remote-${label.toLowerCase()}`}>
        {rows.map((g) => (
          <li
            key={g.key ?? 'none'}
            title={`${name(g)}: ${formatCount(g.addresses)} addresses, ${formatCount(g.flows)} flows, ${formatCount(g.bytes)} bytes`}
          >
            <span className="remote-name">{name(g)}</span>
            <ShareBar pct={(g.bytes / max) * 100} />
            <span className="remote-bytes">{formatBytes(g.bytes)}</span>
            <span className="remote-count">
              {formatCount(g.addresses)} {g.addresses === 1 ? 'host' : 'hosts'}
            </span>
          </li>
        ))}
      </ol>
    </div>
  );
}

export function RemoteCard({ sessionId }: { sessionId: string }) {
  const remote = useApi<RemoteSummary>(remotePath(sessionId));
  return (
    <Card
      title="Remote countries / networks"
      subtitle="Addresses outside the local networks, by the bytes of their flows (a flow counts once for each group it touches)"
      className="remote-card"
    >
      <Async
        state={remote}
        height={180}
        empty={(d) => d.addresses === 0}
        emptyText="Every address in this capture is local."
      >
        {(d) => (
          <>
            <p className="card-sub">
              {formatCount(d.addresses)} remote {d.addresses === 1 ? 'address' : 'addresses'}:{' '}
              {formatCount(d.with_country)} placed in a country, {formatCount(d.with_asn)} in a network.
            </p>
            <div className="remote-grid">
              <GroupList
                label="Countries"
                rows={d.countries}
                name={(g) =>
                  g.key === null ? 'Unknown (multicast, reserved…)' : `${countryName(g.key)} (${g.key})`
                }
              />
              <GroupList
                label="Networks"
                rows={d.networks}
                name={(g) => (g.key === null ? 'Unknown' : `AS${g.key}${g.name ? ` ${g.name}` : ''}`)}
              />
            </div>
            <p className="remote-source">
              <GeoAttribution />
            </p>
          </>
        )}
      </Async>
    </Card>
  );
}
