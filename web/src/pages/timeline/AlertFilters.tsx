import type { Insight, Severity } from '../../api/types';
import { SEVERITY_COLORS, SEVERITY_ORDER } from '../../colors';
import { Dot } from '../../components/ui';
import { typeName } from './alert-types';
import type { AlertFilter } from './timeline-filter';

/**
 * The severity legend and the alert-type chips, each a toggle of the URL's filter (timeline-filter.ts),
 * with how many alerts of the capture it stands for.
 */
export function AlertFilters({
  alerts,
  types,
  filter,
  onToggle,
}: {
  /** Every alert of the capture, whatever the filter. */
  alerts: Insight[];
  types: string[];
  filter: AlertFilter;
  onToggle: (key: 'severity' | 'type', value: string, all: string[]) => void;
}) {
  const counts = SEVERITY_ORDER.map((s) => [s, alerts.filter((a) => a.severity === s).length] as const);
  const typeCounts = types.map(
    (t) => [t, alerts.filter((a) => (a.alert_type ?? 'alert') === t).length] as const,
  );
  const severityShown = (s: Severity) => !filter.severities || filter.severities.has(s);
  const typeShown = (t: string) => !filter.types || filter.types.has(t);
  return (
    <>
      <div className="legend-row timeline-filters">
        {counts.map(([s, n]) => (
          <button
            key={s}
            type="button"
            className={`legend-item legend-toggle${severityShown(s) ? '' : ' off'}`}
            aria-pressed={severityShown(s)}
            title={severityShown(s) ? `Hide the ${s} alerts` : `Show the ${s} alerts`}
            onClick={() => onToggle('severity', s, SEVERITY_ORDER)}
          >
            <Dot color={severityShown(s) ? SEVERITY_COLORS[s] : 'transparent'} />
            {s} <span className="muted">({n})</span>
          </button>
        ))}
      </div>
      {types.length > 1 && (
        <div className="legend-row timeline-filters type-filters">
          {typeCounts.map(([t, n]) => (
            <button
              key={t}
              type="button"
              className={`type-chip${typeShown(t) ? '' : ' off'}`}
              aria-pressed={typeShown(t)}
              title={typeShown(t) ? `Hide the ${typeName(t)} alerts` : `Show the ${typeName(t)} alerts`}
              onClick={() => onToggle('type', t, types)}
            >
              {typeName(t)} <span className="muted">({n})</span>
            </button>
          ))}
        </div>
      )}
    </>
  );
}
