/**
 * Figures formatted for people, one way everywhere: the CLI's output, the alert sentences of the
 * detection rules and the dashboard all call these, so "1.00 MB" reads the same in a terminal, an
 * insight and a page. Bytes use decimal (SI) units, like tshark and capinfos ("25.3 kB", "3.57 kB",
 * "120.0 MB"); times are capture times in UTC with the date.
 *
 * No imports: the dashboard's bundle includes this module as it is (test/format.test.ts).
 */

const DASH = '—';

function finite(n: number | null | undefined): n is number {
  return typeof n === 'number' && Number.isFinite(n);
}

/** 999 → "999 B", 25_300 → "25.3 kB", 3_200_000 → "3.20 MB" (the CLI's formatBytes). */
export function formatBytes(n: number | null | undefined): string {
  if (!finite(n)) return DASH;
  if (n < 0) return `−${formatBytes(-n)}`;
  if (n < 1000) return `${Math.round(n)} B`;
  const units = ['kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  // 9.996 kB would print as "10.00 kB": round first, then pick the precision.
  let text = v.toFixed(v < 10 ? 2 : 1);
  if (Number(text) >= 1000 && i < units.length - 1) {
    v = Number(text) / 1000;
    i++;
    text = v.toFixed(2);
  }
  return `${text} ${units[i]}`;
}

/** Bytes per second: "1.20 MB/s". */
export function formatByteRate(n: number | null | undefined): string {
  if (!finite(n)) return DASH;
  return `${formatBytes(n)}/s`;
}

/** Bits per second from bytes per second: "9.60 Mbit/s" (what link capacities are quoted in). */
export function formatBitRate(bytesPerSec: number | null | undefined): string {
  if (!finite(bytesPerSec)) return DASH;
  const bits = bytesPerSec * 8;
  if (bits < 1000) return `${Math.round(bits)} bit/s`;
  const units = ['kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'];
  let v = bits / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

/** Compact byte figures for chart axes: "0", "500 B", "1.5 MB", "20 MB". */
export function formatBytesAxis(n: number): string {
  if (n === 0) return '0';
  if (Math.abs(n) < 1000) return `${trimZeros(n.toFixed(1))} B`;
  const units = ['kB', 'MB', 'GB', 'TB', 'PB'];
  let v = n / 1000;
  let i = 0;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${trimZeros(v.toFixed(1))} ${units[i]}`;
}

/** Compact counts for chart axes: 950 → "950", 12_500 → "12.5k", 3_000_000 → "3M". */
export function formatCountAxis(n: number): string {
  const a = Math.abs(n);
  if (a < 1000) return trimZeros(n.toFixed(a < 10 && a % 1 !== 0 ? 2 : 0));
  if (a < 1e6) return `${trimZeros((n / 1e3).toFixed(1))}k`;
  if (a < 1e9) return `${trimZeros((n / 1e6).toFixed(1))}M`;
  return `${trimZeros((n / 1e9).toFixed(1))}G`;
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** Whole counts with thousands separators: 82582 → "82,582". */
// Grouped by hand rather than with Intl.NumberFormat: making the first Intl formatter loads ICU's
// locale data, about 18 ms of every CLI start (format.test.ts checks it against Intl's output).
export function formatCount(n: number | null | undefined): string {
  if (!finite(n)) return DASH;
  const r = Math.round(n);
  if (r === 0) return Object.is(r, -0) ? '-0' : '0';
  const digits = wholeDigits(Math.abs(r));
  let out = '';
  let i = digits.length;
  while (i > 3) {
    out = `,${digits.slice(i - 3, i)}${out}`;
    i -= 3;
  }
  return `${r < 0 ? '-' : ''}${digits.slice(0, i)}${out}`;
}

// A whole number's decimal digits; from 1e21 up JavaScript writes an exponent, and Intl writes the
// shortest digits that read back as the number, then zeros.
function wholeDigits(abs: number): string {
  if (abs < 1e21) return abs.toFixed(0);
  const [mantissa = '', exponent = '0'] = abs.toString().split('e+');
  const figures = mantissa.replace('.', '');
  return figures.padEnd(Number(exponent) + 1, '0');
}

/** A rate with its unit and a sensible precision: 1234.5 → "1,235/s", 2.25 → "2.25/s". */
export function formatPerSecond(n: number | null | undefined): string {
  if (!finite(n)) return DASH;
  if (n >= 100) return `${formatCount(n)}/s`;
  return `${trimZeros(n.toFixed(n >= 10 ? 1 : 2))}/s`;
}

/**
 * A percentage given in percent (0–100): "2.4%", "13.5%", "100%", "0%"; a non-zero share below
 * 0.1% reads "<0.1%" rather than a misleading "0.0%".
 */
export function formatPercent(pct: number | null | undefined, digits = 1): string {
  if (!finite(pct)) return DASH;
  if (pct === 0) return '0%';
  if (pct === 100) return '100%';
  const min = 10 ** -digits;
  if (pct > 0 && pct < min) return `<${min.toFixed(digits)}%`;
  return `${pct.toFixed(digits)}%`;
}

/** `part` as a percentage of `whole` ("57.4%"); "0%" when the whole is 0. */
export function formatShare(part: number, whole: number, digits = 1): string {
  return whole === 0 ? '0%' : formatPercent((part / whole) * 100, digits);
}

/** A fraction (0–1) as a percentage: 0.024 → "2.4%" (TCP health's rates). */
export function formatFraction(f: number | null | undefined, digits = 1): string {
  if (!finite(f)) return DASH;
  return formatPercent(f * 100, digits);
}

/** A ratio such as SYN / SYN-ACK: 1.0833 → "1.08"; null (no SYN-ACK) → "—". */
export function formatRatio(r: number | null | undefined, digits = 2): string {
  if (!finite(r)) return DASH;
  return r.toFixed(digits);
}

/**
 * Durations for people: "0s", "320 µs", "9.6 ms", "2.4s", "12s", "3m 20s", "1h 02m", "2d 03h".
 * Under ten seconds one decimal is kept (flows are often that short); above, whole seconds.
 */
export function formatDuration(seconds: number | null | undefined): string {
  if (!finite(seconds)) return DASH;
  if (seconds < 0) return `−${formatDuration(-seconds)}`;
  if (seconds === 0) return '0s';
  if (seconds < 0.001) return `${Math.round(seconds * 1e6)} µs`;
  if (seconds < 1) {
    const ms = seconds * 1000;
    const text = trimZeros(ms.toFixed(ms < 10 ? 1 : 0));
    return text === '1000' ? '1.0s' : `${text} ms`;
  }
  if (seconds < 10) {
    const text = seconds.toFixed(1);
    return text === '10.0' ? '10s' : `${text}s`;
  }
  let s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad2(s % 60)}s`;
  const m = Math.round(seconds / 60);
  if (m < 24 * 60) return `${Math.floor(m / 60)}h ${pad2(m % 60)}m`;
  s = Math.round(seconds / 3600);
  return `${Math.floor(s / 24)}d ${pad2(s % 24)}h`;
}

/**
 * Durations in a sentence: "under 1 ms", "40 ms", "12.3 s", "5 min", "1.5 h" (the alert texts,
 * where "3m 20s" would read as a typo).
 */
export function formatSeconds(s: number): string {
  if (s < 0.0005) return 'under 1 ms';
  if (s < 1) return `${Math.max(1, Math.round(s * 1000))} ms`;
  if (s < 120) return `${Math.round(s * 10) / 10} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 360) / 10} h`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Capture time (seconds since the epoch) as "2011-03-18 19:06:07.096 UTC". */
export function formatTime(sec: number | null | undefined, digits: 0 | 3 | 6 = 3): string {
  if (!finite(sec)) return DASH;
  return `${utcParts(sec, digits)} UTC`;
}

/** A decimal timestamp string like tshark's frame.time_epoch ("1300000000.123456789") to the µs. */
export function formatTimestampText(ts: string | null | undefined): string {
  if (ts === null || ts === undefined || ts === '') return DASH;
  const [secText, frac = ''] = ts.split('.');
  const sec = Number(secText);
  if (!Number.isFinite(sec)) return ts;
  const date = new Date(sec * 1000);
  if (Number.isNaN(date.getTime())) return ts;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}.${frac.padEnd(6, '0').slice(0, 6)} UTC`;
}

/** Time of day in UTC: "19:06:07" or, with digits, "19:06:07.096". */
export function formatClock(sec: number | null | undefined, digits: 0 | 3 = 0): string {
  if (!finite(sec)) return DASH;
  return utcParts(sec, digits).slice(11);
}

/**
 * A capture time range: "2011-03-18 19:06:07 → 19:06:13 UTC" on one day, both dates otherwise.
 */
export function formatTimeRange(
  from: number | null | undefined,
  to: number | null | undefined,
  digits: 0 | 3 = 0,
) {
  if (!finite(from) || !finite(to)) return DASH;
  const a = utcParts(from, digits);
  const b = utcParts(to, digits);
  return a.slice(0, 10) === b.slice(0, 10) ? `${a} → ${b.slice(11)} UTC` : `${a} → ${b} UTC`;
}

function utcParts(sec: number, digits: 0 | 3 | 6): string {
  // Split first so that microseconds survive (a Date holds milliseconds only).
  let whole = Math.floor(sec);
  let micros = Math.round((sec - whole) * 1e6);
  if (micros >= 1e6) {
    whole += 1;
    micros -= 1e6;
  }
  const date = new Date(whole * 1000);
  if (Number.isNaN(date.getTime())) return String(sec);
  const base = date.toISOString().slice(0, 19).replace('T', ' ');
  if (digits === 0) return base;
  const frac = String(micros).padStart(6, '0').slice(0, digits);
  return `${base}.${frac}`;
}

/** A wall-clock instant (an ISO string from the server, e.g. created_at) as UTC: "2026-05-01 09:30 UTC". */
export function formatInstant(iso: string | null | undefined): string {
  if (!iso) return DASH;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "1 packet", "2 packets". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** An address and port as an analyst writes them: "10.0.0.1:443", "[2001:db8::1]:443". */
export function formatEndpoint(ip: string, port: number | null | undefined): string {
  if (port === null || port === undefined) return ip;
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
