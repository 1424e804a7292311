import { copyFileSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CaptureFormatError, formatTimestamp, type PacketIndex } from '../src/capture/index.js';
import {
  CaptureChangedError,
  type ExtractOptions,
  extractPackets,
  type FlowRef,
  OutputClosedError,
  outputFormat,
  type Selection,
  SelectionError,
} from '../src/extract/index.js';
import {
  analysedFlows,
  Collect,
  hasTshark,
  type ReadBack,
  readAll,
  readBack,
  smallBlockIndex,
  tsharkFrames,
} from './helpers/extract.js';
import { type Frame, TCP, tcpFrame, udpFrame, writeCapture } from './helpers/packets.js';
import { epb, idb, shb, tsresol } from './helpers/pcapng.js';
import { hasSharedPcaps, malformedCaptures, SHARED_PCAPS } from './helpers/shared.js';

const tshark = hasTshark();
const T0 = 1_700_000_000;

async function extract(path: string, selection: Selection, options: ExtractOptions = {}) {
  const out = new Collect();
  const result = await extractPackets(path, selection, out, options);
  return { result, bytes: out.bytes, ...(await readBack(out.bytes)) };
}

/** Frames as the reader gives them, to compare with what was written. */
function asRead(frames: Frame[]): { sec: number; nsec: number; data: Buffer }[] {
  return frames.map((f) => ({ sec: f.sec, nsec: f.nsec, data: f.data }));
}

function slim(records: ReadBack[]) {
  return records.map((r) => ({ sec: r.sec, nsec: r.nsec, data: r.data }));
}

/** Unrelated traffic between the frames under test, so that the small index blocks split them. */
function filler(sec: number, n: number): Frame[] {
  const out: Frame[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      sec,
      nsec: 1000 + i,
      data: udpFrame('10.9.9.9', '10.9.9.8', 7000 + (i % 50), 9000, Buffer.alloc(40 + i)),
    });
  }
  return out;
}

// `isn` sets both sides' sequence numbers: a new connection on a reused port pair starts a new
// sequence space, while a SYN repeating the first one's number is that connection's retransmission.
const tcpTo = (sec: number, nsec: number, flags: number, reply = false, sport = 40000, isn = 0): Frame => ({
  sec,
  nsec,
  data: reply
    ? tcpFrame('10.0.0.2', '10.0.0.1', { sport: 80, dport: sport, flags, seq: isn + 500_000 })
    : tcpFrame('10.0.0.1', '10.0.0.2', { sport, dport: 80, flags, seq: isn }),
});

