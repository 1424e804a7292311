import { formatTime } from '../../../src/format/index.js';

/** Header line of a tooltip for a window starting at `startSec`. */
export function windowTitle(startSec: number, lengthS: number): string {
  return `${formatTime(startSec, lengthS < 1 ? 3 : 0)} (+${lengthS} s)`;
}

/**
 * A tooltip as data, drawn by Plot as DOM text (never parsed as HTML: names in it come from
 * captures). Blocks are lines, one under the other, or a table of rows whose first cell is the
 * label and the rest are figures.
 */
export type TipSpan = string | { text: string; bold?: boolean; color?: string; dot?: string; note?: boolean };
export type TipBlock = TipSpan[] | { rows: TipSpan[][] };
export type Tip = TipBlock[];

function span(s: TipSpan): Node {
  if (typeof s === 'string') return document.createTextNode(s);
  const e = document.createElement(s.bold ? 'b' : 'span');
  if (s.dot) {
    const d = document.createElement('span');
    d.className = 'tt-dot';
    d.style.background = s.dot;
    e.append(d);
  }
  e.append(s.text);
  if (s.color) e.style.color = s.color;
  if (s.note) e.className = 'tt-note';
  return e;
}

/** The tooltip's nodes. */
export function renderTip(tip: Tip): DocumentFragment {
  const out = document.createDocumentFragment();
  tip.forEach((block, i) => {
    if (Array.isArray(block)) {
      if (i > 0) out.append(document.createElement('br'));
      for (const s of block) out.append(span(s));
      return;
    }
    const table = document.createElement('table');
    table.className = 'tt';
    for (const row of block.rows) {
      const tr = table.insertRow();
      row.forEach((cell, k) => {
        const td = tr.insertCell();
        if (k > 0) td.className = 'tt-num';
        td.append(span(cell));
      });
    }
    out.append(table);
  });
  return out;
}
