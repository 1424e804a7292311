import { L4_TCP, L4_UDP } from '../decode/index.js';
import { parseDns, parseHttpRequest, parseTlsClientHello } from './app-hints.js';
import type { FlowHints } from './flow-table.js';

const DNS_PORTS = new Set([53, 5353, 5355]);

function dnsPort(port: number): boolean {
  return port === 53 || port === 5353 || port === 5355;
}

/**
 * Whether `parseFlowHints` could learn anything from this payload (it returns the hints unchanged
 * otherwise): DNS by port, TLS and HTTP by their first byte. `buf[offset]` is the payload's first
 * byte, which must be captured.
 */
export function hintCandidate(
  proto: number,
  srcPort: number,
  dstPort: number,
  buf: Uint8Array,
  offset: number,
): boolean {
  if (proto !== L4_TCP && proto !== L4_UDP) return false;
  if (dnsPort(srcPort) || dnsPort(dstPort)) return true;
  if (proto !== L4_TCP) return false;
  const first = buf[offset];
  return first === 0x16 || (first >= 0x41 && first <= 0x5a);
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