describe('flows whose port pair is reused', () => {
  // Three connections on one port pair, each starting in the same nanosecond as the one before
  // it ends, and two UDP flows on one pair split by an idle gap longer than the 60 s timeout.
  const a = [
    tcpTo(T0 + 100, 0, TCP.SYN),
    tcpTo(T0 + 100, 5, TCP.SYN | TCP.ACK, true),
    tcpTo(T0 + 100, 9, TCP.ACK),
    tcpTo(T0 + 101, 0, TCP.FIN | TCP.ACK),
    tcpTo(T0 + 101, 3, TCP.FIN | TCP.ACK, true),
    tcpTo(T0 + 102, 0, TCP.ACK),
  ];
  const b = [
    tcpTo(T0 + 102, 0, TCP.SYN, false, 40000, 2000000),
    tcpTo(T0 + 102, 7, TCP.SYN | TCP.ACK, true, 40000, 2000000),
    tcpTo(T0 + 102, 8, TCP.ACK, false, 40000, 2000000),
    tcpTo(T0 + 103, 0, TCP.RST, true, 40000, 2000000),
  ];
  const c = [
    tcpTo(T0 + 103, 0, TCP.SYN, false, 40000, 3000000),
    tcpTo(T0 + 104, 0, TCP.SYN | TCP.ACK, true, 40000, 3000000),
  ];
  const dns = (sec: number, reply: boolean): Frame => ({
    sec,
    nsec: 0,
    data: reply
      ? udpFrame('10.0.0.3', '10.0.0.1', 53, 5000, Buffer.alloc(60))
      : udpFrame('10.0.0.1', '10.0.0.3', 5000, 53, Buffer.alloc(30)),
  });
  const u1 = [dns(T0 + 100, false), dns(T0 + 130, true)];
  const u2 = [dns(T0 + 191, false), dns(T0 + 192, true)];
  const frames = [
    ...filler(T0 + 99, 20),
    a[0],
    u1[0],
    ...a.slice(1, 3),
    ...filler(T0 + 100, 30),
    ...a.slice(3),
    b[0],
    ...filler(T0 + 102, 30),
    ...b.slice(1),
    c[0],
    ...filler(T0 + 103, 30),
    c[1],
    u1[1],
    ...filler(T0 + 150, 30),
    ...u2,
  ];
  const path = writeCapture(frames, 'reused.pcap');
  // In the order of their first packet (then TCP before UDP).
  const expected = [a, u1, b, c, u2];

  it('each connection and each UDP flow gives exactly its own packets, told apart by the flow rules', async () => {
    const index = await smallBlockIndex(path, 512, 4);
    const flows = (await analysedFlows(path))
      .filter((f) => !f.src_ip.startsWith('10.9.'))
      .sort(
        (x, y) =>
          Number(x.first_ts) - Number(y.first_ts) || String(x.protocol).localeCompare(String(y.protocol)),
      );
    expect(flows.map((f) => f.packets)).toEqual(expected.map((e) => e.length));
    for (const [i, flow] of flows.entries()) {
      const { records, result } = await extract(path, { kind: 'flow', flow }, { index });
      expect(slim(records), `flow ${i}`).toEqual(asRead(expected[i]));
      // The second connection starts in the nanosecond the first ends, whose FIN is blocks
      // earlier: found by a second look from one timeout back. (The third starts in the
      // nanosecond of the RST that ends the second: the RST is in its own time span.)
      expect(result.scans, `flow ${i}`).toBe(i === 2 ? 3 : 2);
      // Without packets and bytes to check against, the first scan reaches one timeout back.
      const { packets: _p, bytes: _b, ...bare } = flow;
      expect(slim((await extract(path, { kind: 'flow', flow: bare }, { index })).records)).toEqual(
        asRead(expected[i]),
      );
    }
    const all = await extract(path, { kind: 'flows', flows }, { index });
    expect(all.result.packets).toBe(expected.flat().length);
  });

  it('a flow given the other way round (destination first) is the same flow', async () => {
    const [flow] = await analysedFlows(path);
    const swapped: FlowRef = {
      ...flow,
      src_ip: flow.dst_ip,
      dst_ip: flow.src_ip,
      src_port: flow.dst_port,
      dst_port: flow.src_port,
    };
    expect((await extract(path, { kind: 'flow', flow: swapped })).result.packets).toBe(flow.packets);
  });
});

describe('a flow whose port pair was used by a connection that closed long before', () => {
  // The earlier connection's FIN comes 500 s before the new SYN, with ACKs between keeping it
  // alive (under the 300 s timeout): neither the blocks of the new flow's time span nor those one
  // timeout before show the FIN, so the flow is looked for from the start of the capture.
  const early = [
    tcpTo(T0 + 1000, 0, TCP.SYN),
    tcpTo(T0 + 1000, 1, TCP.SYN | TCP.ACK, true),
    tcpTo(T0 + 1001, 0, TCP.FIN | TCP.ACK),
    tcpTo(T0 + 1250, 0, TCP.ACK),
    tcpTo(T0 + 1500, 0, TCP.ACK),
  ];
  const late = [
    tcpTo(T0 + 1500, 0, TCP.SYN, false, 40000, 9000000),
    tcpTo(T0 + 1505, 0, TCP.SYN | TCP.ACK, true, 40000, 9000000),
  ];
  const frames = [
    ...early.slice(0, 3),
    ...filler(T0 + 1100, 40),
    early[3],
    ...filler(T0 + 1400, 40),
    early[4],
    late[0],
    ...filler(T0 + 1501, 40),
    late[1],
  ];
  const path = writeCapture(frames, 'reopened.pcap');

  it('gives exactly its own packets, after a second look from the start', async () => {
    const index = await smallBlockIndex(path, 512, 4);
    const flows = (await analysedFlows(path)).filter((f) => !f.src_ip.startsWith('10.9.'));
    expect(flows.map((f) => f.packets)).toEqual([early.length, late.length]);
    const { records, result } = await extract(path, { kind: 'flow', flow: flows[1] }, { index });
    expect(slim(records)).toEqual(asRead(late));
    expect(result.scans).toBe(4);
  });
});

