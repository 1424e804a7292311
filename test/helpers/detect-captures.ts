import { analyzeCapture, buildSummary } from '../../src/analysis/index.js';
import { type DetectExtras, detect, mulberry32, RULE_LIST } from '../../src/detect/index.js';
import { dnsQuery, ethernet, type Frame, ip4, TCP, tcpFrame, udpFrame, writeCapture } from './packets.js';

/** Captures for the detection tests: an office background with attacks laid over it at known times. */

/** The capture's first second (seconds since the epoch). */
export const T0 = 1_750_000_000;

/** A frame `s` seconds (microsecond steps) after T0. */
export function at(s: number, data: Buffer): Frame {
  return {
    sec: T0 + Math.floor(s),
    nsec: Math.round((s - Math.floor(s)) * 1e6) * 1000,
    data,
  };
}

/**
 * `seconds` of office traffic: every second a few short HTTPS-like exchanges from clients in
 * 10.0.1.10–39 to servers in 93.184.216.1–5, and a DNS lookup answered by 10.0.0.1. No
 * retransmissions, resets or bursts: a baseline the rules and the model measure attacks against.
 */
export function officeTraffic(seconds: number, seed = 11): Frame[] {
  const frames: Frame[] = [];
  const rand = mulberry32(seed);
  let sport = 40000;
  for (let s = 0; s < seconds; s++) {
    const conns = 2 + Math.floor(rand() * 3);
    for (let c = 0; c < conns; c++) {
      const client = `10.0.1.${10 + Math.floor(rand() * 30)}`;
      const server = `93.184.216.${1 + Math.floor(rand() * 5)}`;
      const p = sport++;
      const t = s + c * 0.2 + rand() * 0.05;
      frames.push(at(t, tcpFrame(client, server, { sport: p, dport: 443, flags: TCP.SYN, seq: 1 })));
      frames.push(
        at(
          t + 0.01,
          tcpFrame(server, client, { sport: 443, dport: p, flags: TCP.SYN | TCP.ACK, seq: 9, ack: 2 }),
        ),
      );
      frames.push(
        at(t + 0.02, tcpFrame(client, server, { sport: p, dport: 443, flags: TCP.ACK, seq: 2, ack: 10 })),
      );
      frames.push(
        at(
          t + 0.03,
          tcpFrame(server, client, {
            sport: 443,
            dport: p,
            flags: TCP.ACK | TCP.PSH,
            seq: 10,
            ack: 2,
            payload: Buffer.alloc(900 + Math.floor(rand() * 400)),
          }),
        ),
      );
      frames.push(
        at(
          t + 0.04,
          tcpFrame(client, server, { sport: p, dport: 443, flags: TCP.FIN | TCP.ACK, seq: 2, ack: 1300 }),
        ),
      );
      frames.push(
        at(
          t + 0.05,
          tcpFrame(server, client, { sport: 443, dport: p, flags: TCP.FIN | TCP.ACK, seq: 1300, ack: 3 }),
        ),
      );
    }
    const client = `10.0.1.${10 + Math.floor(rand() * 30)}`;
    frames.push(at(s + 0.9, udpFrame(client, '10.0.0.1', 50000 + s, 53, dnsQuery(s, 'example.org'))));
    frames.push(at(s + 0.901, udpFrame('10.0.0.1', client, 53, 50000 + s, dnsQuery(s, 'example.org', true))));
  }
  return frames;
}

/**
 * A port scan: SYNs from `attacker` to ports 1 … `ports` of `victim`, spread over `spanS` seconds
 * from `second` + 0.1; the victim resets each but port `open`, which answers with a SYN-ACK.
 */
export function portScan(
  attacker: string,
  victim: string,
  second: number,
  ports: number,
  open: number,
  spanS: number,
): Frame[] {
  const frames: Frame[] = [];
  for (let i = 0; i < ports; i++) {
    const t = second + 0.1 + (i * spanS) / ports;
    const port = i + 1;
    frames.push(at(t, tcpFrame(attacker, victim, { sport: 61000, dport: port, flags: TCP.SYN, seq: 5 })));
    const reply = port === open ? TCP.SYN | TCP.ACK : TCP.RST | TCP.ACK;
    frames.push(
      at(t + 0.0001, tcpFrame(victim, attacker, { sport: port, dport: 61000, flags: reply, ack: 6 })),
    );
  }
  return frames;
}

/** A SYN flood: `count` SYNs to `victim`:80 from spoofed sources (198.51.100.0 on), one a millisecond from `second` + 0.2, never answered. */
export function synFlood(victim: string, second: number, count: number): Frame[] {
  return Array.from({ length: count }, (_, i) =>
    at(
      second + 0.2 + i * 0.001,
      tcpFrame(`198.51.${100 + (i >> 8)}.${i & 255}`, victim, {
        sport: 1024 + i,
        dport: 80,
        flags: TCP.SYN,
        seq: i,
      }),
    ),
  );
}

/**
 * How a SYN flood's handshakes end: 'reset' (the victim answers each SYN with a SYN-ACK and the
 * attacker's kernel resets it, as under `hping3 -S --flood`), 'ignore' (SYN-ACKs the attacker never
 * acknowledges), 'spoofed' (SYN-ACKs sent to spoofed sources, never acknowledged).
 */
export type FloodKind = 'reset' | 'ignore' | 'spoofed';

/**
 * A SYN flood the victim answers: `count` SYNs to `victim`:`port`, one a millisecond from `second` +
 * 0.2, each from its own source port of `attacker` (or, spoofed, from its own address 198.51.x.y),
 * each answered by a SYN-ACK 0.1 ms later; with 'reset', the attacker resets it 20 ms after.
 */
export function answeredSynFlood(
  kind: FloodKind,
  attacker: string,
  victim: string,
  port: number,
  second: number,
  count: number,
): Frame[] {
  const frames: Frame[] = [];
  for (let i = 0; i < count; i++) {
    const t = second + 0.2 + i * 0.001;
    const src = kind === 'spoofed' ? `198.51.${100 + (i >> 8)}.${i & 255}` : attacker;
    const sport = 1024 + i;
    frames.push(at(t, tcpFrame(src, victim, { sport, dport: port, flags: TCP.SYN, seq: i })));
    frames.push(
      at(
        t + 0.0001,
        tcpFrame(victim, src, { sport: port, dport: sport, flags: TCP.SYN | TCP.ACK, seq: 7, ack: i + 1 }),
      ),
    );
    if (kind === 'reset')
      frames.push(at(t + 0.02, tcpFrame(src, victim, { sport, dport: port, flags: TCP.RST, seq: i + 1 })));
  }
  return frames;
}

/** An Ethernet ARP request (op 1) or reply (op 2) from `sender` about `target`. */
export function arpFrame(op: 1 | 2, sender: string, target: string): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16BE(1, 0); // Ethernet
  b.writeUInt16BE(0x0800, 2); // IPv4
  b[4] = 6;
  b[5] = 4;
  b.writeUInt16BE(op, 6);
  b.set(ip4(sender), 14);
  b.set(ip4(target), 24);
  return ethernet(0x0806, b);
}

/** Writes the frames (in time order) to a capture, analyses it and runs the detection. */
export async function detectFrames(frames: Frame[], name = 'capture.pcap', extras: DetectExtras = {}) {
  const sorted = [...frames].sort((a, b) => a.sec - b.sec || a.nsec - b.nsec);
  const path = writeCapture(sorted, name);
  const result = await analyzeCapture(path);
  const summary = buildSummary(result);
  return { path, result, summary, detection: detect(result, summary, undefined, RULE_LIST, extras) };
}
