import { useEffect, useRef } from 'react';
import { Link } from 'react-router';
import { formatTime, formatTimeRange } from '../../../../src/format/index.js';
import type { Anomaly, Insight, TrafficWindow } from '../../api/types';
import { severityColor } from '../../colors';
import { type PacketsAvailability, PacketsLink } from '../../components/PacketsLink';
import { SeverityBadge } from '../../components/ui';
import { pageUrl } from '../../routes';
import { typeName } from './alert-types';
import type { Range } from './TimelineChart';
import { peakWindow } from './timeline-filter';

/** The capture-time span of an insight's windows (window k covers [t0 + kL, t0 + (k+1)L)). */
export function insightRange(i: Insight, windows: TrafficWindow[], lengthS: number): Range | null {
  if (i.window_start === null || windows.length === 0) return null;
  const t0 = windows[0].start_ts - windows[0].window_id * lengthS;
  const end = i.window_end ?? i.window_start;
  return { from: t0 + i.window_start * lengthS, to: t0 + (end + 1) * lengthS };
}

/** One alert (or summary insight) of the list; selected, it links to its flows and its scores. */
export function EventItem({
  insight: i,
  windows,
  lengthS,
  selected,
  onSelect,
  sessionId,
  anomalies,
  packets,
}: {
  sessionId: string;
  /** Whether the session's packets can be downloaded (alerts get a Packets button). */
  packets?: PacketsAvailability;
  /** The session's window scores, once loaded: the link opens the alert's highest-scoring window. */
  anomalies?: Anomaly[];
  insight: Insight;
  windows: TrafficWindow[];
  lengthS: number;
  selected: boolean;
  onSelect?: () => void;
}) {
  const range = insightRange(i, windows, lengthS);
  // Selected from the chart, the alert is brought into the list's view.
  const item = useRef<HTMLLIElement>(null);
  useEffect(() => {
    if (selected) item.current?.scrollIntoView({ block: 'nearest' });
  }, [selected]);
  const body = (
    <>
      <div className="event-head">
        {i.insight_type !== 'summary' && <SeverityBadge severity={i.severity} />}
        <span className="event-type">{typeName(i.alert_type)}</span>
        <span className="event-time">{formatTime(i.event_ts, 3)}</span>
      </div>
      <div className="event-text">{i.summary}</div>
      {range && (
        <div className="event-range muted small">
          {i.window_end !== null && i.window_end !== i.window_start
            ? `windows ${i.window_start}–${i.window_end}`
            : `window ${i.window_start}`}
          : {formatTimeRange(range.from, range.to, lengthS < 1 ? 3 : 0)}
        </div>
      )}
    </>
  );
  if (!onSelect) return <li className="event">{body}</li>;
  return (
    <li
      ref={item}
      className={`event${selected ? ' selected' : ''}`}
      style={{ borderLeftColor: severityColor(i.severity) }}
    >
      <button type="button" className="event-button" onClick={onSelect} aria-pressed={selected}>
        {body}
      </button>
      {packets && i.insight_type === 'alert' && (
        <div className="event-packets">
          <PacketsLink sessionId={sessionId} packets={packets} query={{ alert: i.id }} what="this alert" />
        </div>
      )}
      {selected && i.window_start !== null && (
        <div className="event-links small">
          <Link
            to={pageUrl('protocols', sessionId, {
              window_from: String(i.window_start),
              window_to: String(i.window_end ?? i.window_start),
            })}
          >
            Flows that started in these windows
          </Link>
          <Link
            to={pageUrl('anomalies', sessionId, {
              window: String(peakWindow(anomalies, i.window_start, i.window_end ?? i.window_start)),
            })}
          >
            Anomaly scores
          </Link>
        </div>
      )}
    </li>
  );
}