describe('selections other than flows', () => {
  const frames: Frame[] = [];
  for (let i = 0; i < 200; i++) {
    const host = `10.1.0.${i % 5}`;
    const data =
      i % 3 === 0
        ? tcpFrame(host, '10.2.0.1', { sport: 30000 + i, dport: i % 2 ? 443 : 22, flags: TCP.SYN })
        : udpFrame('10.2.0.1', host, 53, 40000 + i, Buffer.alloc(i));
    frames.push({ sec: T0 + Math.floor(i / 10), nsec: (i % 10) * 100_000_000, data });
  }
  const path = writeCapture(frames, 'mixed.pcap');
  const time = (f: Frame) => f.sec + f.nsec / 1e9;
  const ends = (f: Frame) => {
    const d = f.data;
    return [d.subarray(26, 30).join('.'), d.subarray(30, 34).join('.')];
  };
  const port = (f: Frame, at: number) => f.data.readUInt16BE(34 + at);
  const cases: [string, Selection, (f: Frame) => boolean][] = [
    [
      'a time range includes both its ends',
      { kind: 'time', from: `${T0 + 3}.2`, to: `${T0 + 5}.200000000` },
      (f) => time(f) >= T0 + 3.2 && time(f) <= T0 + 5.2,
    ],
    [
      "a window excludes its end, as the analysis' windows do",
      { kind: 'window', start: T0 + 10, length: 5 },
      (f) => f.sec >= T0 + 10 && f.sec < T0 + 15,
    ],
    ['a host is either end', { kind: 'host', address: '10.1.0.3' }, (f) => ends(f).includes('10.1.0.3')],
    [
      'a host pair is both ends, either way, within its times',
      { kind: 'pair', addresses: ['10.2.0.1', '10.1.0.4'], from: T0 + 2, to: T0 + 12 },
      (f) =>
        ends(f).includes('10.1.0.4') &&
        f.sec >= T0 + 2 &&
        (f.sec < T0 + 12 || (f.sec === T0 + 12 && f.nsec === 0)),
    ],
    [
      'an alert with several addresses takes packets between them on its ports, within its span',
      {
        kind: 'alert',
        addresses: ['10.1.0.0', '10.2.0.1', '10.1.0.3'],
        ports: [443],
        from: T0,
        to: T0 + 19.9,
      },
      (f) =>
        ends(f).every((e) => ['10.1.0.0', '10.2.0.1', '10.1.0.3'].includes(e)) &&
        (port(f, 0) === 443 || port(f, 2) === 443),
    ],
    [
      'an alert with one address takes either end, of its protocol',
      { kind: 'alert', addresses: ['10.1.0.1'], protocol: 'UDP', from: T0, to: T0 + 30 },
      (f) => ends(f).includes('10.1.0.1') && f.data[23] === 17,
    ],
  ];
  for (const [name, selection, want] of cases) {
    it(name, async () => {
      const index = await smallBlockIndex(path, 1024, 8);
      const { records, result } = await extract(path, selection, { index });
      const expected = frames.filter(want);
      expect(expected.length).toBeGreaterThan(0);
      expect(slim(records)).toEqual(asRead(expected));
      expect(result.scans).toBe(1);
    });
  }

  it('a time range reads only the blocks that can hold it', async () => {
    const index = await smallBlockIndex(path, 1024, 8);
    const { result } = await extract(path, { kind: 'time', from: T0 + 4, to: T0 + 5 }, { index });
    expect(result.bytesScanned).toBeLessThan(readFileSync(path).length / 5);
  });

  it('says what is wrong with a selection it cannot run, before reading anything', async () => {
    const bad: [Selection, RegExp][] = [
      [{ kind: 'host', address: '10.1.0.300' }, /not an IP address/],
      [{ kind: 'time', from: 'yesterday', to: T0 }, /not a time/],
      [{ kind: 'time', from: T0 + 5, to: T0 }, /start is after the end/],
      [{ kind: 'window', start: T0, length: 0 }, /positive number/],
      [{ kind: 'alert', addresses: ['10.0.0.1'], protocol: 'SCTPX', from: T0, to: T0 + 1 }, /not a protocol/],
      [{ kind: 'flows', flows: [] }, /no flows/],
      [{ kind: 'nothing' } as unknown as Selection, /unknown selection/],
    ];
    for (const [selection, message] of bad) {
      await expect(extractPackets('/nonexistent', selection, new Collect())).rejects.toThrow(message);
      await expect(extractPackets('/nonexistent', selection, new Collect())).rejects.toBeInstanceOf(
        SelectionError,
      );
    }
  });
});

