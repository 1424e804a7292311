import { join } from 'node:path';
import type { LogSink } from '../analysis/index.js';
import {
  type DnsTransaction,
  dnsRcodeName,
  dnsTypeName,
  type HttpTransaction,
  type TlsTransaction,
  tlsVersionName,
} from '../protocols/index.js';
import { csvField, Spool } from './csv-spool.js';

/**
 * The protocol logs' rows as CSV spool files for dns_log, http_log and tls_log (the columns of
 * src/storage/columns.ts, in order), written in whichever thread runs the analysis' flow half as
 * the parsers make them, so memory holds a buffer per file, not the rows. COPYed at the load.
 */

export interface LogFiles {
  dns: string;
  http: string;
  tls: string;
}

/** The log spool files in `dir`; with flow shards, each shard's own (`shard` 0, 1, …). */
export function logFiles(dir: string, shard: number | null = null): LogFiles {
  const tail = shard === null ? '.csv' : `.${shard}.csv`;
  return {
    dns: join(dir, `dns_log${tail}`),
    http: join(dir, `http_log${tail}`),
    tls: join(dir, `tls_log${tail}`),
  };
}

/** An answer as Zeek's dns.log writes it: the address or name, the text of a TXT record. */
export function answerText(a: DnsTransaction['answers'][number]): string {
  if (a.texts !== null) return a.texts.join(' ');
  return a.data ?? dnsTypeName(a.type);
}

const f = csvField;

export class LogSpool implements LogSink {
  private readonly dnsFile: Spool;
  private readonly httpFile: Spool;
  private readonly tlsFile: Spool;
  private readonly session: string;

  constructor(sessionId: string, files: LogFiles) {
    this.session = f(sessionId);
    this.dnsFile = new Spool(files.dns);
    this.httpFile = new Spool(files.http);
    this.tlsFile = new Spool(files.tls);
  }

  dns = (r: DnsTransaction): void => {
    const answers = r.answers.map(answerText);
    const ttls = r.answers.map((a) => a.ttl);
    this.dnsFile.line(
      `${this.session},${r.flowId},${r.ts},${r.transport === 6 ? 'tcp' : 'udp'},${r.id},${f(r.query)},${r.qclass},${r.qtype},${f(r.query === null && r.qtype < 0 ? null : dnsTypeName(r.qtype))},${f(r.rcode)},${f(r.rcode === null ? null : dnsRcodeName(r.rcode))},${f(r.aa)},${f(r.tc)},${f(r.rd)},${f(r.ra)},${f(JSON.stringify(answers))},${f(JSON.stringify(ttls))},${f(r.rtt)},${f(r.querySeen)},${f(r.answered)},${r.malformed}\n`,
    );
  };

  http = (r: HttpTransaction): void => {
    this.httpFile.line(
      `${this.session},${r.flowId},${r.ts},${f(r.method)},${f(r.host)},${f(r.uri)},${f(r.version)},${f(r.userAgent)},${f(r.referrer)},${f(r.requestContentType)},${r.requestBodyLength},${f(r.status)},${f(r.reason)},${f(r.infoStatus)},${f(r.responseContentType)},${r.responseBodyLength},${f(r.rtt)},${r.flags}\n`,
    );
  };

  tls = (r: TlsTransaction): void => {
    const c = r.client;
    const s = r.server;
    const cert = r.certificate;
    const cipher = s === null ? null : s.cipher;
    this.tlsFile.line(
      `${this.session},${r.flowId},${r.ts},${f(r.version < 0 ? null : tlsVersionName(r.version))},${f(r.version < 0 ? null : r.version)},${f(r.recordVersion < 0 ? null : r.recordVersion)},${f(cipher === null ? null : cipherText(cipher))},${f(cipher)},${f(c?.serverName ?? null)},${f(c === null ? null : JSON.stringify(c.alpn))},${f(s?.alpn ?? null)},${f(r.ja3)},${f(r.ja3s)},${f(r.ja4)},${f(c !== null)},${f(s !== null)},${f(cert?.subject ?? null)},${f(cert?.issuer ?? null)},${f(cert?.notBefore ?? null)},${f(cert?.notAfter ?? null)},${f(cert === null ? null : JSON.stringify(cert.sanDns))},${f(cert?.sha256 ?? null)}\n`,
    );
  };

  close(): void {
    this.dnsFile.close();
    this.httpFile.close();
    this.tlsFile.close();
  }
}

/** A cipher suite by its IANA name where it is a common one, else its number in hex. */
export function cipherText(id: number): string {
  return CIPHERS[id] ?? `0x${id.toString(16).padStart(4, '0')}`;
}

// The suites browsers and servers use today (IANA TLS Cipher Suites registry), as Zeek names them.
const CIPHERS: Record<number, string> = {
  4865: 'TLS_AES_128_GCM_SHA256',
  4866: 'TLS_AES_256_GCM_SHA384',
  4867: 'TLS_CHACHA20_POLY1305_SHA256',
  49195: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  49196: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  49199: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  49200: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  52392: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  52393: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  49161: 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA',
  49162: 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA',
  49171: 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA',
  49172: 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA',
  49187: 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256',
  49188: 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384',
  49191: 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256',
  49192: 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384',
  156: 'TLS_RSA_WITH_AES_128_GCM_SHA256',
  157: 'TLS_RSA_WITH_AES_256_GCM_SHA384',
  158: 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256',
  159: 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384',
  47: 'TLS_RSA_WITH_AES_128_CBC_SHA',
  53: 'TLS_RSA_WITH_AES_256_CBC_SHA',
  60: 'TLS_RSA_WITH_AES_128_CBC_SHA256',
  61: 'TLS_RSA_WITH_AES_256_CBC_SHA256',
  10: 'TLS_RSA_WITH_3DES_EDE_CBC_SHA',
  5: 'TLS_RSA_WITH_RC4_128_SHA',
  4: 'TLS_RSA_WITH_RC4_128_MD5',
};
