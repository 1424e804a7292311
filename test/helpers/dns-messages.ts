/** Builders for DNS messages (RFC 1035 wire format) for the parser tests, compression by hand. */

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** A name as labels (each label given as text or bytes) and the root; `tail` replaces the root (a pointer). */
export function name(labels: (string | Buffer)[], tail: Buffer = Buffer.from([0])): Buffer {
  const parts = labels.map((l) => {
    const b = Buffer.isBuffer(l) ? l : Buffer.from(l);
    return Buffer.concat([Buffer.from([b.length]), b]);
  });
  return Buffer.concat([...parts, tail]);
}

/** A compression pointer to `offset` in the message. */
export function pointer(offset: number): Buffer {
  return Buffer.from([0xc0 | (offset >> 8), offset & 255]);
}

export interface Record {
  name: Buffer;
  type: number;
  class?: number;
  ttl?: number;
  data: Buffer;
}

export interface MessageSpec {
  id: number;
  response?: boolean;
  rcode?: number;
  /** Flag bits beyond QR and rcode (AA 0x400, TC 0x200, RD 0x100, RA 0x80). */
  flags?: number;
  questions: { name: Buffer; type: number; class?: number }[];
  answers?: Record[];
  /** Header counts to write instead of the real ones. */
  counts?: [number, number];
}

export function message(spec: MessageSpec): Buffer {
  const answers = spec.answers ?? [];
  const flags = (spec.response ? 0x8000 : 0) | (spec.flags ?? 0x0100) | (spec.rcode ?? 0);
  const header = Buffer.concat([
    u16(spec.id),
    u16(flags),
    u16(spec.counts?.[0] ?? spec.questions.length),
    u16(spec.counts?.[1] ?? answers.length),
    u16(0),
    u16(0),
  ]);
  return Buffer.concat([
    header,
    ...spec.questions.map((q) => Buffer.concat([q.name, u16(q.type), u16(q.class ?? 1)])),
    ...answers.map((r) => {
      const ttl = Buffer.alloc(4);
      ttl.writeUInt32BE(r.ttl ?? 300);
      return Buffer.concat([r.name, u16(r.type), u16(r.class ?? 1), ttl, u16(r.data.length), r.data]);
    }),
  ]);
}

/** Offset of the first question's name in a message: right after the 12-byte header. */
export const QUESTION = 12;

/** Over TCP: the 2-byte length, then the message. */
export function overTcp(msg: Buffer): Buffer {
  return Buffer.concat([u16(msg.length), msg]);
}

export const rdata = {
  u16,
  txt: (...strings: (string | Buffer)[]): Buffer =>
    Buffer.concat(
      strings.map((s) => {
        const b = Buffer.isBuffer(s) ? s : Buffer.from(s);
        return Buffer.concat([Buffer.from([b.length]), b]);
      }),
    ),
};
