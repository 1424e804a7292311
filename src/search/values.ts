import { formatIpv6 } from '../analysis/address-table.js';
import { parseCidr } from '../analysis/local-nets.js';
import { canonicalIp } from '../analysis/options.js';
import { serviceLabel, serviceName } from '../analysis/services.js';
import type { FieldType } from './fields.js';

/** A value of an expression, as the compiler needs it (addresses canonical, units applied). */
export type Value =
  /** One address, written as the analysis writes it (IPv6 compressed, lower case). */
  | { kind: 'address'; address: string }
  /** A network: its canonical `address/prefix` and its first and last addresses. */
  | { kind: 'network'; cidr: string; first: string; last: string }
  /** A port, a count, a duration in seconds or a time in epoch seconds. */
  | { kind: 'number'; value: number }
  /** A time this many seconds from the moment the query runs (negative: in the past). */
  | { kind: 'relative'; seconds: number }
  | { kind: 'text'; text: string }
  | { kind: 'glob'; glob: string }
  | { kind: 'regex'; regex: string }
  /** A service name and the TCP and UDP ports the IANA registry gives it. */
  | { kind: 'service'; name: string; tcp: number[]; udp: number[] };

/** A value that could not be read: what was expected instead, and where in the token it went wrong. */
export class ValueError extends Error {
  constructor(
    readonly expected: string,
    readonly offset = 0,
  ) {
    super(expected);
  }
}

/** What a value of each type looks like, for the error that says one was expected. */
export const EXPECTED: Record<Exclude<FieldType, 'enum'>, string> = {
  address: 'an address or a network (10.0.0.1, 10.0.0.0/8, 2001:db8::/32)',
  port: 'a port (0 to 65535)',
  number: 'a whole number (1500, 1.5k, 2M, 1G)',
  duration: 'a duration (500ms, 1.5s, 5m, 2h, 1d)',
  time: 'a time (2024-05-01T12:00:00Z, 2024-05-01, -24h, now, or epoch seconds)',
  text: 'a text ("…" or a word)',
  service: 'a service name (https, dns, ssh …) or a port',
};

const DECIMAL = String.raw`(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+))?`;
const NUMBER = new RegExp(`^${DECIMAL}([kKMGT])?$`);
const DURATION = new RegExp(`^${DECIMAL}(us|ms|s|min|m|h|d)?$`);
const RELATIVE = new RegExp(`^-${DECIMAL}(ms|s|min|m|h|d|w)$`);
const ISO = /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(\.\d{1,9})?)?(Z|[+-]\d\d:?\d\d)?)?$/i;

// Decimal powers, applied to the number's text so that 1.1k is 1100 exactly (1.1 * 1000 is not).
const SI_POWER: Record<string, number> = { k: 3, K: 3, M: 6, G: 9, T: 12 };
const SECONDS: Record<string, number> = {
  us: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  min: 60,
  h: 3600,
  d: 86400,
  w: 604800,
};

/** The number a decimal text stands for, times 10^power, rounded once (as the text would be). */
function decimal(mantissa: string, exponent: string | undefined, power: number): number {
  const e = Number(exponent ?? 0) + power;
  return Number(`${mantissa}e${e}`);
}

export function readPort(word: string): Value {
  if (!/^\d{1,5}$/.test(word) || Number(word) > 65535) throw new ValueError(EXPECTED.port);
  return { kind: 'number', value: Number(word) };
}

export function readNumber(word: string): Value {
  const m = NUMBER.exec(word);
  if (!m) throw new ValueError(EXPECTED.number);
  const value = decimal(m[1], m[2], m[3] === undefined ? 0 : SI_POWER[m[3]]);
  if (!Number.isFinite(value) || value > Number.MAX_SAFE_INTEGER) {
    throw new ValueError(`a whole number up to ${Number.MAX_SAFE_INTEGER}`);
  }
  if (!Number.isInteger(value)) throw new ValueError(EXPECTED.number);
  return { kind: 'number', value };
}

