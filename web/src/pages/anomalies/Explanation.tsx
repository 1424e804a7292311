import { formatBytes, formatCount, formatPercent, formatTimeRange } from '../../../../src/format/index.js';
import type { Anomaly, TrafficWindow } from '../../api/types';
import { COLORS } from '../../colors';
import { Empty, ShareBar } from '../../components/ui';
import { featureInfo } from './features';

/** Why a window scored as it did: its figures, and each feature's share of the score against the baseline. */
export function Explanation({
  a,
  threshold,
  window: w,
  lengthS,
  descriptions,
}: {
  a: Anomaly;
  threshold: number;
  window: TrafficWindow | undefined;
  lengthS: number;
  descriptions: Record<string, string>;
}) {
  const max = Math.max(...(a.contributing_features ?? []).map((f) => f.share), 1e-9);
  return (
    <div className="explain" data-testid="explanation">
      <div className="explain-head">
        <div>
          <div className="explain-title">
            Window {a.window_id}{' '}
            {a.is_anomaly ? (
              <span className="badge badge-anomaly">anomalous</span>
            ) : a.score >= threshold ? (
              <span
                className="badge"
                title="At or above the threshold, but the model could not judge this window: too few busy windows to compare a busy one with, or a silent window in a capture where silence is usual"
              >
                not flagged
              </span>
            ) : (
              <span className="badge">normal</span>
            )}
          </div>
          <div className="muted">
            {formatTimeRange(a.start_ts, a.start_ts + lengthS, lengthS < 1 ? 3 : 0)}
          </div>
        </div>
        <div className="explain-score">
          <div className="explain-score-value" style={{ color: a.is_anomaly ? COLORS.anomaly : undefined }}>
            {a.score.toFixed(3)}
          </div>
          <div className="muted small">score · threshold {threshold}</div>
        </div>
      </div>
      {w && (
        <div className="window-figures">
          <span>
            <b>{formatCount(w.packet_count)}</b> packets
          </span>
          <span>
            <b>{formatBytes(w.byte_count)}</b>
          </span>
          {w.new_flows !== undefined && (
            <span>
              <b>{formatCount(w.new_flows)}</b> new flows
            </span>
          )}
          {w.unique_src_ips !== undefined && (
            <span>
              <b>{formatCount(w.unique_src_ips)}</b> sources · <b>{formatCount(w.unique_dst_ips)}</b>{' '}
              destinations
            </span>
          )}
          {w.tcp_syn_count !== undefined && (
            <span>
              <b>{formatCount(w.tcp_syn_count)}</b> SYN · <b>{formatCount(w.tcp_rst_count)}</b> RST ·{' '}
              <b>{formatCount(w.tcp_retransmissions)}</b> retrans.
            </span>
          )}
        </div>
      )}
      {(a.contributing_features ?? []).length === 0 ? (
        <Empty>No feature stood out in this window.</Empty>
      ) : (
        <table className="table features" data-testid="contributions">
          <thead>
            <tr>
              <th>Feature</th>
              <th>Share of the score</th>
              <th>Direction</th>
              <th className="num">This window</th>
              <th className="num">Baseline (median)</th>
            </tr>
          </thead>
          <tbody>
            {(a.contributing_features ?? []).map((f) => {
              const info = featureInfo(f.feature);
              const up = f.direction === 'higher';
              return (
                <tr key={f.feature}>
                  <td>
                    <div className="feature-label">{info.label}</div>
                    <div className="muted small" title={descriptions[f.feature]}>
                      <span className="mono">{f.feature}</span>
                      {f.z !== null && f.z !== undefined ? ` · z ${f.z > 0 ? '+' : ''}${f.z.toFixed(1)}` : ''}
                    </div>
                  </td>
                  <td className="cell-share">
                    <ShareBar pct={(f.share / max) * 100} color={up ? COLORS.anomaly : COLORS.bytes} />
                    <span className="share-text">{formatPercent(f.share * 100, 0)}</span>
                  </td>
                  <td>
                    <span className={`direction ${up ? 'up' : 'down'}`}>{up ? '▲ higher' : '▼ lower'}</span>
                  </td>
                  <td className="num">
                    {f.value === null || f.value === undefined ? '—' : info.show(f.value)}
                  </td>
                  <td className="num muted">
                    {f.baseline === null || f.baseline === undefined ? '—' : info.show(f.baseline)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <p className="muted small">
        Shares say how much each feature drove this window's score (they sum to 100%); values are the
        window's, against the median of the windows the model was fitted on.
      </p>
    </div>
  );
}
