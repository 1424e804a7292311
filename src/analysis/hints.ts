import { L4_TCP, L4_UDP } from '../decode/index.js';
import {
  DNS_SCAN,
  HTTP_SCAN,
  httpMethodAt,
  isClientHello,
  parseDns,
  parseHttpRequest,
  parseTlsClientHello,
} from './app-hints.js';
import type { FlowHints } from './flow-table.js';
import { HINT_BYTES_MAX as TLS_SCAN } from './packet-records.js';

const DNS_PORTS = new Set([53, 5353, 5355]);

function dnsPort(port: number): boolean {
  return port === 53 || port === 5353 || port === 5355;
}

/**
 * How many payload bytes `parseFlowHints` could use (cut to that, its answer is the same), or -1
 * when it would return the hints unchanged: DNS by port, a TLS ClientHello, an HTTP request.
 */
export function hintBytes(
  proto: number,
  srcPort: number,
  dstPort: number,
  buf: Uint8Array,
  offset: number,
  length: number,
): number {
  if (proto !== L4_TCP && proto !== L4_UDP) return -1;
  if (dnsPort(srcPort) || dnsPort(dstPort)) return Math.min(length, DNS_SCAN);
  if (proto !== L4_TCP) return -1;
  const first = buf[offset];
  if (first === 0x16) return isClientHello(buf, offset, length) ? Math.min(length, TLS_SCAN) : -1;
  if (first >= 0x41 && first <= 0x5a && httpMethodAt(buf, offset, length) !== null)
    return Math.min(length, HTTP_SCAN);
  return -1;
}

/**
 * Reads application hints from one of a flow's first payload packets: DNS by port, TLS and HTTP by
 * their first bytes (so they are found on any port). Returns the flow's hints object, created on
 * the first hint; allocation happens only when something is found.
 */
export function parseFlowHints(
  hints: FlowHints | null,
  proto: number,
  srcPort: number,
  dstPort: number,
  buf: Uint8Array,
  offset: number,
  length: number,
): FlowHints | null {
  if (proto !== L4_TCP && proto !== L4_UDP) return hints;
  const make = () =>
    hints ?? { dnsQuery: null, dnsRcode: null, tlsSni: null, httpMethod: null, httpHost: null };
  if (DNS_PORTS.has(srcPort) || DNS_PORTS.has(dstPort)) {
    const dns = parseDns(buf, offset, length, proto === L4_TCP);
    if (dns) {
      const h = make();
      if (dns.queryName !== null && h.dnsQuery === null) h.dnsQuery = dns.queryName;
      if (dns.isResponse && dns.rcode !== null) h.dnsRcode = dns.rcode;
      return h;
    }
    return hints;
  }
  if (proto !== L4_TCP) return hints;
  const first = buf[offset];
  if (first === 0x16) {
    const tls = parseTlsClientHello(buf, offset, length);
    if (tls?.sni) {
      const h = make();
      h.tlsSni ??= tls.sni;
      return h;
    }
  } else if (first >= 0x41 && first <= 0x5a) {
    const http = parseHttpRequest(buf, offset, length);
    if (http) {
      const h = make();
      h.httpMethod ??= http.method;
      if (http.host !== null) h.httpHost ??= http.host;
      return h;
    }
  }
  return hints;
}
