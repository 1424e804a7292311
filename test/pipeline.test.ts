import { describe, expect, it } from 'vitest';
import { type AnalysisResult, analyzeCapture, buildSummary, resolveSettings } from '../src/analysis/index.js';
import { detect, withDetection } from '../src/detect/index.js';
import { type Frame, TCP, tcpFrame, tlsClientHello, udpFrame, writeCapture } from './helpers/packets.js';
import { hasSharedPcaps, realCaptures, SHARED_PCAPS } from './helpers/shared.js';

/**
 * The worker pipeline (the flow half in a worker thread, fed through shared memory) must give
 * exactly the figures of the analysis in one thread: same summary, windows, talkers and detection.
 */
function everything(r: AnalysisResult) {
  const base = buildSummary(r);
  const summary = withDetection(base, detect(r, base));
  return {
    summary,
    windows: r.report.windows.toArray(),
    talkers: r.report.talkers,
    ports: r.report.ports,
    index: r.analyzer.flowIndex?.size,
  };
}

async function bothWays(path: string, options: Parameters<typeof analyzeCapture>[1] = {}) {
  const one = everything(await analyzeCapture(path, { ...options, pipeline: false }));
  const two = everything(await analyzeCapture(path, { ...options, pipeline: true }));
  return { one, two };
}

describe.skipIf(!hasSharedPcaps)('the pipelined analysis of the real captures', () => {
  it.each(realCaptures())('%s: the same figures as in one thread', { timeout: 30_000 }, async (file) => {
    const { one, two } = await bothWays(`${SHARED_PCAPS}/real/${file}`);
    expect(two).toEqual(one);
  });

  it('the same with a fixed window and short timeouts', { timeout: 30_000 }, async () => {
    const file = `${SHARED_PCAPS}/real/eth-realistic-windows-host-1.6MB_tls-subjectaltname.pcap`;
    const { one, two } = await bothWays(file, {
      settings: resolveSettings({ window: '7', flowTimeouts: 'tcp=20,udp=5,icmp=3,other=7' }),
    });
    expect(two).toEqual(one);
  });
});

/** A TLS ClientHello whose server name comes after a padding extension of `padding` bytes. */
function paddedClientHello(sni: string, padding: number): Buffer {
  const plain = tlsClientHello(sni);
  // Offsets in tlsClientHello's output: record (5), handshake header (4), version and random (34),
  // session id (1), cipher suites (4), compression (2), then the extensions' length (2).
  const extStart = 5 + 4 + 34 + 1 + 4 + 2;
  const exts = plain.subarray(extStart + 2);
  const pad = Buffer.alloc(4 + padding);
  pad.writeUInt16BE(21, 0); // padding extension
  pad.writeUInt16BE(padding, 2);
  const allExts = Buffer.concat([pad, exts]);
  const body = Buffer.concat([
    plain.subarray(9, extStart),
    Buffer.from([allExts.length >> 8, allExts.length & 255]),
    allExts,
  ]);
  const hs = Buffer.concat([
    Buffer.from([1, body.length >> 16, (body.length >> 8) & 255, body.length & 255]),
    body,
  ]);
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x01, hs.length >> 8, hs.length & 255]), hs]);
}

describe('the hand-over between the two halves', () => {
  it('carries large payloads for the hint parsers across batch boundaries, in one thread and in the pipeline', {
    timeout: 60_000,
  }, async () => {
    const T = 1_700_000_000;
    const frames: Frame[] = [];
    // 300 TLS connections whose ClientHello (with the server name at its end) fills most of a
    // 64 KiB segment, and HTTP-looking bulk data between them: records far larger than most, so
    // batches end early and records move to the next one.
    const padding = Buffer.alloc(60_000, 0x41);
    for (let i = 0; i < 300; i++) {
      const client = `10.1.${i >> 8}.${i & 255}`;
      const sport = 40000 + i;
      const us = i * 1000;
      const at = (d: number) => ({ sec: T + Math.floor((us + d) / 1e6), nsec: ((us + d) % 1e6) * 1000 });
      const big = paddedClientHello(`host${i}.example.org`, 50_000);
      frames.push({
        ...at(0),
        data: tcpFrame(client, '93.184.216.34', { sport, dport: 443, seq: 1, flags: TCP.SYN }),
      });
      frames.push({
        ...at(10),
        data: tcpFrame(client, '93.184.216.34', {
          sport,
          dport: 443,
          seq: 2,
          flags: TCP.ACK | TCP.PSH,
          payload: big,
        }),
      });
      frames.push({
        ...at(20),
        data: tcpFrame('93.184.216.34', client, {
          sport: 443,
          dport: sport,
          seq: 9,
          flags: TCP.ACK,
          payload: padding,
        }),
      });
      frames.push({ ...at(30), data: udpFrame(client, '10.0.0.1', sport, 53, Buffer.alloc(40, i & 255)) });
    }
    const path = writeCapture(frames);
    const { one, two } = await bothWays(path);
    expect(one.summary.flows.count).toBe(600);
    const tls = one.summary.top_flows.filter((f) => f.dst_port === 443);
    expect(tls.length).toBeGreaterThan(10);
    for (const f of tls) expect(f.tls_sni).toBe(`host${f.src_port - 40000}.example.org`);
    expect(two).toEqual(one);
  });
});
