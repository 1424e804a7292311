import { useState } from 'react';
import { formatBytes, formatCount, formatPercent } from '../../../../src/format/index.js';
import { portsPath } from '../../api/endpoints';
import type { ApiState } from '../../api/hooks';
import type { PortUsage } from '../../api/types';
import { protocolColor } from '../../colors';
import { Async, Card, ShareBar } from '../../components/ui';
import { ProtoTag } from './ProtoTag';

/** Port usage lists this many ports until asked for all the API sent. */
const PORTS_SHOWN = 12;

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

/** Port usage: the busiest service ports, then all the API sent; picking one filters the flows. */
export function PortUsageCard({
  sessionId,
  ports,
  onPick,
}: {
  sessionId: string;
  ports: ApiState<{ ports: PortUsage[] }>;
  onPick: (p: PortUsage) => void;
}) {
  const [allPorts, setAllPorts] = useState(false);
  const portCount = ports.data?.ports.length ?? 0;
  // The most ports the page asks for: a list that long may have been cut.
  const portsLimit = Number(new URL(portsPath(sessionId), window.location.href).searchParams.get('limit'));
  const cut = portCount >= portsLimit;
  const shownPorts = allPorts ? ports.data?.ports : ports.data?.ports.slice(0, PORTS_SHOWN);
  return (
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
                <PortList ports={shownPorts} onPick={onPick} />
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
  );
}
