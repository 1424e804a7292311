import { useMemo } from 'react';
import { Link, useSearchParams } from 'react-router';
import {
  formatBytes,
  formatClock,
  formatCount,
  formatPercent,
  formatTimeRange,
} from '../../../src/format/index.js';
import { TimeChart } from '../charts/TimeChart';
import { scoreSpec, windowAt } from '../charts/window-charts';
import { COLORS } from '../colors';
import { Async, Card, Empty, ShareBar } from '../components/ui';
import { featureInfo } from '../features';
import { pageUrl } from '../routes';
import type { AnomaliesResponse, Anomaly, Session, Summary, TrafficWindow } from '../types';
import { cannotFlagText, modelCannotFlag, useAnomalies, useWindows } from './Overview';

const TOP_N = 15;

function Explanation({
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

function TopWindows({
  anomalies,
  selected,
  onSelect,
  lengthS,
}: {
  lengthS: number;
  anomalies: Anomaly[];
  selected: number | null;
  onSelect: (id: number) => void;
}) {
  const top = useMemo(
    () => [...anomalies].sort((a, b) => b.score - a.score || a.window_id - b.window_id).slice(0, TOP_N),
    [anomalies],
  );
  return (
    <table className="table table-compact table-select" data-testid="top-windows">
      <thead>
        <tr>
          <th>Window start (UTC)</th>
          <th className="num">Score</th>
          <th>Main reason</th>
        </tr>
      </thead>
      <tbody>
        {top.map((a) => {
          const f = (a.contributing_features ?? [])[0];
          return (
            <tr key={a.window_id} className={a.window_id === selected ? 'selected' : undefined}>
              <td>
                <button type="button" className="row-button" onClick={() => onSelect(a.window_id)}>
                  <span className="mono">{formatClock(a.start_ts, lengthS < 1 ? 3 : 0)}</span>{' '}
                  <span className="muted small">#{a.window_id}</span>
                </button>
              </td>
              <td className="num">
                <span
                  style={{
                    color: a.is_anomaly ? COLORS.anomaly : undefined,
                    fontWeight: a.is_anomaly ? 600 : 400,
                  }}
                >
                  {a.score.toFixed(3)}
                </span>
              </td>
              <td className="small">
                {f ? `${featureInfo(f.feature).label} ${f.direction === 'higher' ? '▲' : '▼'}` : '—'}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function modelLine(d: AnomaliesResponse): string {
  const m = d.model ?? {};
  const kind = m.kind ? m.kind.replace('+', ' + ').replace(/_/g, ' ') : 'unsupervised model';
  const parts = [kind, m.trees ? `${m.trees} trees` : null, m.seed !== undefined ? `seed ${m.seed}` : null];
  return `Model: ${parts.filter(Boolean).join(', ')}`;
}

export function AnomaliesPage({ session, summary }: { session: Session; summary: Summary }) {
  const id = session.session_id;
  const anomalies = useAnomalies(id);
  const windows = useWindows(id);
  const [search, setSearch] = useSearchParams();
  const lengthS = windows.data?.length_s ?? summary.windows.length_s;
  const data = anomalies.data;

  const requested = search.get('window');
  const selectedId = useMemo(() => {
    if (!data || data.anomalies.length === 0) return null;
    const n = requested === null ? Number.NaN : Number(requested);
    if (data.anomalies.some((a) => a.window_id === n)) return n;
    return [...data.anomalies].sort((a, b) => b.score - a.score || a.window_id - b.window_id)[0].window_id;
  }, [data, requested]);
  const select = (windowId: number) => {
    const s = new URLSearchParams(search);
    s.set('window', String(windowId));
    setSearch(s, { replace: true });
  };
  const option = useMemo(
    () => data && scoreSpec(data.anomalies, data.threshold, lengthS, selectedId),
    [data, lengthS, selectedId],
  );
  const selected = data?.anomalies.find((a) => a.window_id === selectedId);
  const win = windows.data?.windows.find((w) => w.window_id === selectedId);
  const descriptions = data?.feature_descriptions ?? summary.anomaly_model?.feature_descriptions ?? {};
  const flagged = data?.anomalies.filter((a) => a.is_anomaly).length ?? 0;
  const baseline = data?.model?.baseline_session_id;

  return (
    <div className="page anomalies">
      <Card
        title="Anomaly score per window"
        subtitle={
          data ? (
            <>
              {formatCount(flagged)} of {formatCount(data.anomalies.length)} windows ({lengthS} s each)
              flagged anomalous (a score at or above the threshold {data.threshold}). {modelLine(data)},
              fitted on{' '}
              {baseline ? (
                <Link to={pageUrl('overview', baseline)}>a baseline session</Link>
              ) : (
                "this capture's own windows"
              )}
              . Click the chart or a row to explain a window.
              {modelCannotFlag(data) && (
                <>
                  {' '}
                  <strong>{cannotFlagText(data)}</strong>
                </>
              )}
            </>
          ) : (
            'Per window, 0–1'
          )
        }
      >
        <Async
          state={anomalies}
          height={280}
          empty={(d) => d.anomalies.length === 0}
          emptyText="No windows were scored."
        >
          {(d) =>
            option && (
              <TimeChart
                spec={option}
                height={280}
                ariaLabel="Anomaly score per window"
                onPlotClick={(sec) => {
                  const a = windowAt(d.anomalies, lengthS, sec);
                  if (a) select(a.window_id);
                }}
              />
            )
          }
        </Async>
      </Card>
      <div className="grid grid-2-3">
        <Card title="Top-scoring windows" subtitle={`The ${TOP_N} highest scores`}>
          <Async state={anomalies} height={200} empty={(d) => d.anomalies.length === 0}>
            {(d) => (
              <TopWindows anomalies={d.anomalies} selected={selectedId} onSelect={select} lengthS={lengthS} />
            )}
          </Async>
        </Card>
        <Card title="Why this window scored as it did">
          {anomalies.error || !data ? (
            <Async state={anomalies}>{() => null}</Async>
          ) : selected ? (
            <Explanation
              a={selected}
              threshold={data.threshold}
              window={win}
              lengthS={lengthS}
              descriptions={descriptions}
            />
          ) : (
            <Empty>Select a window.</Empty>
          )}
          {selected && (
            <p className="small">
              <Link
                to={pageUrl('protocols', id, {
                  window_from: String(selected.window_id),
                  window_to: String(selected.window_id),
                })}
              >
                Flows that started in this window
              </Link>{' '}
              · <Link to={pageUrl('timeline', id)}>Alerts on the timeline</Link>
            </p>
          )}
        </Card>
      </div>
    </div>
  );
}
