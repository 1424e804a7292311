/** Figures formatted for people: "3.2 MB", "12.3 s", "2.4%". Decimal units, like tshark and capinfos. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB', 'PB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatPercent(part: number, whole: number): string {
  if (whole === 0) return '0%';
  const p = (part / whole) * 100;
  return `${p < 10 ? p.toFixed(1) : p.toFixed(0)}%`;
}

export function formatDuration(seconds: number): string {
  if (seconds < 1) return `${(seconds * 1000).toFixed(seconds < 0.01 ? 3 : 1)} ms`;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 3 : 1)} s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return h > 0 ? `${h} h ${m} min ${s} s` : `${m} min ${s} s`;
}

/** A capture timestamp string ("1300000000.123456789") as UTC date-time to the microsecond. */
export function formatTimestampUtc(ts: string | null): string {
  if (ts === null) return '—';
  const [secText, frac = '0'] = ts.split('.');
  const sec = Number(secText);
  const date = new Date(sec * 1000);
  if (Number.isNaN(date.getTime())) return ts;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}.${frac.padEnd(9, '0').slice(0, 6)} UTC`;
}
