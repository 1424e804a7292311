import { formatIpv6 } from '../../src/analysis/address-table.js';
import { readCapture } from '../../src/capture/index.js';
import { DecodedPacket, decodePacket, L4_TCP, L4_UDP } from '../../src/decode/index.js';
import type { DnsLogEntry, HttpLogEntry, LogTransactions, TlsLogEntry } from '../../src/detect/index.js';
import { isDnsPort, ja3, ja4, parseClientHello, parseDnsMessage } from '../../src/protocols/index.js';
import type { Frame } from './packets.js';

/**
 * The log transactions of a capture read with the src/protocols parsers, for the rules that read
 * logs until the analysis pass hands its own over: DNS messages over UDP (a query matched to its
 * response by id, client, server and name), TLS ClientHellos whole in one segment, and HTTP/1.x
 * requests and responses each starting a segment (matched in order per connection). Simpler than
 * the real pass (no reassembly), which is enough for generated captures and for a quiet check.
 */
class LogCollector {
  readonly dns: DnsLogEntry[] = [];
  readonly http: HttpLogEntry[] = [];
  readonly tls: TlsLogEntry[] = [];
  private openDns = new Map<string, DnsLogEntry>();
  private openHttp = new Map<string, HttpLogEntry[]>();
  private p = new DecodedPacket();

  record(buf: Uint8Array, off: number, capLen: number, origLen: number, linkType: number, ts: number): void {
    const p = this.p;
    decodePacket(buf, off, capLen, origLen, linkType, p);
    if (p.malformed !== 0 || p.fragment || (p.l4 !== L4_UDP && p.l4 !== L4_TCP)) return;
    const addr = (w: Uint32Array) =>
      p.ip === 4
        ? `${w[0] >>> 24}.${(w[0] >>> 16) & 255}.${(w[0] >>> 8) & 255}.${w[0] & 255}`
        : formatIpv6(w);
    const src = addr(p.src);
    const dst = addr(p.dst);
    const at = p.payloadOffset;
    const len = p.payloadCaptured;
    if (len <= 0) return;
    if (p.l4 === L4_UDP && (isDnsPort(p.srcPort) || isDnsPort(p.dstPort))) {
      const m = parseDnsMessage(buf, at, len);
      const q = m?.questions[0];
      if (!m || !q) return;
      const key = (client: string, server: string) => `${m.id}|${client}|${server}|${q.name}`;
      if (!m.response) {
        const e: DnsLogEntry = { ts, client: src, server: dst, query: q.name, rcode: null };
        this.dns.push(e);
        this.openDns.set(key(src, dst), e);
      } else {
        const e = this.openDns.get(key(dst, src));
        if (e) {
          e.rcode = m.rcode;
          this.openDns.delete(key(dst, src));
        }
      }
      return;
    }
    if (p.l4 !== L4_TCP) return;
    if (len >= 9 && buf[at] === 0x16 && buf[at + 5] === 1) {
      // Record header (5 bytes), handshake header (type, 3-byte length), then the body.
      const body = (buf[at + 6] << 16) | (buf[at + 7] << 8) | buf[at + 8];
      const hello = parseClientHello(buf, at + 9, body, len - 9);
      if (hello.version < 0) return;
      this.tls.push({
        ts,
        client: src,
        server: dst,
        serverPort: p.dstPort,
        sni: hello.serverName,
        ja3: ja3(hello),
        ja4: ja4(hello),
      });
      return;
    }
    const head = Buffer.from(buf.subarray(at, at + Math.min(len, 2048))).toString('latin1');
    const request = /^([A-Z]{3,7}) (\S+) HTTP\/1\.[01]\r\n/.exec(head);
    if (request) {
      const host = /\r\nHost:[ \t]*([^\r\n]*)/i.exec(head)?.[1]?.trim() ?? null;
      const e: HttpLogEntry = { ts, client: src, server: dst, host, uri: request[2], status: null };
      this.http.push(e);
      const k = `${src}|${p.srcPort}|${dst}|${p.dstPort}`;
      const q = this.openHttp.get(k) ?? [];
      q.push(e);
      this.openHttp.set(k, q);
      return;
    }
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
    if (status) {
      const e = this.openHttp.get(`${dst}|${p.dstPort}|${src}|${p.srcPort}`)?.shift();
      if (e) e.status = Number(status[1]);
    }
  }

  logs(): LogTransactions {
    return { dns: this.dns, http: this.http, tls: this.tls };
  }
}

/** The transactions of frames built by helpers/packets.ts (Ethernet). */
export function logTransactions(frames: Frame[]): LogTransactions {
  const c = new LogCollector();
  const sorted = [...frames].sort((a, b) => a.sec - b.sec || a.nsec - b.nsec);
  for (const f of sorted) c.record(f.data, 0, f.data.length, f.data.length, 1, f.sec + f.nsec / 1e9);
  return c.logs();
}

/** The transactions of a capture file. */
export async function logTransactionsOf(path: string): Promise<LogTransactions> {
  const c = new LogCollector();
  await readCapture(path, (r) =>
    c.record(r.buf, r.offset, r.capLen, r.origLen, r.linkType, r.tsSec + r.tsNsec / 1e9),
  );
  return c.logs();
}