describe('output formats', () => {
  it('a selection that matches nothing is a valid empty pcap with the capture header, and says 0 packets', async () => {
    const path = writeCapture([
      { sec: T0, nsec: 5, data: tcpFrame('10.0.0.1', '10.0.0.2', { sport: 1, dport: 2, flags: 2 }) },
    ]);
    const { result, bytes, records } = await extract(path, { kind: 'host', address: '192.0.2.7' });
    expect(result.packets).toBe(0);
    expect(records).toHaveLength(0);
    expect(bytes).toEqual(readFileSync(path).subarray(0, 24));
    if (tshark) {
      const empty = join(dirname(path), 'empty.pcap');
      writeFileSync(empty, bytes);
      expect(tsharkFrames(empty)).toEqual([]);
    }
  });

  it('nanosecond captures keep the nanosecond magic and every nanosecond', async () => {
    const frames = [1, 999_999_999, 123_456_789].map((nsec, i) => ({
      sec: T0 + i,
      nsec,
      data: tcpFrame('10.0.0.1', '10.0.0.2', { sport: 1, dport: 2, flags: TCP.ACK }),
    }));
    const path = writeCapture(frames);
    const { result, bytes, records } = await extract(path, { kind: 'time', from: T0, to: T0 + 5 });
    expect(result.format).toBe('pcap-ns');
    expect(bytes).toEqual(readFileSync(path));
    expect(records.map((r) => [r.sec, r.nsec])).toEqual(frames.map((f) => [f.sec, f.nsec]));
  });

  it('a pcapng with one interface becomes a pcap with its link type and precision (ns when finer than µs)', async () => {
    const data = tcpFrame('10.0.0.1', '10.0.0.2', { sport: 1, dport: 2, flags: TCP.ACK });
    for (const [resolution, format, nsec] of [
      [9, 'pcap-ns', 123_456_789],
      [6, 'pcap', 123_456_000],
    ] as const) {
      const units = resolution === 9 ? 1_000_000_000n : 1_000_000n;
      const ts = BigInt(T0) * units + BigInt(nsec) / (1_000_000_000n / units);
      const bytes = Buffer.concat([
        shb(true),
        idb(true, 1, 0, [tsresol(resolution)]),
        epb(true, 0, ts, data),
      ]);
      const path = join(dirname(writeCapture([])), `one-${resolution}.pcapng`);
      writeFileSync(path, bytes);
      const got = await extract(path, { kind: 'time', from: T0, to: T0 + 1 });
      expect(got.result.format).toBe(format);
      expect(outputFormat(await smallBlockIndex(path))).toBe(format);
      expect(got.info.format).toBe(format);
      expect(got.records.map((r) => [r.sec, r.nsec, r.linkType])).toEqual([[T0, nsec, 1]]);
      expect(got.records[0].data).toEqual(data);
    }
  });

  describe.skipIf(!hasSharedPcaps)('pcapng with several interfaces and link types', () => {
    const files = [
      'pcapng-2if-ether-null_test006-le.pcapng',
      'pcapng-be-2if-ether-null_test006-be.pcapng',
      'pcapng-126if-nrb-vlan-ipv6-ldap_modify-request.pcapng',
      'pcapng-3shb-mixed-endian-all-blocks_test202.pcapng',
      'pcapng-2if-tsresol-ns-us-dns_pcapng-multi-interface.pcapng',
      'pcapng-spb-epb-snaplen_test012.pcapng',
    ];
    for (const file of files) {
      it(`${file}: every packet comes out as pcapng with its link type, time and bytes; tshark agrees`, async () => {
        const path = `${SHARED_PCAPS}/real/${file}`;
        const index = await smallBlockIndex(path, 256, 2);
        const all = await readAll(path);
        const got = await extract(path, { kind: 'time', from: -1e10, to: 1e11 }, { index });
        expect(got.result.packets).toBe(all.length);
        expect(got.result.format).toBe('pcapng');
        const strip = (r: ReadBack) => ({ ...r, ifId: 0 });
        expect(got.records.map(strip)).toEqual(all.map(strip));
        if (tshark) {
          const out = join(dirname(writeCapture([])), file);
          writeFileSync(out, got.bytes);
          // tshark shows copyable custom blocks as frames; they are not packets (README).
          expect(tsharkFrames(out)).toEqual(tsharkFrames(path, 'frame.interface_id'));
        }
      });
    }

    it('a selection from one interface of several gets that interface as number 0', async () => {
      const path = `${SHARED_PCAPS}/real/pcapng-126if-nrb-vlan-ipv6-ldap_modify-request.pcapng`;
      const all = await readAll(path);
      const last = all[all.length - 1];
      expect(last.ifId).toBeGreaterThan(0);
      const at = formatTimestamp(last.sec, last.nsec);
      const got = await extract(path, { kind: 'time', from: at, to: at });
      const same = all.filter((r) => r.sec === last.sec && r.nsec === last.nsec);
      expect(got.records.map((r) => r.data)).toEqual(same.map((r) => r.data));
      expect(got.records.map((r) => r.linkType)).toEqual(same.map((r) => r.linkType));
      expect(Math.min(...got.records.map((r) => r.ifId))).toBe(0);
    });
  });
});

