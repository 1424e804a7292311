import type { ReactNode } from 'react';

/**
 * A sortable column's heading: the label and the mark of the sort (▲ ascending, ▼ descending, ↕
 * sortable but not sorted by), as a button that asks the page to sort by it. The page keeps the
 * sort (in its URL), so the flows table and the logs sort the same way.
 */
export function SortButton({
  label,
  active,
  order,
  onToggle,
}: {
  label: ReactNode;
  active: boolean;
  order: 'asc' | 'desc';
  onToggle: () => void;
}) {
  return (
    <button type="button" className={`th-sort${active ? ' active' : ''}`} onClick={onToggle}>
      {label}
      <span className="sort-mark">{active ? (order === 'asc' ? '▲' : '▼') : '↕'}</span>
    </button>
  );
}