export function readDuration(word: string): Value {
  const m = DURATION.exec(word);
  if (!m) throw new ValueError(EXPECTED.duration);
  const unit = m[3] ?? 's';
  // Milli- and microseconds shift the decimal point; minutes and longer multiply (exact for the
  // whole and half numbers people type).
  const value =
    unit === 'ms' || unit === 'us'
      ? decimal(m[1], m[2], unit === 'ms' ? -3 : -6)
      : decimal(m[1], m[2], 0) * SECONDS[unit];
  if (!Number.isFinite(value)) throw new ValueError(EXPECTED.duration);
  return { kind: 'number', value };
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function readTime(word: string): Value {
  if (word.toLowerCase() === 'now') return { kind: 'relative', seconds: 0 };
  const rel = RELATIVE.exec(word);
  if (rel) {
    const seconds = -decimal(rel[1], rel[2], 0) * SECONDS[rel[3]];
    if (!Number.isFinite(seconds)) throw new ValueError(EXPECTED.time);
    return { kind: 'relative', seconds };
  }
  const iso = ISO.exec(word);
  if (iso) return { kind: 'number', value: isoSeconds(iso) };
  const epoch = /^\d+(\.\d+)?$/.test(word) ? Number(word) : Number.NaN;
  if (!Number.isFinite(epoch)) throw new ValueError(EXPECTED.time);
  return { kind: 'number', value: epoch };
}

function isoSeconds(m: RegExpExecArray): number {
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0));
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > DAYS_IN_MONTH[month - 1] ||
    (month === 2 && day === 29 && !leap)
  ) {
    throw new ValueError('a date that exists (YYYY-MM-DD)');
  }
  if (hour > 23 || minute > 59 || second > 59) throw new ValueError('a time of day (hh:mm or hh:mm:ss)');
  let offset = 0;
  const zone = m[8];
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const digits = zone.replace(':', '');
    const hours = Number(digits.slice(1, 3));
    const minutes = Number(digits.slice(3, 5));
    if (hours > 23 || minutes > 59) throw new ValueError('a time zone offset (Z, +02:00, -0530)');
    offset = (zone[0] === '-' ? -1 : 1) * (hours * 3600 + minutes * 60);
  }
  const whole = Date.UTC(year, month - 1, day, hour, minute, second) / 1000 - offset;
  return m[7] === undefined ? whole : whole + Number(m[7]);
}