describe.skipIf(!hasSharedPcaps)('a gzip-compressed capture', () => {
  it('is read from its start (no seeking into compressed data) and gives the same bytes as the plain file', async () => {
    const plain = `${SHARED_PCAPS}/real/eth-500-tcp-echo-conns-6.8MB_echo-connections.pcap`;
    const gz = join(dirname(writeCapture([])), 'echo.pcap.gz');
    writeFileSync(gz, gzipSync(readFileSync(plain)));
    const flows = await analysedFlows(plain);
    const plainIndex = await smallBlockIndex(plain, 65536, 1e9);
    const gzIndex = await smallBlockIndex(gz, 65536, 1e9);
    for (const flow of [flows[0], flows[flows.length - 1]]) {
      const want = await extract(plain, { kind: 'flow', flow }, { index: plainIndex });
      const got = await extract(gz, { kind: 'flow', flow }, { index: gzIndex });
      expect(got.bytes.equals(want.bytes)).toBe(true);
      expect(got.result.packets).toBe(flow.packets);
    }
    // The first second of the capture: inflating stops after the blocks it needs.
    const start = gzIndex.blocks.minSec[0];
    const early = await extract(gz, { kind: 'time', from: start, to: start + 1 }, { index: gzIndex });
    expect(early.result.packets).toBeGreaterThan(0);
    expect(early.result.bytesScanned).toBeLessThan(readFileSync(plain).length / 2);
  });
});

