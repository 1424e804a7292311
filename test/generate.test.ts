import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeCapture, buildSummary } from '../src/analysis/index.js';
import { readCapture } from '../src/capture/index.js';
import { DecodedPacket, decodePacket } from '../src/decode/index.js';
import {
  type GenerateOptions,
  type GroundTruth,
  generateCapture,
  truthPathFor,
} from '../src/generate/index.js';

const DIR = mkdtempSync(join(tmpdir(), 'flowlens-generate-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

let made = 0;
function make(options: GenerateOptions): { path: string; truth: GroundTruth } {
  const path = join(DIR, `capture-${made++}.pcap`);
  return { path, truth: generateCapture(path, options) };
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

interface Pkt {
  ts: number;
  src: string;
  dst: string;
  proto: number;
  sport: number;
  dport: number;
  flags: number;
  wire: number;
  arp: { op: number; sender: string; target: string } | null;
}

/** Every packet of a capture, read back through the project's own reader and decoder. */
async function packets(path: string): Promise<Pkt[]> {
  const out: Pkt[] = [];
  const p = new DecodedPacket();
  const v4 = (b: Uint8Array, o: number) => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
  await readCapture(path, (rec) => {
    decodePacket(rec.buf, rec.offset, rec.capLen, rec.origLen, rec.linkType, p);
    const b = rec.buf;
    const o = rec.offset;
    const ts = rec.tsSec + rec.tsNsec / 1e9;
    if (b[o + 12] === 0x08 && b[o + 13] === 0x06) {
      out.push({
        ts,
        src: '',
        dst: '',
        proto: 0,
        sport: 0,
        dport: 0,
        flags: 0,
        wire: rec.origLen,
        arp: { op: b[o + 21], sender: v4(b, o + 28), target: v4(b, o + 38) },
      });
      return;
    }
    // Ethernet + IPv4 (the generator writes nothing else): addresses from the IP header.
    out.push({
      ts,
      src: v4(b, o + 26),
      dst: v4(b, o + 30),
      proto: b[o + 23],
      sport: p.srcPort,
      dport: p.dstPort,
      flags: b[o + 23] === 6 ? b[o + 47] : 0,
      wire: rec.origLen,
      arp: null,
    });
  });
  return out;
}

const SYN = 0x02;
const ACK = 0x10;

describe('the labelled-capture generator', async () => {
  const a = make({ seed: 21, durationS: 600, hosts: 20 });
  const b = make({ seed: 21, durationS: 600, hosts: 20 });
  const quiet = make({ seed: 21, durationS: 600, hosts: 20, attacks: [] });
  const other = make({ seed: 22, durationS: 600, hosts: 20 });
  const pkts = await packets(a.path);

  it('writes the same capture and ground truth for the same seed, and another for another seed', () => {
    expect(sha(b.path)).toBe(sha(a.path));
    expect(readFileSync(truthPathFor(b.path), 'utf8')).toBe(readFileSync(truthPathFor(a.path), 'utf8'));
    expect(sha(other.path)).not.toBe(sha(a.path));
  });

  it('writes the ground truth as JSON beside the pcap, one entry per attack in order of start', () => {
    const truth = JSON.parse(readFileSync(truthPathFor(a.path), 'utf8')) as GroundTruth;
    expect(truthPathFor(a.path)).toBe(a.path.replace(/\.pcap$/, '.truth.json'));
    expect(truth).toEqual(a.truth);
    expect(truth.attacks.map((x) => x.type).sort()).toEqual(
      ['connection_burst', 'exfiltration', 'host_sweep', 'port_scan', 'syn_flood'].sort(),
    );
    for (let i = 1; i < truth.attacks.length; i++)
      expect(truth.attacks[i].start_ts).toBeGreaterThan(truth.attacks[i - 1].end_ts);
    for (const x of truth.attacks) {
      expect(x.start_ts).toBeGreaterThanOrEqual(truth.start_ts);
      expect(x.end_ts).toBeLessThanOrEqual(truth.end_ts);
      expect(x.end_ts).toBeGreaterThanOrEqual(x.start_ts);
      expect(x.victim).toBeTruthy();
      expect(x.description).toMatch(/\S/);
    }
    expect(pkts.length).toBe(truth.packets);
    expect(pkts.reduce((s, p) => s + p.wire, 0)).toBe(truth.bytes);
  });

  it('a capture without attacks is the same background: the attacked one has exactly the attack packets more', () => {
    expect(quiet.truth.attacks).toEqual([]);
    const attackPackets = a.truth.attacks.reduce((s, x) => s + x.packets, 0);
    expect(a.truth.packets).toBe(quiet.truth.packets + attackPackets);
  });

  it("each attack's packets are in the capture from its attacker, within its span", () => {
    const inSpan = (p: Pkt, x: { start_ts: number; end_ts: number }) =>
      p.ts >= x.start_ts - 1e-6 && p.ts <= x.end_ts + 1e-6;
    const at = (type: string) => a.truth.attacks.find((x) => x.type === type)!;
    const scan = at('port_scan');
    // The attacker may be a client that also uses the victim's services: look inside the span.
    const probes = pkts.filter(
      (p) => p.src === scan.attacker && p.dst === scan.victim && p.flags === SYN && inSpan(p, scan),
    );
    expect(new Set(probes.map((p) => p.dport)).size).toBe(1000);
    expect(probes[0].ts).toBeCloseTo(scan.start_ts, 5);

    const flood = at('syn_flood');
    const syns = pkts.filter(
      (p) => p.dst === flood.victim && p.dport === flood.port && p.flags === SYN && inSpan(p, flood),
    );
    expect(syns.length).toBeGreaterThanOrEqual(flood.details.syns as number);

    const sweep = at('host_sweep');
    const asked = new Set(
      pkts
        .filter((p) => p.arp?.op === 1 && p.arp.sender === sweep.attacker && inSpan(p, sweep))
        .map((p) => p.arp!.target),
    );
    expect(asked.size).toBe(253);

    const exfil = at('exfiltration');
    const up = pkts
      .filter((p) => p.src === exfil.attacker && p.dst === exfil.victim && inSpan(p, exfil))
      .reduce((s, p) => s + p.wire, 0);
    expect(up).toBeGreaterThan(exfil.details.bytes as number);
    expect(up).toBeLessThan((exfil.details.bytes as number) * 1.1);

    const burst = at('connection_burst');
    const opened = pkts.filter((p) => p.src === burst.attacker && p.dst === burst.victim && p.flags === SYN);
    expect(opened.length).toBe(burst.details.connections);
    const closed = pkts.filter((p) => p.src === burst.attacker && p.dst === burst.victim && p.flags & 0x01);
    expect(closed.length).toBe(burst.details.connections);
  });

  it('writes office traffic: answered DNS, HTTPS and HTTP with handshakes and FIN closes, NTP, pings, ARP, many hosts', async () => {
    const result = await analyzeCapture(quiet.path);
    const s = buildSummary(result);
    const ports = new Map(s.ports.map((p) => [`${p.port}/${p.protocol}`, p]));
    for (const p of ['443/tcp', '80/tcp', '53/udp', '123/udp', '445/tcp', '22/tcp'])
      expect(ports.has(p)).toBe(true);
    expect(s.protocols.icmp).toBeGreaterThan(0);
    expect(s.protocols.non_ip).toBeGreaterThan(0);
    // Handshakes answered, connections mostly closed by FIN both ways.
    expect(s.tcp.syn_ack_ratio).toBeGreaterThan(0.95);
    expect(s.tcp.syn_ack_ratio).toBeLessThan(1.05);
    const states = s.flows.conn_states as Record<string, number>;
    expect(states.SF / s.flows.count).toBeGreaterThan(0.8);
    // A little loss, as on a real network.
    expect(s.tcp.retransmissions).toBeGreaterThan(0);
    expect(s.tcp.retransmission_rate).toBeLessThan(0.01);
    expect(s.addresses.local).toBeGreaterThanOrEqual(20);
    expect(s.addresses.remote).toBeGreaterThanOrEqual(20);
    // Application hints the analysis reads from the payloads: the big downloads are TLS with a server name.
    expect(
      s.top_flows.filter((f) => f.tls_sni?.endsWith('.org') || f.tls_sni?.endsWith('.net')).length,
    ).toBeGreaterThan(0);
  });

  it('activity rises and falls over the capture: the middle is busier than the start and the end', async () => {
    const ts = (await packets(quiet.path)).map((p) => p.ts - quiet.truth.start_ts);
    const share = (from: number, to: number) => ts.filter((t) => t >= from && t < to).length / (to - from);
    expect(share(200, 400)).toBeGreaterThan(1.5 * share(0, 100));
    expect(share(200, 400)).toBeGreaterThan(1.5 * share(500, 600));
  });

  it('refuses an unknown attack and a capture too short for its attacks', () => {
    expect(() => make({ attacks: ['ddos' as never] })).toThrow(/unknown attack 'ddos'/);
    expect(() => make({ durationS: 60, hosts: 5 })).toThrow(/too short/);
  });

  it('places an attack spelled out with a time and attacker where it was asked for', () => {
    const { truth } = make({
      seed: 5,
      durationS: 300,
      hosts: 10,
      attacks: [{ type: 'port_scan', at: 100, attacker: '198.51.100.23', victim: '192.168.10.10' }],
    });
    expect(truth.attacks).toHaveLength(1);
    expect(truth.attacks[0]).toMatchObject({ attacker: '198.51.100.23', victim: '192.168.10.10' });
    expect(truth.attacks[0].start_ts - truth.options.startTs).toBeCloseTo(100, 5);
  });
});

/**
 * The SYN floods a network really sees, each with its truth checked against the packets read back:
 * attempts, SYN-ACKs, the attacker's resets, and not one handshake completed (no initiator ACK).
 */
describe('SYN floods of every kind in the generator', async () => {
  const RST = 0x04;
  const KINDS: { name: string; spec: Record<string, unknown>; kind: string }[] = [
    {
      name: "hping3 -S --flood: the server answers each SYN with a SYN cookie, the attacker's kernel resets each SYN-ACK",
      spec: { attacker: '203.0.113.7', synCookies: true, attackerReply: 'reset' },
      kind: 'reset',
    },
    {
      name: 'hping3 against a server without SYN cookies: each SYN-ACK reset, so the backlog never fills',
      spec: { attacker: '203.0.113.7', synCookies: false, attackerReply: 'reset' },
      kind: 'reset',
    },
    {
      name: 'an attacker whose firewall drops the SYN-ACKs, against SYN cookies',
      spec: { attacker: '203.0.113.8', synCookies: true, attackerReply: 'ignore' },
      kind: 'ignore',
    },
    {
      name: 'spoofed sources against a server without SYN cookies: SYN-ACKs repeated until the backlog is full',
      spec: { spoofed: true, synCookies: false },
      kind: 'spoofed',
    },
    {
      name: 'spoofed sources against a host that does not answer',
      spec: { spoofed: true, answers: false },
      kind: 'unanswered',
    },
  ];
  for (const k of KINDS)
    it(k.name, async () => {
      const { path, truth } = make({
        seed: 31,
        durationS: 120,
        hosts: 5,
        attacks: [{ type: 'syn_flood', at: 20, durationS: 10, ...k.spec } as never],
      });
      const f = truth.attacks[0];
      expect(f.details.kind).toBe(k.kind);
      const pkts = (await packets(path)).filter(
        (p) => p.ts >= f.start_ts - 1e-6 && p.ts <= f.end_ts + 1e-6 && p.proto === 6,
      );
      const toVictim = pkts.filter((p) => p.dst === f.victim && p.dport === f.port);
      const fromVictim = pkts.filter((p) => p.src === f.victim && p.sport === f.port);
      const syns = toVictim.filter((p) => p.flags === SYN);
      const attempts = new Set(syns.map((p) => `${p.src}:${p.sport}`));
      expect(syns.length).toBe(f.details.syns);
      expect(attempts.size).toBe(f.details.attempts);
      if (f.attacker) expect(new Set(syns.map((p) => p.src))).toEqual(new Set([f.attacker]));
      else expect(new Set(syns.map((p) => p.src)).size).toBeGreaterThan(0.99 * syns.length);
      // Not one handshake completed: no initiator of an attempt sent anything but its SYN and a RST.
      const ofAttempt = toVictim.filter((p) => attempts.has(`${p.src}:${p.sport}`));
      expect(ofAttempt.filter((p) => p.flags !== SYN && p.flags !== RST)).toEqual([]);
      expect(f.details.completed).toBe(0);
      const synacks = fromVictim.filter((p) => p.flags === (SYN | ACK));
      expect(synacks.length).toBe(f.details.synacks);
      const answered = new Set(synacks.map((p) => `${p.dst}:${p.dport}`));
      expect(answered.size).toBe(f.details.synacked_attempts);
      const resets = ofAttempt.filter((p) => p.flags === RST);
      expect(resets.length).toBe(f.details.resets);
      switch (k.kind) {
        case 'reset':
          // Every SYN answered (a reset frees the backlog at once), every SYN-ACK reset once.
          expect(answered.size).toBe(attempts.size);
          expect(resets.length).toBe(attempts.size);
          expect(synacks.length).toBe(attempts.size);
          break;
        case 'ignore':
          expect(answered.size).toBe(attempts.size);
          expect(resets).toEqual([]);
          break;
        case 'spoofed':
          // Without cookies: the first 256 held half-open and their SYN-ACKs repeated, the rest dropped.
          expect(answered.size).toBe(256);
          expect(synacks.length).toBe(256 * 6);
          expect(resets).toEqual([]);
          break;
        case 'unanswered':
          expect(synacks).toEqual([]);
          break;
      }
      expect(f.start_ts).toBeCloseTo(syns[0].ts, 5);
      expect(f.end_ts).toBeCloseTo(Math.max(...[...syns, ...synacks, ...resets].map((p) => p.ts)), 5);
      expect(f.details.span_s).toBeCloseTo(f.end_ts - f.start_ts, 2);
    });
});
