/** Builders for TLS handshake messages and records with correct lengths, for the parser tests. */

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u24(n: number): Buffer {
  return Buffer.from([(n >> 16) & 255, (n >> 8) & 255, n & 255]);
}

function u16s(values: number[]): Buffer {
  return Buffer.concat(values.map(u16));
}

export interface Extension {
  type: number;
  data: Buffer;
}

export const ext = {
  raw: (type: number, data: Buffer = Buffer.alloc(0)): Extension => ({ type, data }),
  sni: (name: string | Buffer): Extension => {
    const n = Buffer.isBuffer(name) ? name : Buffer.from(name);
    const entry = Buffer.concat([Buffer.from([0]), u16(n.length), n]);
    return { type: 0, data: Buffer.concat([u16(entry.length), entry]) };
  },
  alpn: (protocols: (string | Buffer)[]): Extension => {
    const list = Buffer.concat(
      protocols.map((p) => {
        const b = Buffer.isBuffer(p) ? p : Buffer.from(p);
        return Buffer.concat([Buffer.from([b.length]), b]);
      }),
    );
    return { type: 16, data: Buffer.concat([u16(list.length), list]) };
  },
  supportedVersions: (versions: number[]): Extension => ({
    type: 43,
    data: Buffer.concat([Buffer.from([versions.length * 2]), u16s(versions)]),
  }),
  /** A ServerHello's supported_versions: the one version chosen. */
  selectedVersion: (version: number): Extension => ({ type: 43, data: u16(version) }),
  groups: (groups: number[]): Extension => ({
    type: 10,
    data: Buffer.concat([u16(groups.length * 2), u16s(groups)]),
  }),
  pointFormats: (formats: number[]): Extension => ({
    type: 11,
    data: Buffer.concat([Buffer.from([formats.length]), Buffer.from(formats)]),
  }),
  signatureAlgorithms: (algorithms: number[]): Extension => ({
    type: 13,
    data: Buffer.concat([u16(algorithms.length * 2), u16s(algorithms)]),
  }),
};

function extensionBlock(extensions: Extension[] | null): Buffer {
  if (extensions === null) return Buffer.alloc(0);
  const body = Buffer.concat(extensions.map((e) => Buffer.concat([u16(e.type), u16(e.data.length), e.data])));
  return Buffer.concat([u16(body.length), body]);
}

function handshake(type: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type]), u24(body.length), body]);
}

export interface ClientHelloSpec {
  version?: number;
  ciphers: number[];
  /** null: no extension block at all. */
  extensions: Extension[] | null;
  sessionId?: Buffer;
  /** Extra bytes at the end (a key share of post-quantum size, say). */
  padding?: number;
}

/** A ClientHello handshake message (type, 3-byte length, body). */
export function clientHello(spec: ClientHelloSpec): Buffer {
  const exts = spec.padding
    ? [...(spec.extensions ?? []), ext.raw(21, Buffer.alloc(spec.padding))]
    : spec.extensions;
  const sid = spec.sessionId ?? Buffer.alloc(32, 0x11);
  return handshake(
    1,
    Buffer.concat([
      u16(spec.version ?? 0x0303),
      Buffer.alloc(32, 0x42),
      Buffer.from([sid.length]),
      sid,
      u16(spec.ciphers.length * 2),
      u16s(spec.ciphers),
      Buffer.from([1, 0]),
      extensionBlock(exts),
    ]),
  );
}

export interface ServerHelloSpec {
  version?: number;
  cipher: number;
  extensions: Extension[] | null;
  /** A HelloRetryRequest's random. */
  retry?: boolean;
}

const RETRY_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

export function serverHello(spec: ServerHelloSpec): Buffer {
  return handshake(
    2,
    Buffer.concat([
      u16(spec.version ?? 0x0303),
      spec.retry ? RETRY_RANDOM : Buffer.alloc(32, 0x24),
      Buffer.from([32]),
      Buffer.alloc(32, 0x11),
      u16(spec.cipher),
      Buffer.from([0]),
      extensionBlock(spec.extensions),
    ]),
  );
}

/** A Certificate message (TLS 1.2) with the given DER certificates. */
export function certificateMessage(ders: Buffer[]): Buffer {
  const list = Buffer.concat(ders.map((d) => Buffer.concat([u24(d.length), d])));
  return handshake(11, Buffer.concat([u24(list.length), list]));
}

export function serverHelloDone(): Buffer {
  return handshake(14, Buffer.alloc(0));
}

/** Handshake messages in records of at most `maxFragment` bytes each (TLS may split them anywhere). */
export function records(type: number, payload: Buffer, maxFragment = 16384, version = 0x0303): Buffer {
  const out: Buffer[] = [];
  for (let p = 0; p < payload.length || (p === 0 && payload.length === 0); p += maxFragment) {
    const fragment = payload.subarray(p, p + maxFragment);
    out.push(Buffer.concat([Buffer.from([type]), u16(version), u16(fragment.length), fragment]));
    if (payload.length === 0) break;
  }
  return Buffer.concat(out);
}

export const RECORD_HANDSHAKE = 22;
export const RECORD_CHANGE_CIPHER_SPEC = 20;
export const RECORD_APPLICATION_DATA = 23;
