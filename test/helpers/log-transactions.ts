import type { DnsLogEntry, LogTransactions, TlsLogEntry } from '../../src/detect/index.js';
import { ja3, ja4, parseClientHello, parseDnsMessage } from '../../src/protocols/index.js';
import type { Frame } from './packets.js';

/**
 * The log transactions of frames built by helpers/packets.ts (Ethernet, IPv4, UDP or TCP), read
 * with the src/protocols parsers, for the rules that read logs until the analysis pass hands its
 * own over: DNS messages (a query matched to its response by id, client, server and name) and
 * TLS ClientHellos whole in one segment. HTTP is left to the caller.
 */
export function logTransactions(frames: Frame[]): LogTransactions {
  const dns: DnsLogEntry[] = [];
  const open = new Map<string, DnsLogEntry>();
  const tls: TlsLogEntry[] = [];
  for (const f of frames) {
    const b = f.data;
    if (b.readUInt16BE(12) !== 0x0800) continue;
    const ihl = (b[14] & 15) * 4;
    const proto = b[23];
    const src = `${b[26]}.${b[27]}.${b[28]}.${b[29]}`;
    const dst = `${b[30]}.${b[31]}.${b[32]}.${b[33]}`;
    const l4 = 14 + ihl;
    const ts = f.sec + f.nsec / 1e9;
    const sport = b.readUInt16BE(l4);
    const dport = b.readUInt16BE(l4 + 2);
    if (proto === 17 && (sport === 53 || dport === 53)) {
      const m = parseDnsMessage(b, l4 + 8, b.length - l4 - 8);
      const q = m?.questions[0];
      if (!m || !q) continue;
      const key = (client: string, server: string) => `${m.id}|${client}|${server}|${q.name}`;
      if (!m.response) {
        const e: DnsLogEntry = { ts, client: src, server: dst, query: q.name, rcode: null };
        dns.push(e);
        open.set(key(src, dst), e);
      } else {
        const e = open.get(key(dst, src));
        if (e) {
          e.rcode = m.rcode;
          open.delete(key(dst, src));
        }
      }
    } else if (proto === 6) {
      const off = l4 + (b[l4 + 12] >> 4) * 4;
      if (b.length - off < 6 || b[off] !== 0x16 || b[off + 5] !== 1) continue;
      // Record header (5 bytes), handshake header (type, 3-byte length), then the body.
      const len = (b[off + 6] << 16) | (b[off + 7] << 8) | b[off + 8];
      const hello = parseClientHello(b, off + 9, len, b.length - off - 9);
      if (hello.version < 0) continue;
      tls.push({
        ts,
        client: src,
        server: dst,
        serverPort: dport,
        sni: hello.serverName,
        ja3: ja3(hello),
        ja4: ja4(hello),
      });
    }
  }
  return { dns, http: [], tls };
}
