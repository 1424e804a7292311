// DNS transactions as Zeek's dns.log has them: a query and its response matched by transaction id,
// client, server and question, one row per query (answered or not, with the round-trip time), and a
// row for a response whose query was not seen. Outstanding queries are bounded per flow and in all:
// past either bound, or past the timeout, the oldest is written as unanswered.

import { type DnsAnswer, type DnsMessage, parseDnsMessage } from './dns.js';
import { type ByteBudget, type Clock, TcpFlowParser } from './tcp-stream.js';

/** Whether a UDP or TCP port is one DNS, mDNS or LLMNR uses. */
export function isDnsPort(port: number): boolean {
  return port === 53 || port === 5353 || port === 5355;
}

export interface DnsTransaction {
  /** The query's time (the response's when no query was seen), in seconds. */
  ts: number;
  flowId: number;
  /** The end of the flow key (0: A, 1: B) that asked. */
  clientSide: number;
  /** 6 (TCP) or 17 (UDP). */
  transport: number;
  id: number;
  /** The first question (null when the message had none). */
  query: string | null;
  qtype: number;
  qclass: number;
  opcode: number;
  /** Flags: recursion desired from the query (else the response); the rest from the response. */
  rd: boolean;
  aa: boolean;
  tc: boolean;
  ra: boolean;
  /** Null when no response was seen. */
  rcode: number | null;
  answers: DnsAnswer[];
  /** Response time minus query time, in seconds; null unless both were seen. */
  rtt: number | null;
  querySeen: boolean;
  answered: boolean;
  /** The DNS_M_* code of a damaged query or response (0 when both were whole). */
  malformed: number;
}

export interface DnsLogStats {
  messages: number;
  queries: number;
  responses: number;
  /** Messages too short for a header, and messages damaged further in (their rows are kept). */
  notDns: number;
  malformed: number;
  /** Queries that got no response, and of them those written early because of the bounds. */
  unanswered: number;
  evicted: number;
  /** Responses whose query was not seen (or was answered already). */
  unsolicited: number;
  /** Queries seen again (same id and question) while the first was outstanding. */
  repeatedQueries: number;
}

export interface DnsLogOptions {
  /** Seconds after which an outstanding query is written as unanswered (default 30). */
  timeout?: number;
  /** Outstanding queries per flow (default 64) and in all (default 20,000). */
  maxPerFlow?: number;
  maxPending?: number;
}

/** An outstanding query: its row, and what a response must repeat to answer it. */
interface Pending {
  row: DnsTransaction;
  /** The question's name in lower case (resolvers may randomise its case, RFC 9267 §2). */
  name: string;
  qclass: number;
  /** Answered, evicted or written: the global queue drops it when it gets there. */
  done: boolean;
}

/** Matches the DNS messages of every flow of one analysis into transactions. */
export class DnsLog {
  readonly stats: DnsLogStats = {
    messages: 0,
    queries: 0,
    responses: 0,
    notDns: 0,
    malformed: 0,
    unanswered: 0,
    evicted: 0,
    unsolicited: 0,
    repeatedQueries: 0,
  };
  private count = 0;
  private readonly timeout: number;
  private readonly maxPerFlow: number;
  private readonly maxPending: number;
  /** Each flow's outstanding queries, oldest first (a few: a response is found by a short scan). */
  private readonly byFlow = new Map<number, Pending[]>();
  /** Every outstanding query, oldest first, from `head` on; entries done since are skipped. */
  private queue: Pending[] = [];
  private head = 0;

  constructor(
    private readonly clock: Clock,
    private readonly onRow: (row: DnsTransaction) => void,
    options: DnsLogOptions = {},
  ) {
    this.timeout = options.timeout ?? 30;
    this.maxPerFlow = options.maxPerFlow ?? 64;
    this.maxPending = options.maxPending ?? 20_000;
  }

  /** How many queries are outstanding. */
  get outstanding(): number {
    return this.count;
  }

  /**
   * One DNS message at buf[off, off + len) from `side` (0: end A of the flow key, 1: end B) of flow
   * `flowId`, over `transport` (17 UDP, 6 TCP, after its length prefix).
   */
  message(flowId: number, side: number, transport: number, buf: Uint8Array, off: number, len: number): void {
    this.stats.messages++;
    const msg = parseDnsMessage(buf, off, len);
    if (msg === null) {
      this.stats.notDns++;
      return;
    }
    if (msg.malformed !== 0) this.stats.malformed++;
    if (msg.response) this.response(flowId, side, transport, msg);
    else this.query(flowId, side, transport, msg);
  }

