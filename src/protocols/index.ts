// Application-layer parsers: DNS, HTTP/1.x and TLS transactions (docs/PROTOCOLS.md). Below
// src/analysis in the data flow: they import only src/capture's byte readers and Node.

export { ATTACH_MAX, AttachPolicy, type AttachStats } from './attach.js';
export {
  DNS_A,
  DNS_AAAA,
  DNS_CNAME,
  DNS_M_LABEL_TYPE,
  DNS_M_NAME_TOO_LONG,
  DNS_M_POINTER_LOOP,
  DNS_M_POINTER_OUT_OF_RANGE,
  DNS_M_RDATA,
  DNS_M_TRUNCATED,
  DNS_MALFORMED,
  DNS_MAX_ANSWERS,
  DNS_MAX_QUESTIONS,
  DNS_MX,
  DNS_NS,
  DNS_PTR,
  DNS_SRV,
  DNS_TXT,
  type DnsAnswer,
  type DnsMessage,
  type DnsQuestion,
  dnsRcodeName,
  dnsTypeName,
  parseDnsMessage,
} from './dns.js';
export {
  DnsLog,
  type DnsLogOptions,
  type DnsLogStats,
  DnsTcpFlow,
  type DnsTransaction,
  isDnsPort,
} from './dns-log.js';
export {
  emptyHttpStats,
  HTTP_GAVE_UP,
  HTTP_HEAD_LINES_MAX,
  HTTP_HEAD_MAX,
  HTTP_LINE_MAX,
  HTTP_NO_REQUEST,
  HTTP_NO_RESPONSE,
  HTTP_REQUEST_BODY_CUT,
  HTTP_REQUEST_HEAD_CUT,
  HTTP_RESPONSE_BODY_CUT,
  HTTP_RESPONSE_HEAD_CUT,
  HTTP_TEXT_CUT,
  HttpFlow,
  type HttpLogStats,
  type HttpTransaction,
  methodEnd,
} from './http-log.js';
export { ByteBudget, type Clock, type StreamSink, TcpFlowParser, TcpReassembly } from './tcp-stream.js';
export { type Ja4Options, ja3, ja3s, ja3sText, ja3Text, ja4 } from './tls-fingerprint.js';
export {
  type ClientHello,
  isGrease,
  negotiatedVersion,
  parseClientHello,
  parseServerHello,
  type ServerHello,
  tlsVersionName,
} from './tls-hello.js';
export {
  emptyTlsStats,
  TLS_HANDSHAKE_MAX,
  TlsFlow,
  type TlsLogStats,
  type TlsTransaction,
} from './tls-log.js';
export { type CertificateSummary, readCertificate } from './x509.js';
