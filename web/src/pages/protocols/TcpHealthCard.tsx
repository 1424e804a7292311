import { formatCount, formatFraction, formatPercent, formatRatio } from '../../../../src/format/index.js';
import { tcpHealthPath } from '../../api/endpoints';
import { useApi } from '../../api/hooks';
import type { Summary, TcpHealth } from '../../api/types';
import { Async, Card } from '../../components/ui';
import { CONN_STATE_TEXTS, connStateTable } from './conn-states';

export function TcpHealthCard({ sessionId, summary }: { sessionId: string; summary: Summary }) {
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
                          <span className="muted small">{CONN_STATE_TEXTS[r.state] ?? ''}</span>
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