describe('a capture that changed since it was analysed', () => {
  const frames = [0, 1, 2].map((i) => ({
    sec: T0 + i,
    nsec: 0,
    data: tcpFrame('10.0.0.1', '10.0.0.2', { sport: 1, dport: 2, flags: TCP.ACK }),
  }));
  const all: Selection = { kind: 'time', from: T0, to: T0 + 10 };

  async function analysed() {
    const path = writeCapture(frames, 'analysed.pcap');
    const index = await smallBlockIndex(path);
    const st = statSync(path);
    return { path, index, expect: { size: st.size, mtimeMs: st.mtimeMs } };
  }

  async function refused(path: string, index: PacketIndex, expect_: { size: number; mtimeMs: number }) {
    const out = new Collect();
    const err = await extractPackets(path, all, out, { index, expect: expect_ }).catch((e) => e);
    expect(err).toBeInstanceOf(CaptureChangedError);
    expect(err.message).not.toContain('\n');
    expect(err.message).toContain(path);
    // Nothing of the other file reached the output.
    expect(out.chunks).toEqual([]);
    return err.message as string;
  }

  it('as it was, it is read', async () => {
    const { path, index, expect: e } = await analysed();
    expect((await extract(path, all, { index, expect: e })).result.packets).toBe(3);
  });

  it('grown or cut: refused in one line', async () => {
    const { path, index, expect: e } = await analysed();
    writeFileSync(path, Buffer.concat([readFileSync(path), Buffer.alloc(10)]));
    utimesSync(path, new Date(e.mtimeMs), new Date(e.mtimeMs));
    expect(await refused(path, index, e)).toMatch(/changed since it was analysed: .* \(\d+ bytes, was \d+/);
  });

  it('rewritten with the same size: refused for its modification time', async () => {
    const { path, index, expect: e } = await analysed();
    utimesSync(path, new Date(), new Date(e.mtimeMs + 5000));
    expect(await refused(path, index, e)).toMatch(/modified .*, was /);
  });

  it('moved or deleted: refused in one line', async () => {
    const moved = await analysed();
    renameSync(moved.path, `${moved.path}.moved`);
    expect(await refused(moved.path, moved.index, moved.expect)).toMatch(
      /no longer readable: .* \(no such file\)/,
    );
    const deleted = await analysed();
    rmSync(deleted.path);
    expect(await refused(deleted.path, deleted.index, deleted.expect)).toMatch(/no longer readable/);
  });

  it('rewritten with another header, same size and time: refused', async () => {
    const { path, index, expect: e } = await analysed();
    const bytes = readFileSync(path);
    bytes.writeUInt32LE(65535, 16); // the snaplen
    writeFileSync(path, bytes);
    utimesSync(path, new Date(), new Date(e.mtimeMs));
    expect(await refused(path, index, { ...e, mtimeMs: statSync(path).mtimeMs })).toMatch(
      /does not start with the header it was analysed with/,
    );
  });

  it("replaced by another capture with the same header, no shorter: refused, not that capture's packets", async () => {
    const { path, index } = await analysed();
    const other = frames.map((f, i) => ({
      ...f,
      sec: f.sec + 3600,
      data: Buffer.concat([f.data, Buffer.alloc(i * 7)]),
    }));
    copyFileSync(writeCapture([...other, ...other]), path);
    const out = new Collect();
    await expect(extractPackets(path, all, out, { index })).rejects.toThrow(
      /does not hold its packets where its packet index says/,
    );
    expect(out.chunks).toEqual([]);
  });

  it('replaced by a shorter file than its index covers: refused even without the size it had', async () => {
    const { path, index } = await analysed();
    copyFileSync(writeCapture(frames.slice(0, 1)), path);
    await expect(extractPackets(path, all, new Collect(), { index })).rejects.toBeInstanceOf(
      CaptureChangedError,
    );
  });
});

describe('the output stream', () => {
  const frames: Frame[] = [];
  for (let i = 0; i < 3000; i++) {
    frames.push({ sec: T0 + i, nsec: 0, data: udpFrame('10.0.0.1', '10.0.0.2', 1, 2, Buffer.alloc(1000)) });
  }
  const path = writeCapture(frames, 'big.pcap');

  it('a slow reader gets every byte, in order', async () => {
    const { bytes } = await extract(
      path,
      { kind: 'time', from: T0, to: T0 + 1e6 },
      { index: await smallBlockIndex(path, 65536, 1e9) },
    );
    // (equals: toEqual walks 3 MB byte by byte)
    expect(bytes.equals(readFileSync(path))).toBe(true);
  });

  it('closed by its reader half way: the extraction stops with an error, not a hang', async () => {
    let seen = 0;
    const out = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, done) {
        seen += chunk.length;
        if (seen > 100_000) this.destroy(new Error('client went away'));
        else setImmediate(done);
      },
    });
    await expect(extractPackets(path, { kind: 'time', from: T0, to: T0 + 1e6 }, out)).rejects.toBeInstanceOf(
      OutputClosedError,
    );
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    const out = new Collect(1024);
    out.once('data', () => undefined);
    const running = extractPackets(path, { kind: 'time', from: T0, to: T0 + 1e6 }, out, {
      signal: controller.signal,
    });
    controller.abort();
    await expect(running).rejects.toThrow(/abort/i);
  });
});

