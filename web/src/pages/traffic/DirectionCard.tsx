import { formatBytes, formatCount, formatPercent } from '../../../../src/format/index.js';
import type { Direction } from '../../api/types';
import { COLORS } from '../../colors';
import { Dot, ShareBar } from '../../components/ui';
import { boundaryNote } from './direction-note';

const DIRECTIONS = [
  { key: 'inbound', label: 'Inbound', text: 'remote → local', color: COLORS.inbound },
  { key: 'outbound', label: 'Outbound', text: 'local → remote', color: COLORS.outbound },
  { key: 'internal', label: 'Internal', text: 'local → local', color: COLORS.internal },
  { key: 'external', label: 'External', text: 'remote → remote', color: COLORS.external },
] as const;

const NOTE_STYLE = {
  background: '#fff6e0',
  border: '1px solid #f0d48a',
  borderRadius: 6,
  padding: '8px 10px',
  margin: '10px 0',
  fontSize: 13,
} as const;

/** Inbound vs outbound: the split, the note when little crossed the edge, every direction's share. */
export function DirectionCard({ d }: { d: Direction }) {
  const bytes = (k: string) => d[`${k}_bytes` as keyof Direction] as number;
  const packets = (k: string) => d[`${k}_packets` as keyof Direction] as number;
  const inOut = d.inbound_bytes + d.outbound_bytes;
  const all = DIRECTIONS.reduce((s, x) => s + bytes(x.key), 0);
  const inPct = inOut ? (d.inbound_bytes / inOut) * 100 : 0;
  const note = boundaryNote(d);
  return (
    <div data-testid="direction">
      <div className="split-head">
        <div>
          <div className="split-label" style={{ color: COLORS.inbound }}>
            Inbound
          </div>
          <div className="split-value">{formatBytes(d.inbound_bytes)}</div>
          <div className="muted small">{inOut ? formatPercent(inPct) : '—'} of in + out</div>
        </div>
        <div className="right">
          <div className="split-label" style={{ color: COLORS.outbound }}>
            Outbound
          </div>
          <div className="split-value">{formatBytes(d.outbound_bytes)}</div>
          <div className="muted small">{inOut ? formatPercent(100 - inPct) : '—'} of in + out</div>
        </div>
      </div>
      {inOut > 0 ? (
        <div className="splitbar" aria-hidden="true">
          <div style={{ width: `${inPct}%`, background: COLORS.inbound }} />
          <div style={{ width: `${100 - inPct}%`, background: COLORS.outbound }} />
        </div>
      ) : (
        <p className="muted small">
          No traffic crossed the boundary of the local networks: everything was internal or external.
        </p>
      )}
      {note && (
        <div className="direction-note" role="note" data-testid="direction-note" style={NOTE_STYLE}>
          <p style={{ margin: 0, fontWeight: 600 }}>{note}</p>
          <p style={{ margin: '4px 0 0' }}>
            To split the traffic by other networks, analyse the capture again with them: on the Sessions page,
            “More options” → “Local networks” before uploading, or{' '}
            <span className="mono" style={{ whiteSpace: 'nowrap' }}>
              flowlens analyze FILE --local-net CIDR,…
            </span>{' '}
            on the command line.
          </p>
        </div>
      )}
      <table className="table table-compact">
        <thead>
          <tr>
            <th>Direction</th>
            <th className="num">Bytes</th>
            <th className="num">Packets</th>
            <th>Share of IP bytes</th>
          </tr>
        </thead>
        <tbody>
          {DIRECTIONS.map((x) => (
            <tr key={x.key}>
              <td>
                <Dot color={x.color} />
                {x.label}
                <div className="muted small dir-text">{x.text}</div>
              </td>
              <td className="num">{formatBytes(bytes(x.key))}</td>
              <td className="num">{formatCount(packets(x.key))}</td>
              <td className="cell-share">
                <ShareBar pct={all ? (bytes(x.key) / all) * 100 : 0} color={x.color} />
                <span className="share-text">{formatPercent(all ? (bytes(x.key) / all) * 100 : 0)}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small local-nets">
        Local networks: <span className="mono">{d.local_networks.join(', ')}</span>. Multicast and broadcast
        (mDNS, SSDP, MLD, DHCP …) stay on the sender's side: a local host's is internal.
      </p>
    </div>
  );
}
