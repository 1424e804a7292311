import { formatBytes, formatCount } from '../../../../src/format/index.js';
import type { SearchResponse } from '../../api/types';

// The group-by as horizontal bars: a value, a bar as long as its share of the largest, and its
// figure. Ten rows of text and numbers read better as bars with labels than as a plotted axis.

type Group = NonNullable<SearchResponse['group']>;

export function GroupBars({ group, names }: { group: Group; names: Map<string, string> }) {
  const metric = (r: Group['rows'][number]) => r[group.by];
  const max = Math.max(1, ...group.rows.map(metric));
  const figure = (n: number) => (group.by === 'bytes' ? formatBytes(n) : formatCount(n));
  if (group.rows.length === 0) return <div className="state state-empty">No values to group.</div>;
  return (
    <ol className="group-bars" aria-label={`Top ${group.field} by ${group.by}`} data-testid="group-bars">
      {group.rows.map((r) => {
        const key = String(r.key);
        const label = group.field === 'session' ? (names.get(key) ?? key) : key;
        return (
          <li key={key}>
            <span className="group-key mono" title={key}>
              {label}
            </span>
            <span className="group-track">
              <span className="group-bar" style={{ width: `${(metric(r) / max) * 100}%` }} />
            </span>
            <span className="group-figure">
              {figure(metric(r))}
              <span className="muted">
                {' '}
                · {formatCount(r.flows)} {r.flows === 1 ? 'flow' : 'flows'}
              </span>
            </span>
          </li>
        );
      })}
    </ol>
  );
}