  /** Writes every outstanding query older than the timeout as unanswered. */
  expire(): void {
    const before = this.clock[0] - this.timeout;
    while (this.head < this.queue.length) {
      const p = this.queue[this.head];
      if (!p.done && p.row.ts > before) break;
      this.head++;
      if (!p.done) this.unanswered(p);
    }
    this.compact();
  }

  /** Writes the flow's outstanding queries as unanswered (the flow ended). */
  flowEnded(flowId: number): void {
    const list = this.byFlow.get(flowId);
    if (list === undefined) return;
    for (const p of [...list]) this.unanswered(p);
  }

  /** Writes every outstanding query as unanswered (the capture ended). */
  flush(): void {
    for (let i = this.head; i < this.queue.length; i++)
      if (!this.queue[i].done) this.unanswered(this.queue[i]);
    this.queue = [];
    this.head = 0;
  }

  private query(flowId: number, side: number, transport: number, msg: DnsMessage): void {
    this.stats.queries++;
    let list = this.byFlow.get(flowId);
    if (list !== undefined && find(list, side, msg) !== undefined) {
      this.stats.repeatedQueries++;
      return;
    }
    if (list === undefined) {
      list = [];
      this.byFlow.set(flowId, list);
    } else if (list.length >= this.maxPerFlow) {
      this.evict(list[0]);
    }
    if (this.count >= this.maxPending) this.evictOldest();
    const q = msg.questions[0];
    const p: Pending = {
      row: newRow(this.clock[0], flowId, side, transport, msg, true),
      name: q ? q.name.toLowerCase() : '',
      qclass: q ? q.class & 0x7fff : -1,
      done: false,
    };
    list.push(p);
    this.queue.push(p);
    this.count++;
  }

  private response(flowId: number, side: number, transport: number, msg: DnsMessage): void {
    this.stats.responses++;
    // The query came from the other end.
    const list = this.byFlow.get(flowId);
    const p = list === undefined ? undefined : find(list, 1 - side, msg);
    let row: DnsTransaction;
    if (p !== undefined) {
      this.forget(p);
      row = p.row;
      row.rtt = this.clock[0] - row.ts;
      row.malformed ||= msg.malformed;
    } else {
      this.stats.unsolicited++;
      row = newRow(this.clock[0], flowId, 1 - side, transport, msg, false);
    }
    row.answered = true;
    row.aa = msg.aa;
    row.tc = msg.tc;
    row.ra = msg.ra;
    row.rcode = msg.rcode;
    row.answers = msg.answers;
    this.onRow(row);
  }

  private evict(p: Pending): void {
    this.stats.evicted++;
    this.unanswered(p);
  }

  private evictOldest(): void {
    while (this.head < this.queue.length) {
      const p = this.queue[this.head++];
      if (!p.done) {
        this.evict(p);
        return;
      }
    }
  }

  private unanswered(p: Pending): void {
    this.forget(p);
    this.stats.unanswered++;
    this.onRow(p.row);
  }

  private forget(p: Pending): void {
    p.done = true;
    this.count--;
    const flowId = p.row.flowId;
    const list = this.byFlow.get(flowId);
    if (list === undefined) return;
    const i = list.indexOf(p);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byFlow.delete(flowId);
    this.compact();
  }

  /** Drops the done entries from the queue once they are most of it, so it stays near `outstanding`. */
  private compact(): void {
    const live = this.queue.length - this.head;
    if (live < 1024 || live < 4 * this.count) return;
    this.queue = this.queue.slice(this.head).filter((p) => !p.done);
    this.head = 0;
  }
}

/** The outstanding query of `list` from `clientSide` that `msg` repeats or answers: same id and question. */
function find(list: Pending[], clientSide: number, msg: DnsMessage): Pending | undefined {
  const q = msg.questions[0];
  for (const p of list) {
    const row = p.row;
    if (row.id !== msg.id || row.clientSide !== clientSide) continue;
    if (q === undefined) {
      if (row.query === null) return p;
      continue;
    }
    if (row.qtype !== q.type || p.qclass !== (q.class & 0x7fff)) continue;
    if (q.name === row.query || q.name.toLowerCase() === p.name) return p;
  }
  return undefined;
}

