// DNS messages (RFC 1035; mDNS and LLMNR use the same format). Every read is checked against the
// message's end, which a snaplen may have cut anywhere: a message that breaks off, or whose names
// are damaged, is returned as far as it could be read with `malformed` saying why. Never throws.

import { u16be, u32be } from '../capture/bytes.js';
import { ipv4Text, ipv6Text, utf8Text } from './text.js';

export const DNS_A = 1;
export const DNS_NS = 2;
export const DNS_CNAME = 5;
export const DNS_SOA = 6;
export const DNS_PTR = 12;
export const DNS_MX = 15;
export const DNS_TXT = 16;
export const DNS_AAAA = 28;
export const DNS_SRV = 33;

/** Why a message is malformed (0: it is not). Fixed strings, indexed by code. */
export const DNS_MALFORMED = [
  '',
  'message ends inside a record',
  'compression pointer beyond the message',
  'compression pointer that does not point to an earlier name (a loop)',
  'name longer than 255 bytes',
  'label of an unknown type',
  'record data does not match its type',
] as const;
export const DNS_M_TRUNCATED = 1;
export const DNS_M_POINTER_OUT_OF_RANGE = 2;
export const DNS_M_POINTER_LOOP = 3;
export const DNS_M_NAME_TOO_LONG = 4;
export const DNS_M_LABEL_TYPE = 5;
export const DNS_M_RDATA = 6;

/** Questions and answers kept per message (the header's counts say how many there were). */
export const DNS_MAX_QUESTIONS = 8;
export const DNS_MAX_ANSWERS = 32;
/** TXT strings kept per record, and characters of them. */
const MAX_TXT_STRINGS = 16;
const MAX_TXT_CHARS = 1024;
/** RFC 1035 §2.3.4: a name is at most 255 bytes on the wire, a label at most 63. */
const MAX_NAME_BYTES = 255;

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

export interface DnsAnswer {
  name: string;
  type: number;
  class: number;
  ttl: number;
  /**
   * A and AAAA: the address; CNAME, PTR and NS: the name; MX: the exchange; SRV: the target; TXT: its
   * strings joined by a space. Null for other types, or when the data is damaged.
   */
  data: string | null;
  /** MX preference or SRV priority; -1 for other types. */
  priority: number;
  /** SRV weight and port; -1 for other types. */
  weight: number;
  port: number;
  /** TXT: its character strings; null for other types. */
  texts: string[] | null;
}

export interface DnsMessage {
  id: number;
  response: boolean;
  opcode: number;
  /** Flags: authoritative answer, truncated, recursion desired, recursion available. */
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  rcode: number;
  /** The header's counts (the lists below keep at most DNS_MAX_QUESTIONS and DNS_MAX_ANSWERS). */
  questionCount: number;
  answerCount: number;
  questions: DnsQuestion[];
  answers: DnsAnswer[];
  /** A DNS_M_* code when the message is damaged (what came before the damage is kept), else 0. */
  malformed: number;
}

// Where the last name read ended in the message, and why it failed (a DNS_M_* code).
let nameEnd = 0;
let nameError = 0;
// A name is gathered here and decoded by one toString (no view per label or per name).
const nameBytes = Buffer.alloc(MAX_NAME_BYTES + 1);

/**
 * The name at `p` of the message msg[start, end): labels and compression pointers. Each pointer
 * must point before the labels that led to it (a pointer to a prior name, RFC 1035 §4.1.4), which
 * is what makes every loop fail and bounds the work by the message length. Sets `nameEnd` (where
 * the name ends at `p`'s place), or `nameError` and returns null.
 */
function readName(buf: Uint8Array, start: number, end: number, p: number): string | null {
  let n = 0; // bytes of nameBytes used, dots included
  let wire = 1; // bytes on the wire: labels with their lengths, and the root
  let runStart = p;
  let after = -1;
  let labels = 0;
  nameError = 0;
  for (;;) {
    if (p >= end) {
      nameError = DNS_M_TRUNCATED;
      return null;
    }
    const len = buf[p];
    if (len === 0) {
      if (after < 0) after = p + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (p + 1 >= end) {
        nameError = DNS_M_TRUNCATED;
        return null;
      }
      const target = start + (((len & 0x3f) << 8) | buf[p + 1]);
      if (target >= end) {
        nameError = DNS_M_POINTER_OUT_OF_RANGE;
        return null;
      }
      if (target >= runStart) {
        nameError = DNS_M_POINTER_LOOP;
        return null;
      }
      if (after < 0) after = p + 2;
      runStart = target;
      p = target;
      continue;
    }
    if (kind !== 0) {
      nameError = DNS_M_LABEL_TYPE;
      return null;
    }
    wire += len + 1;
    if (wire > MAX_NAME_BYTES) {
      nameError = DNS_M_NAME_TOO_LONG;
      return null;
    }
    if (p + 1 + len > end) {
      nameError = DNS_M_TRUNCATED;
      return null;
    }
    if (labels++ > 0) nameBytes[n++] = 0x2e;
    for (let i = p + 1; i <= p + len; i++) nameBytes[n++] = buf[i];
    p += 1 + len;
  }
  nameEnd = after;
  if (labels === 0) return '.';
  // UTF-8 (mDNS names are UTF-8, RFC 6762 §16; ASCII is its subset), invalid bytes as U+FFFD.
  const text = nameBytes.toString('utf8', 0, n);
  return text.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text;
}

