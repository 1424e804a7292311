import { useMemo } from 'react';
import { Link, useSearchParams } from 'react-router';
import { formatCount } from '../../../../src/format/index.js';
import { useAnomalies, useWindows } from '../../api/hooks';
import type { AnomaliesResponse, Session, Summary } from '../../api/types';
import { TimeChart } from '../../charts/TimeChart';
import { scoreSpec, windowAt } from '../../charts/window-charts';
import { packetsOf } from '../../components/PacketsLink';
import { Async, Card, Empty } from '../../components/ui';
import { pageUrl } from '../../routes';
import { Explanation } from './Explanation';
import { cannotFlagText, modelCannotFlag } from './model-note';
import { TOP_N, TopWindows } from './TopWindows';

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
              <TopWindows
                anomalies={d.anomalies}
                selected={selectedId}
                onSelect={select}
                lengthS={lengthS}
                sessionId={id}
                packets={packetsOf(session)}
              />
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