function newRow(
  ts: number,
  flowId: number,
  clientSide: number,
  transport: number,
  msg: DnsMessage,
  querySeen: boolean,
): DnsTransaction {
  const q = msg.questions[0];
  return {
    ts,
    flowId,
    clientSide,
    transport,
    id: msg.id,
    query: q ? q.name : null,
    qtype: q ? q.type : -1,
    qclass: q ? q.class : -1,
    opcode: msg.opcode,
    rd: msg.rd,
    aa: false,
    tc: false,
    ra: false,
    rcode: null,
    answers: [],
    rtt: null,
    querySeen,
    answered: false,
    malformed: msg.malformed,
  };
}

/** Most bytes of a DNS message over TCP (its length prefix is 16 bits). */
const TCP_MESSAGE_MAX = 65535;

/**
 * DNS over TCP (RFC 1035 §4.2.2): each message after a 2-byte length, in either direction. A
 * message inside one segment is parsed where it lies; one split over segments is gathered first.
 * A hole in the stream ends the parsing of that direction (the framing cannot be found again).
 */
export class DnsTcpFlow extends TcpFlowParser {
  /** Per side: a message being gathered (or null), how much of it is in, and whether the side broke. */
  private readonly gather: (Uint8Array | null)[] = [null, null];
  private readonly have = [0, 0];
  private readonly need = [-1, -1];
  private readonly lengthBytes = [0, 0];
  private readonly broken = [false, false];

  constructor(
    private readonly flowId: number,
    private readonly log: DnsLog,
    clock: Clock,
    private readonly budget: ByteBudget,
  ) {
    super(clock, budget);
  }

  /** Both directions ended or broke. */
  get finished(): boolean {
    return this.broken[0] && this.broken[1];
  }

  /** The flow ended: what is held is parsed as far as it goes, then released. */
  end(): void {
    this.stream.end();
    this.drop(0);
    this.drop(1);
  }

  bytes(side: number, buf: Uint8Array, off: number, len: number): void {
    if (this.broken[side]) return;
    const end = off + len;
    let p = off;
    while (p < end) {
      if (this.need[side] < 0) {
        // The 2-byte length, possibly split over segments.
        if (this.lengthBytes[side] === 0 && p + 2 <= end) {
          this.need[side] = (buf[p] << 8) | buf[p + 1];
          p += 2;
        } else if (this.lengthBytes[side] === 0) {
          this.lengthBytes[side] = 0x100 | buf[p++];
          continue;
        } else {
          this.need[side] = ((this.lengthBytes[side] & 0xff) << 8) | buf[p++];
          this.lengthBytes[side] = 0;
        }
        this.have[side] = 0;
        if (this.need[side] === 0) {
          this.need[side] = -1;
          continue;
        }
      }
      const need = this.need[side];
      const gathered = this.gather[side];
      if (gathered === null && end - p >= need) {
        this.log.message(this.flowId, side, 6, buf, p, need);
        p += need;
        this.need[side] = -1;
        continue;
      }
      let into = gathered;
      if (into === null) {
        if (need > TCP_MESSAGE_MAX || !this.budget.take(need)) {
          this.breakSide(side);
          return;
        }
        into = new Uint8Array(need);
        this.gather[side] = into;
      }
      const n = Math.min(need - this.have[side], end - p);
      into.set(buf.subarray(p, p + n), this.have[side]);
      this.have[side] += n;
      p += n;
      if (this.have[side] === need) {
        this.log.message(this.flowId, side, 6, into, 0, need);
        this.drop(side);
        this.need[side] = -1;
      }
    }
  }

  absent(side: number, _len: number): void {
    // A message cut short by the hole is still worth its header and question.
    const gathered = this.gather[side];
    if (gathered !== null && this.have[side] > 0)
      this.log.message(this.flowId, side, 6, gathered, 0, this.have[side]);
    this.breakSide(side);
  }

  closed(side: number): void {
    this.absent(side, 0);
  }

  private breakSide(side: number): void {
    this.broken[side] = true;
    this.drop(side);
  }

  private drop(side: number): void {
    const gathered = this.gather[side];
    if (gathered !== null) {
      this.budget.give(gathered.length);
      this.gather[side] = null;
    }
  }
}