/**
 * One DNS message at buf[off, off + len) (a UDP payload, or a TCP message without its length
 * prefix). Null when it is too short for the 12-byte header; else the message as far as it reads.
 */
export function parseDnsMessage(buf: Uint8Array, off: number, len: number): DnsMessage | null {
  const end = Math.min(off + len, buf.length);
  if (end - off < 12) return null;
  const flags = u16be(buf, off + 2);
  const msg: DnsMessage = {
    id: u16be(buf, off),
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 15,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    rcode: flags & 15,
    questionCount: u16be(buf, off + 4),
    answerCount: u16be(buf, off + 6),
    questions: [],
    answers: [],
    malformed: 0,
  };
  let p = off + 12;
  for (let i = 0; i < msg.questionCount; i++) {
    const name = readName(buf, off, end, p);
    if (name === null) {
      msg.malformed = nameError;
      return msg;
    }
    p = nameEnd;
    if (p + 4 > end) {
      msg.malformed = DNS_M_TRUNCATED;
      return msg;
    }
    if (msg.questions.length < DNS_MAX_QUESTIONS)
      msg.questions.push({ name, type: u16be(buf, p), class: u16be(buf, p + 2) });
    p += 4;
  }
  for (let i = 0; i < msg.answerCount; i++) {
    p = readAnswer(buf, off, end, p, msg);
    if (p < 0) return msg;
  }
  return msg;
}

/** One resource record at `p`: kept (up to the cap) in msg.answers; returns where the next starts, or -1. */
function readAnswer(buf: Uint8Array, start: number, end: number, p: number, msg: DnsMessage): number {
  const name = readName(buf, start, end, p);
  if (name === null) {
    msg.malformed = nameError;
    return -1;
  }
  p = nameEnd;
  if (p + 10 > end) {
    msg.malformed = DNS_M_TRUNCATED;
    return -1;
  }
  const type = u16be(buf, p);
  const rdStart = p + 10;
  const rdEnd = rdStart + u16be(buf, p + 8);
  if (rdEnd > end) {
    msg.malformed = DNS_M_TRUNCATED;
    return -1;
  }
  if (msg.answers.length >= DNS_MAX_ANSWERS) return rdEnd;
  const answer: DnsAnswer = {
    name,
    type,
    class: u16be(buf, p + 2),
    ttl: u32be(buf, p + 4),
    data: null,
    priority: -1,
    weight: -1,
    port: -1,
    texts: null,
  };
  if (!readData(buf, start, rdStart, rdEnd, answer)) msg.malformed ||= DNS_M_RDATA;
  msg.answers.push(answer);
  return rdEnd;
}

/** The record's data by type; false when it does not fit its type. */
function readData(buf: Uint8Array, start: number, p: number, rdEnd: number, a: DnsAnswer): boolean {
  const n = rdEnd - p;
  switch (a.type) {
    case DNS_A:
      if (n !== 4) return false;
      a.data = ipv4Text(buf, p);
      return true;
    case DNS_AAAA:
      if (n !== 16) return false;
      a.data = ipv6Text(buf, p);
      return true;
    case DNS_CNAME:
    case DNS_PTR:
    case DNS_NS:
      a.data = nameWithin(buf, start, p, rdEnd);
      return a.data !== null;
    case DNS_MX:
      if (n < 3) return false;
      a.priority = u16be(buf, p);
      a.data = nameWithin(buf, start, p + 2, rdEnd);
      return a.data !== null;
    case DNS_SRV:
      if (n < 7) return false;
      a.priority = u16be(buf, p);
      a.weight = u16be(buf, p + 2);
      a.port = u16be(buf, p + 4);
      a.data = nameWithin(buf, start, p + 6, rdEnd);
      return a.data !== null;
    case DNS_TXT: {
      const texts: string[] = [];
      let chars = 0;
      while (p < rdEnd) {
        const len = buf[p];
        if (p + 1 + len > rdEnd) return false;
        if (texts.length < MAX_TXT_STRINGS && chars < MAX_TXT_CHARS) {
          const text = utf8Text(buf, p + 1, p + 1 + len, MAX_TXT_CHARS - chars);
          chars += text.length;
          texts.push(text);
        }
        p += 1 + len;
      }
      a.texts = texts;
      a.data = texts.join(' ');
      return true;
    }
    default:
      return true;
  }
}

/** A name in record data: it may point anywhere earlier in the message, but must end inside the data. */
function nameWithin(buf: Uint8Array, start: number, p: number, rdEnd: number): string | null {
  // Pointers reach back into the message, which all lies before the data's end.
  return readName(buf, start, rdEnd, p);
}

const TYPE_NAMES: Record<number, string> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  12: 'PTR',
  13: 'HINFO',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  33: 'SRV',
  35: 'NAPTR',
  41: 'OPT',
  43: 'DS',
  46: 'RRSIG',
  47: 'NSEC',
  48: 'DNSKEY',
  64: 'SVCB',
  65: 'HTTPS',
  255: '*',
};

/** A query type's name as Zeek's `qtype_name` writes it (`TYPE<n>` for the rest). */
export function dnsTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `TYPE${type}`;
}

const RCODE_NAMES = [
  'NOERROR',
  'FORMERR',
  'SERVFAIL',
  'NXDOMAIN',
  'NOTIMP',
  'REFUSED',
  'YXDOMAIN',
  'YXRRSET',
];

/** A response code's name as Zeek's `rcode_name` writes it. */
export function dnsRcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `RCODE${rcode}`;
}