describe.skipIf(!hasSharedPcaps)('damaged captures', () => {
  for (const file of malformedCaptures()) {
    it(`${file}: every packet read before the damage comes out, or the file is refused as the reader refuses it`, async () => {
      const path = `${SHARED_PCAPS}/malformed/${file}`;
      const all = await readAll(path).catch((e) => e);
      const got = await extract(path, { kind: 'time', from: -1e10, to: 1e11 }).catch((e) => e);
      if (all instanceof CaptureFormatError) {
        expect(got).toBeInstanceOf(CaptureFormatError);
        return;
      }
      const strip = (r: ReadBack) => ({ ...r, ifId: 0 });
      expect(got.records.map(strip)).toEqual(all.map(strip));
      expect(got.info.truncated).toBe(false);
    });
  }
});

describe('a SYN sent again after a reset, with its first sequence number', () => {
  // tshark keeps such a SYN in its connection (a retransmission, not a new one), and so does the
  // flow table: the extraction must follow, or the flow's packets would come back split.
  const conn = [
    tcpTo(T0 + 2000, 0, TCP.SYN, false, 41000, 7_000_000),
    tcpTo(T0 + 2000, 5, TCP.RST | TCP.ACK, true, 41000, 7_000_000),
    tcpTo(T0 + 2001, 0, TCP.SYN, false, 41000, 7_000_000),
    tcpTo(T0 + 2001, 5, TCP.RST | TCP.ACK, true, 41000, 7_000_000),
  ];
  const fresh = [
    tcpTo(T0 + 2002, 0, TCP.SYN, false, 41000, 8_000_000),
    tcpTo(T0 + 2002, 5, TCP.SYN | TCP.ACK, true, 41000, 8_000_000),
  ];
  const path = writeCapture([...conn, ...fresh], 'syn-again.pcap');

  it('keeps the repeated SYN in its flow and splits only at a new sequence number, in the analysis and the extraction', async () => {
    const flows = (await analysedFlows(path)).sort((x, y) => Number(x.first_ts) - Number(y.first_ts));
    expect(flows.map((f) => f.packets)).toEqual([4, 2]);
    for (const [i, flow] of flows.entries()) {
      const { records } = await extract(path, { kind: 'flow', flow });
      expect(slim(records), `flow ${i}`).toEqual(asRead(i === 0 ? conn : fresh));
    }
  });
});