function formatWords(family: 4 | 6, words: number[]): string {
  if (family === 6) return formatIpv6(words);
  const v = words[0] >>> 0;
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

export function readAddress(word: string): Value {
  if (!word.includes('/')) {
    const address = canonicalIp(word);
    if (address === null) throw new ValueError(EXPECTED.address);
    return { kind: 'address', address };
  }
  let cidr: ReturnType<typeof parseCidr>;
  try {
    cidr = parseCidr(word);
  } catch {
    throw new ValueError(EXPECTED.address);
  }
  const { family, prefix } = cidr;
  const bits = family === 4 ? 32 : 128;
  const words = family === 4 ? [cidr.words[0]] : cidr.words;
  // The first address clears the host bits, the last sets them; word by word, 32 bits each.
  const first = words.map((w, i) => {
    const keep = Math.max(0, Math.min(32, prefix - 32 * i));
    return keep === 0 ? 0 : (w & (0xffffffff << (32 - keep))) >>> 0;
  });
  const last = words.map((w, i) => {
    const keep = Math.max(0, Math.min(32, prefix - 32 * i));
    return keep === 32 ? w >>> 0 : (first[i] | (0xffffffff >>> keep)) >>> 0;
  });
  const firstText = formatWords(family, first);
  if (prefix === bits) return { kind: 'address', address: firstText };
  return {
    kind: 'network',
    cidr: `${firstText}/${prefix}`,
    first: firstText,
    last: formatWords(family, last),
  };
}

let servicePorts: Map<string, { tcp: number[]; udp: number[] }> | null = null;

/**
 * Service names to ports, from the analysis' own registry (the names the dashboard shows): the
 * registry's name (`domain`) and the dashboard's (`dns`) both work. Built on first use.
 */
function serviceIndex(): Map<string, { tcp: number[]; udp: number[] }> {
  if (servicePorts !== null) return servicePorts;
  const index = new Map<string, { tcp: number[]; udp: number[] }>();
  for (const transport of ['tcp', 'udp'] as const) {
    for (let port = 0; port <= 65535; port++) {
      const name = serviceName(transport, port);
      if (name === null) continue;
      const label = serviceLabel(transport, port);
      const shown = label.slice(label.indexOf('(') + 1, -1).toLowerCase();
      for (const key of new Set([name.toLowerCase(), shown])) {
        let entry = index.get(key);
        if (entry === undefined) index.set(key, (entry = { tcp: [], udp: [] }));
        entry[transport].push(port);
      }
    }
  }
  servicePorts = index;
  return index;
}

export function serviceNames(): Iterable<string> {
  return serviceIndex().keys();
}

export function readService(word: string): Value {
  if (/^\d+$/.test(word)) {
    const port = readPort(word);
    const n = port.kind === 'number' ? port.value : 0;
    return { kind: 'service', name: word, tcp: [n], udp: [n] };
  }
  const name = word.toLowerCase();
  const ports = serviceIndex().get(name);
  if (ports === undefined) throw new ValueError(EXPECTED.service);
  return { kind: 'service', name, tcp: ports.tcp, udp: ports.udp };
}

/** The longest regular expression accepted, in characters. */
export const MAX_REGEX_LENGTH = 256;
/** The largest count of a bounded repeat ({n,m}); PostgreSQL's own limit is 255. */
const MAX_REPEAT = 255;
/**
 * The largest product of bounded repeats nested in one another: PostgreSQL compiles `x{n}` into n
 * copies of x, so nested bounds multiply the automaton's size (and its compile time and memory).
 */
const MAX_REPEAT_PRODUCT = 1000;
const MAX_REGEX_GROUPS_DEPTH = 16;

const CLASS_ESCAPES = 'dDwWsS';
const CONTROL_ESCAPES = 'tnr';
const PUNCTUATION = '\\/.*+?()[]{}|^$-';

/**
 * Checks a regular expression against the subset that PostgreSQL (ARE) and JavaScript read alike,
 * and that cannot grow large: literals, `.`, classes (`[a-z]`, `\d \w \s` and their negations),
 * groups (`(…)`, `(?:…)`), alternation, anchors `^ $`, and the repeats `* + ? {n} {n,} {n,m}`
 * (optionally lazy). Refused: back-references (the one feature that makes PostgreSQL's engine
 * backtrack), look-around, embedded options and the `***` directors, `\b` (a backspace in
 * PostgreSQL, a word boundary in JavaScript), and bounded repeats over 255 or nested past a product
 * of 1000. Throws a ValueError at the character that broke a rule.
 */
export function checkRegex(re: string): void {
  if (re.length === 0) throw new ValueError('a regular expression (/…/), not an empty one');
  if (re.length > MAX_REGEX_LENGTH) {
    throw new ValueError(`a regular expression of at most ${MAX_REGEX_LENGTH} characters`, MAX_REGEX_LENGTH);
  }
  // Per open group: the largest product of bounds inside it so far. `atom` is what a repeat
  // would apply to: 1 for a character or class, a group's largest inner product for a group.
  const groups: { weight: number; start: number }[] = [{ weight: 1, start: 0 }];
  let atom: number | null = null;
  let i = 0;
  const fail = (expected: string, at = i): never => {
    throw new ValueError(expected, at);
  };
  const escapeOk = (e: string | undefined) =>
    e !== undefined && (CLASS_ESCAPES.includes(e) || CONTROL_ESCAPES.includes(e) || PUNCTUATION.includes(e));
  while (i < re.length) {
    const c = re[i];
    if (c === '\\') {
      const e = re[i + 1];
      if (e === 'u') {
        if (!/^[0-9a-fA-F]{4}$/.test(re.slice(i + 2, i + 6))) fail('four hex digits after `\\u`', i + 2);
        i += 6;
      } else {
        if (e !== undefined && /[1-9]/.test(e))
          fail('no back-reference (they can make a match take exponential time)');
        if (!escapeOk(e))
          fail(
            'one of the escapes \\d \\w \\s \\D \\W \\S \\t \\n \\r \\uXXXX or an escaped punctuation mark',
          );
        i += 2;
      }
      atom = 1;
    } else if (c === '[') {
      const start = i;
      i++;
      if (re[i] === '^') i++;
      // `[]…]` has a literal `]` in PostgreSQL and is an empty class in JavaScript.
      if (re[i] === ']') fail('something in the class (write `\\]` for a bracket)');
      while (i < re.length && re[i] !== ']') {
        if (re[i] === '[') fail('no `[` inside a class (escape it as \\[)');
        if (re[i] === '\\' && !escapeOk(re[i + 1]))
          fail('one of the escapes \\d \\w \\s \\t \\n \\r or an escaped punctuation mark');
        i += re[i] === '\\' ? 2 : 1;
      }
      if (i >= re.length) fail('a `]` to close the class', start);
      i++;
      atom = 1;
    } else if (c === '(') {
      if (re[i + 1] === '?' && re[i + 2] !== ':')
        fail('a plain group `(…)` or `(?:…)`: no look-around or options');
      if (groups.length > MAX_REGEX_GROUPS_DEPTH)
        fail(`groups nested at most ${MAX_REGEX_GROUPS_DEPTH} deep`);
      groups.push({ weight: 1, start: i });
      i += re[i + 1] === '?' ? 3 : 1;
      atom = null;
    } else if (c === ')') {
      if (groups.length === 1) fail('a `(` before this `)`');
      atom = groups.pop()!.weight;
      const parent = groups[groups.length - 1];
      parent.weight = Math.max(parent.weight, atom);
      i++;
    } else if (c === '*' || c === '+' || c === '?' || c === '{') {
      if (atom === null) fail('something to repeat before it');
      let bound = 1;
      if (c === '{') {
        const m = /^\{(\d{1,4})(,(\d{0,4}))?\}/.exec(re.slice(i));
        if (m === null) return fail('a repeat count {n}, {n,} or {n,m}');
        const lo = Number(m[1]);
        const hi = m[2] === undefined || m[3] === '' ? lo : Number(m[3]);
        if (hi > MAX_REPEAT || lo > hi) fail(`repeat counts from 0 to ${MAX_REPEAT}, the smaller first`);
        bound = Math.max(hi, 1);
        i += m[0].length;
      } else i++;
      const weight = atom! * bound;
      if (weight > MAX_REPEAT_PRODUCT)
        fail(`bounded repeats whose counts multiply to at most ${MAX_REPEAT_PRODUCT}`, i - 1);
      const group = groups[groups.length - 1];
      group.weight = Math.max(group.weight, weight);
      if (re[i] === '?') i++;
      atom = null;
    } else if (c === '|' || c === '^' || c === '$') {
      atom = null;
      i++;
    } else if (c === ']' || c === '}') {
      fail(`an escaped \`\\${c}\` (a lone \`${c}\` reads differently in PostgreSQL)`);
    } else {
      atom = 1;
      i++;
    }
  }
  if (groups.length > 1) fail('a `)` to close the group', groups[groups.length - 1].start);
}
