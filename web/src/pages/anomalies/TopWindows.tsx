import { useMemo } from 'react';
import { formatClock } from '../../../../src/format/index.js';
import type { Anomaly } from '../../api/types';
import { COLORS } from '../../colors';
import { type PacketsAvailability, PacketsLink } from '../../components/PacketsLink';
import { featureInfo } from './features';

export const TOP_N = 15;

/** The highest-scoring windows with their main reason; a row selects its window. */
export function TopWindows({
  anomalies,
  selected,
  onSelect,
  lengthS,
  sessionId,
  packets,
}: {
  lengthS: number;
  sessionId: string;
  packets: PacketsAvailability;
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
          <th>
            <span className="sr-only">Packets</span>
          </th>
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
              <td className="num">
                <PacketsLink
                  sessionId={sessionId}
                  packets={packets}
                  query={{ window: a.window_id }}
                  what={`window #${a.window_id}`}
                  compact
                />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
