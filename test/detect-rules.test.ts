import { describe, expect, it } from 'vitest';
import {
  type DetectExtras,
  detect,
  type Insight,
  parseIntelList,
  RULE_LIST,
  type Rule,
  type Severity,
} from '../src/detect/index.js';
import { anomalyBursts } from '../src/detect/rules/anomaly-burst.js';
import { arpSweeps } from '../src/detect/rules/arp-sweep.js';
import { connectionBursts } from '../src/detect/rules/connection-burst.js';
import { dnsTunnels } from '../src/detect/rules/dns-tunnel.js';
import { dominantService } from '../src/detect/rules/dominant-service.js';
import { dominantTalker } from '../src/detect/rules/dominant-talker.js';
import { hostSweeps } from '../src/detect/rules/host-sweep.js';
import { httpScans } from '../src/detect/rules/http-scan.js';
import { intelMatches } from '../src/detect/rules/intel-match.js';
import { nxdomainBursts } from '../src/detect/rules/nxdomain-burst.js';
import { packetFloods } from '../src/detect/rules/packet-flood.js';
import { portScans } from '../src/detect/rules/port-scan.js';
import { rareJa4Clients } from '../src/detect/rules/rare-ja4.js';
import { retransmissionSpikes } from '../src/detect/rules/retransmission-spike.js';
import { rstStorms } from '../src/detect/rules/rst-storm.js';
import { synFloods } from '../src/detect/rules/syn-flood.js';
import { trafficBursts } from '../src/detect/rules/traffic-burst.js';
import {
  answeredSynFlood,
  arpFrame,
  at,
  detectFrames,
  officeTraffic,
  portScan,
  synFlood,
  T0,
} from './helpers/detect-captures.js';
import { logTransactions } from './helpers/log-transactions.js';
import { dnsQuery, type Frame, ip4, TCP, tcpFrame, tlsClientHello, udpFrame } from './helpers/packets.js';

/**
 * Every rule of RULE_LIST from rows: the frames laid over two minutes of office traffic
 * (`officeTraffic`), and the alert the rule must raise: its type, severity and the details that
 * matter (addresses, ports, counts). Adding a rule is one file, one line in RULE_LIST and one row
 * here.
 */
interface Row {
  name: string;
  rule: Rule;
  frames: Frame[];
  alert_type: string;
  severity: Severity;
  details: Record<string, unknown>;
  /** The sentence, where the row's frames fix it (the others are checked against the generator in detect-sentences). */
  summary?: RegExp;
  /**
   * What the caller gives the detection besides the capture: intel lists, and log transactions
   * (made from the row's frames with the office traffic, by the src/protocols parsers).
   */
  extras?: DetectExtras | ((frames: Frame[]) => DetectExtras);
}

const ATTACKER = '10.0.0.66';
const VICTIM = '10.0.0.9';

/** Unanswered SYNs from ATTACKER to `port` on hosts 10.0.2.1 … 10.0.2.`hosts`. */
function hostSweep(second: number, hosts: number, port: number): Frame[] {
  return Array.from({ length: hosts }, (_, i) =>
    at(
      second + 0.1 + i * 0.01,
      tcpFrame(ATTACKER, `10.0.2.${i + 1}`, { sport: 62000, dport: port, flags: TCP.SYN }),
    ),
  );
}

/** ARP requests from ATTACKER for 10.0.2.1 … 10.0.2.`hosts`; every `answerEvery`-th host replies. */
function arpSweep(second: number, hosts: number, answerEvery: number): Frame[] {
  const frames: Frame[] = [];
  for (let i = 1; i <= hosts; i++) {
    const t = second + 0.1 + i * 0.01;
    frames.push(at(t, arpFrame(1, ATTACKER, `10.0.2.${i}`)));
    if (i % answerEvery === 0) frames.push(at(t + 0.001, arpFrame(2, `10.0.2.${i}`, ATTACKER)));
  }
  return frames;
}

/** `count` UDP packets (74 bytes on the wire) from ATTACKER to VICTIM:5000 in one second, none answered. */
function udpFlood(second: number, count: number): Frame[] {
  return Array.from({ length: count }, (_, i) =>
    at(second + i / count, udpFrame(ATTACKER, VICTIM, 40000, 5000, Buffer.alloc(32))),
  );
}

/** Lone resets from ATTACKER to VICTIM:443, each from another port (blind resets at guessed connections). */
function blindResets(second: number, count: number): Frame[] {
  return Array.from({ length: count }, (_, i) =>
    at(
      second + 0.1 + i * 0.002,
      tcpFrame(ATTACKER, VICTIM, { sport: 30000 + i, dport: 443, flags: TCP.RST, seq: i * 1000 }),
    ),
  );
}

/** A seeded string of `n` characters from `alphabet`. */
function randomText(seed: number, n: number, alphabet: string): string {
  let x = seed >>> 0;
  let out = '';
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out += alphabet[(x >>> 16) % alphabet.length];
  }
  return out;
}

/** `count` lookups of distinct 40-hex-digit names under t.tunnel.example, answered, 0.2 s apart. */
function dnsTunnel(second: number, count: number): Frame[] {
  return Array.from({ length: count }, (_, i) => {
    const name = `${randomText(i + 1, 40, '0123456789abcdef')}.t.tunnel.example`;
    return [
      at(second + i * 0.2, udpFrame('10.0.3.40', '10.0.0.53', 42000 + i, 53, dnsQuery(1000 + i, name))),
      at(
        second + i * 0.2 + 0.01,
        udpFrame('10.0.0.53', '10.0.3.40', 53, 42000 + i, dnsQuery(1000 + i, name, true)),
      ),
    ];
  }).flat();
}

/** `count` lookups of generated .com names, each answered NXDOMAIN, 0.5 s apart. */
function dga(second: number, count: number): Frame[] {
  return Array.from({ length: count }, (_, i) => {
    const name = `${randomText(7919 * (i + 1), 12, 'abcdefghijklmnopqrstuvwxyz')}.com`;
    return [
      at(second + i * 0.5, udpFrame('10.0.3.41', '10.0.0.53', 43000 + i, 53, dnsQuery(2000 + i, name))),
      at(
        second + i * 0.5 + 0.01,
        udpFrame('10.0.0.53', '10.0.3.41', 53, 43000 + i, dnsQuery(2000 + i, name, true, 3)),
      ),
    ];
  }).flat();
}

/** One keep-alive connection asking for `count` paths, each answered 404, 0.05 s apart. */
function webScan(second: number, count: number): Frame[] {
  const frames: Frame[] = [
    at(second, tcpFrame('10.0.3.42', '10.0.0.80', { sport: 51000, dport: 80, flags: TCP.SYN, seq: 0 })),
    at(
      second + 0.001,
      tcpFrame('10.0.0.80', '10.0.3.42', { sport: 80, dport: 51000, flags: TCP.SYN | TCP.ACK, ack: 1 }),
    ),
  ];
  let cseq = 1;
  let sseq = 1;
  for (let i = 0; i < count; i++) {
    const req = Buffer.from(
      `GET /admin/backup-${i}.zip HTTP/1.1\r\nHost: intranet.corp\r\nUser-Agent: scan\r\n\r\n`,
    );
    const res = Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    const t = second + 0.01 + i * 0.05;
    frames.push(
      at(
        t,
        tcpFrame('10.0.3.42', '10.0.0.80', {
          sport: 51000,
          dport: 80,
          flags: TCP.ACK | TCP.PSH,
          seq: cseq,
          ack: sseq,
          payload: req,
        }),
      ),
      at(
        t + 0.002,
        tcpFrame('10.0.0.80', '10.0.3.42', {
          sport: 80,
          dport: 51000,
          flags: TCP.ACK | TCP.PSH,
          seq: sseq,
          ack: cseq + req.length,
          payload: res,
        }),
      ),
    );
    cseq += req.length;
    sseq += res.length;
  }
  return frames;
}

/** 20 clients sending the usual ClientHello to the mail server, then one odd hello to a one-off server. */
function oddTlsClient(second: number): Frame[] {
  const hello = (i: number, client: string, server: string, sni: string, odd: boolean) => {
    const payload = tlsClientHello(sni);
    // Another cipher suite (0xc02f) in place of 0x1301: another JA4 (and JA3) for the same shape.
    if (odd) payload.writeUInt16BE(0xc02f, 46);
    const sport = 52000 + i;
    return [
      at(second + i * 0.3, tcpFrame(client, server, { sport, dport: 443, flags: TCP.SYN, seq: 0 })),
      at(
        second + i * 0.3 + 0.001,
        tcpFrame(server, client, { sport: 443, dport: sport, flags: TCP.SYN | TCP.ACK, ack: 1 }),
      ),
      at(
        second + i * 0.3 + 0.002,
        tcpFrame(client, server, { sport, dport: 443, flags: TCP.ACK | TCP.PSH, seq: 1, ack: 1, payload }),
      ),
    ];
  };
  return [
    ...Array.from({ length: 20 }, (_, i) =>
      hello(i, `10.0.3.${100 + i}`, '10.0.0.44', 'mail.corp.example', false),
    ).flat(),
    ...hello(25, '10.0.3.70', '203.0.113.99', 'upd.rare.example', true),
  ];
}

/**
 * A TCP connection from `client` to `server`:`port` that sends `segments` segments of `size`
 * bytes `gap` seconds apart after the handshake; with `twice`, every segment is sent again 5 ms later.
 */
function transfer(
  client: string,
  server: string,
  port: number,
  start: number,
  segments: number,
  size: number,
  gap: number,
  twice = false,
): Frame[] {
  const sport = 45000 + (ip4(client)[3] << 4) + (port & 15);
  const frames = [
    at(start, tcpFrame(client, server, { sport, dport: port, flags: TCP.SYN, seq: 0 })),
    at(
      start + 0.01,
      tcpFrame(server, client, { sport: port, dport: sport, flags: TCP.SYN | TCP.ACK, ack: 1 }),
    ),
  ];
  for (let i = 0; i < segments; i++) {
    const segment = {
      sport,
      dport: port,
      flags: TCP.ACK,
      seq: 1 + i * size,
      ack: 1,
      payload: Buffer.alloc(size),
    };
    const t = start + 0.02 + i * gap;
    frames.push(at(t, tcpFrame(client, server, segment)));
    if (twice) frames.push(at(t + 0.005, tcpFrame(client, server, segment)));
  }
  return frames;
}

/** `count` complete handshakes from 10.0.1.50 to 10.0.0.20:8080, 3 ms apart. */
function connectionBurst(second: number, count: number): Frame[] {
  const frames: Frame[] = [];
  for (let i = 0; i < count; i++) {
    const t = second + 0.1 + i * 0.003;
    const p = 20000 + i;
    frames.push(at(t, tcpFrame('10.0.1.50', '10.0.0.20', { sport: p, dport: 8080, flags: TCP.SYN, seq: 1 })));
    frames.push(
      at(
        t + 0.0002,
        tcpFrame('10.0.0.20', '10.0.1.50', {
          sport: 8080,
          dport: p,
          flags: TCP.SYN | TCP.ACK,
          seq: 9,
          ack: 2,
        }),
      ),
    );
    frames.push(
      at(
        t + 0.0004,
        tcpFrame('10.0.1.50', '10.0.0.20', { sport: p, dport: 8080, flags: TCP.ACK, seq: 2, ack: 10 }),
      ),
    );
  }
  return frames;
}

/**
 * Answered DNS lookups from 40 clients (10.0.3.x), `perClient` each a second for `seconds`
 * seconds: far above the office's one a second, yet no one source, host or port stands out.
 */
function lookupStorm(second: number, seconds: number, perClient: number): Frame[] {
  const frames: Frame[] = [];
  for (let s = 0; s < seconds; s++)
    for (let c = 0; c < 40; c++)
      for (let q = 0; q < perClient; q++) {
        const t = second + s + (c * perClient + q) / (40 * perClient);
        const client = `10.0.3.${c + 1}`;
        const sport = 30000 + s * 100 + q;
        const id = frames.length;
        frames.push(at(t, udpFrame(client, '10.0.0.1', sport, 53, dnsQuery(id, `host${q}.example.org`))));
        frames.push(
          at(t + 0.0002, udpFrame('10.0.0.1', client, 53, sport, dnsQuery(id, `host${q}.example.org`, true))),
        );
      }
  return frames;
}

/** Whether the frame's IPv4 source (offset 26) or destination (30), or either, is `ip`. */
const involves = (f: Frame, ip: string, offset?: 26 | 30) => {
  const [a, b, c, d] = ip4(ip);
  const is = (o: number) =>
    f.data[o] === a && f.data[o + 1] === b && f.data[o + 2] === c && f.data[o + 3] === d;
  return offset === undefined ? is(26) || is(30) : is(offset);
};
/** Wire bytes of the frames (each frame is written whole). */
const wireBytes = (frames: Frame[]) => frames.reduce((n, f) => n + f.data.length, 0);

const background = officeTraffic(120);
const retransmitted = transfer('10.0.1.30', '93.184.216.9', 443, 30, 100, 100, 0.009, true);
const talkerFrames = [
  ...transfer('10.0.1.99', '93.184.216.50', 8001, 20, 200, 1000, 0.1),
  ...transfer('10.0.1.99', '93.184.216.51', 8002, 50, 200, 1000, 0.1),
];
const serviceFrames = transfer('10.0.1.98', '93.184.216.52', 8000, 30, 600, 1200, 0.1);
const all = (frames: Frame[]) => [...background, ...frames];
const resets = blindResets(80, 300);
const upload = transfer('10.0.1.20', '203.0.113.7', 443, 100, 1500, 1400, 0.0005);

/** Frames of the capture (background and `frames`) in second `s`. */
const inSecond = (frames: Frame[], s: number) => all(frames).filter((f) => f.sec === T0 + s);
const isTcp = (f: Frame) => f.data[23] === 6;

const ROWS: Row[] = [
  {
    name: 'one address probing 150 ports of another is a port scan, with the one port that answered',
    rule: portScans,
    frames: portScan(ATTACKER, VICTIM, 60, 150, 22, 0.75),
    alert_type: 'port_scan',
    severity: 'medium',
    details: { attacker: ATTACKER, victim: VICTIM, distinct_ports: 150, open_ports: [22] },
  },
  {
    name: 'one address trying port 22 on 60 hosts of a /24, none answering, is a host sweep',
    rule: hostSweeps,
    frames: hostSweep(60, 60, 22),
    alert_type: 'host_sweep',
    severity: 'medium',
    details: {
      attacker: ATTACKER,
      port: 22,
      protocol: 'tcp',
      distinct_hosts: 60,
      probes: 60,
      failed_probes: 60,
      answered: 0,
      subnet: '10.0.2.0/24',
    },
    summary: /^10\.0\.0\.66 probed 22\/tcp on 60 hosts in 10\.0\.2\.0\/24 in [\d.]+ ms; 0 answered\.$/,
  },
  {
    name: 'one address asking by ARP for 80 addresses is a host sweep, with the 5 that answered',
    rule: arpSweeps,
    frames: arpSweep(60, 80, 16),
    alert_type: 'host_sweep',
    severity: 'medium',
    details: {
      attacker: ATTACKER,
      protocol: 'arp',
      distinct_hosts: 80,
      answered: 5,
      live_hosts: ['10.0.2.16', '10.0.2.32', '10.0.2.48', '10.0.2.64', '10.0.2.80'],
      subnet: '10.0.2.0/24',
    },
  },
  {
    name: '400 unanswered SYNs from spoofed sources to one port are a SYN flood without an attacker',
    rule: synFloods,
    frames: synFlood(VICTIM, 90, 400),
    alert_type: 'syn_flood',
    severity: 'high',
    details: {
      victim: VICTIM,
      port: 80,
      attacker: null,
      spoofed: true,
      attempts: 400,
      completed: 0,
      unanswered_flows: 400,
      distinct_sources: 400,
    },
  },
  {
    name: "hping3 -S --flood: 600 SYNs whose SYN-ACKs the attacker's kernel resets are a SYN flood naming the attacker",
    rule: synFloods,
    frames: answeredSynFlood('reset', ATTACKER, VICTIM, 443, 90, 600),
    alert_type: 'syn_flood',
    severity: 'high',
    details: {
      victim: VICTIM,
      port: 443,
      attacker: ATTACKER,
      spoofed: false,
      attempts: 600,
      completed: 0,
      synacked: 600,
      reset_by_initiator: 600,
      unanswered_flows: 0,
      distinct_sources: 1,
      // The attacker's 600 resets are the flood's, told in its alert (no separate RST storm).
      rst_storm: { resets: 600 },
    },
  },
  {
    name: '500 SYNs from one address that ignores every SYN-ACK are a SYN flood naming it',
    rule: synFloods,
    frames: answeredSynFlood('ignore', ATTACKER, VICTIM, 443, 90, 500),
    alert_type: 'syn_flood',
    severity: 'high',
    details: {
      victim: VICTIM,
      port: 443,
      attacker: ATTACKER,
      attempts: 500,
      completed: 0,
      synacked: 500,
      reset_by_initiator: 0,
      distinct_sources: 1,
    },
  },
  {
    name: '500 SYNs from spoofed sources whose SYN-ACKs go nowhere are a SYN flood of 500 spoofed sources',
    rule: synFloods,
    frames: answeredSynFlood('spoofed', ATTACKER, VICTIM, 80, 90, 500),
    alert_type: 'syn_flood',
    severity: 'high',
    details: {
      victim: VICTIM,
      port: 80,
      attacker: null,
      spoofed: true,
      attempts: 500,
      completed: 0,
      synacked: 500,
      distinct_sources: 500,
    },
  },
  {
    name: '2,000 unanswered UDP packets to one port in a second are a packet flood',
    rule: packetFloods,
    frames: udpFlood(70, 2000),
    alert_type: 'packet_flood',
    severity: 'high',
    details: {
      victim: VICTIM,
      port: 5000,
      protocol: 'udp',
      packets: 2000,
      bytes: 2000 * 74,
      replies: 0,
      distinct_sources: 1,
      top_sources: [{ ip: ATTACKER, packets: 2000 }],
    },
    summary:
      /^10\.0\.0\.66 sent 2,000 5000\/udp packets \(148\.0 kB\) to 10\.0\.0\.9 in [\d.]+ ms, 2,\d{3} per second, with 0 replies\.$/,
  },
  {
    name: '300 blind resets from one address to another in a second are an RST storm naming both',
    rule: rstStorms,
    frames: resets,
    alert_type: 'rst_storm',
    severity: 'medium',
    details: {
      resets: 300,
      // The run's windows and one each side (the storm's edges).
      tcp_packets: [79, 80, 81].flatMap((s) => inSecond(resets, s)).filter(isTcp).length,
      attacker: ATTACKER,
      victim: VICTIM,
      top_resetters: [{ ip: ATTACKER, resets: 300 }],
    },
  },
  {
    name: 'a 2 MB upload in one second is a traffic burst naming its sender, receiver and port',
    rule: trafficBursts,
    frames: upload,
    alert_type: 'traffic_burst',
    severity: 'low',
    details: {
      top_sender: '10.0.1.20',
      top_receiver: '203.0.113.7',
      port: 443,
      outbound_to_remote: true,
      bytes: wireBytes(inSecond(upload, 100)),
      top_bytes: wireBytes(upload.filter((f) => involves(f, '10.0.1.20', 26))),
    },
  },
  {
    name: '300 answered connections from one client to one service in a second are a connection burst',
    rule: connectionBursts,
    frames: connectionBurst(50, 300),
    alert_type: 'connection_burst',
    severity: 'medium',
    details: { source: '10.0.1.50', destination: '10.0.0.20', port: 8080, flows: 300, attempts: 300 },
  },
  {
    name: 'a connection sending each of 100 segments twice in a second is a retransmission spike',
    rule: retransmissionSpikes,
    frames: retransmitted,
    alert_type: 'retransmission_spike',
    severity: 'medium',
    details: {
      retransmissions: 100,
      tcp_packets: inSecond(retransmitted, 30).filter(isTcp).length,
      usual_rate: 0,
    },
    summary: /^100 TCP retransmissions in 1 s \([\d.]+% of TCP packets; usually 0\.0%\)\.$/,
  },
  {
    name: 'two seconds of lookups from 40 clients, which no rule names, are an anomaly burst of two windows',
    rule: anomalyBursts,
    frames: lookupStorm(40, 2, 5),
    alert_type: 'anomaly_burst',
    severity: 'medium',
    details: { windows: 2 },
  },
  {
    name: 'a connection to an address in an intel list network is an alert naming the list, the entry and its description',
    rule: intelMatches,
    frames: transfer('10.0.1.30', '192.0.2.77', 443, 40, 3, 200, 0.1),
    extras: { intel: parseIntelList('# watched\n192.0.2.0/24,C2 range\nevil.example\n', 'c2.txt') },
    alert_type: 'intel_match',
    severity: 'high',
    details: {
      list: 'c2.txt',
      entry: '192.0.2.0/24',
      kind: 'cidr',
      description: 'C2 range',
      address: '192.0.2.77',
      first_peer: '10.0.1.30',
      flows: 1,
      first_ts: T0 + 40,
    },
  },
  {
    name: '60 lookups of distinct long hex names under one domain are DNS tunnelling, naming the domain and client',
    rule: dnsTunnels,
    frames: dnsTunnel(30, 60),
    extras: (frames) => ({ logs: logTransactions(frames) }),
    alert_type: 'dns_tunnel',
    severity: 'medium',
    details: {
      domain: 'tunnel.example',
      client: '10.0.3.40',
      servers: ['10.0.0.53'],
      distinct_subdomains: 60,
      encoded_chars: 60 * 42,
      mean_length: 42,
      first_ts: T0 + 30,
    },
  },
  {
    name: '40 generated names answered NXDOMAIN in 20 s are an NXDOMAIN burst of the client',
    rule: nxdomainBursts,
    frames: dga(40, 40),
    extras: (frames) => ({ logs: logTransactions(frames) }),
    alert_type: 'nxdomain_burst',
    severity: 'medium',
    details: { client: '10.0.3.41', nx_names: 40, answered: 40, first_ts: T0 + 40 },
  },
  {
    name: '60 requests for missing paths answered 404 from one server are an HTTP scan naming client and server',
    rule: httpScans,
    frames: webScan(50, 60),
    extras: (frames) => ({ logs: logTransactions(frames) }),
    alert_type: 'http_scan',
    severity: 'medium',
    details: {
      client: '10.0.3.42',
      server: '10.0.0.80',
      host: 'intranet.corp',
      not_found: 60,
      answered: 60,
      distinct_uris: 60,
      first_ts: T0 + 50.01,
    },
  },
  {
    name: 'a one-off TLS fingerprint to a server no one else visits, amid 20 repeated hellos, is an odd TLS client',
    rule: rareJa4Clients,
    frames: oddTlsClient(60),
    extras: (frames) => ({ logs: logTransactions(frames) }),
    alert_type: 'rare_tls_client',
    severity: 'low',
    details: {
      client: '10.0.3.70',
      server: '203.0.113.99',
      server_port: 443,
      sni: 'upd.rare.example',
      hellos: 21,
      distinct_ja4: 2,
    },
  },
  {
    name: 'the address in most of the bytes is named the dominant talker, with its bytes and packets',
    rule: dominantTalker,
    frames: talkerFrames,
    alert_type: 'dominant_talker',
    severity: 'low',
    details: {
      ip: '10.0.1.99',
      bytes: wireBytes(all(talkerFrames).filter((f) => involves(f, '10.0.1.99'))),
      packets: all(talkerFrames).filter((f) => involves(f, '10.0.1.99')).length,
    },
  },
  {
    name: 'the port that carried the most bytes is named the dominant service, with its bytes and flows',
    rule: dominantService,
    frames: serviceFrames,
    alert_type: 'dominant_service',
    severity: 'low',
    details: {
      port: 8000,
      protocol: 'tcp',
      bytes: wireBytes(serviceFrames),
      flows: 1,
      packets: serviceFrames.length,
    },
  },
];

describe('detection rules, one row each', () => {
  it('has a row for every rule in RULE_LIST', () => {
    const missing = RULE_LIST.filter((rule) => !ROWS.some((row) => row.rule === rule)).map(
      (rule) => rule.name,
    );
    expect(missing).toEqual([]);
  });

  it('runs the RST storm rule after the port scan rule whose victims it leaves out', () => {
    const [scan, storm] = [portScans, rstStorms].map((rule) => RULE_LIST.indexOf(rule));
    expect(scan).toBeGreaterThanOrEqual(0);
    expect(storm).toBeGreaterThan(scan);
  });

  it("hping3 -S --flood is one SYN flood alert: not a connection burst, and the attacker's resets no RST storm of their own", async () => {
    const flood = answeredSynFlood('reset', ATTACKER, VICTIM, 443, 90, 2000);
    const { detection } = await detectFrames(all(flood), 'hping3.pcap');
    const alerts = detection.insights.filter((i) => i.insight_type === 'alert' && i.severity !== 'low');
    expect(alerts.map((i) => i.alert_type)).toEqual(['syn_flood']);
    expect(alerts[0].details).toMatchObject({ attacker: ATTACKER, attempts: 2000, completed: 0 });
    expect(alerts[0].summary).toBe(
      `SYN flood: ${VICTIM}:443 received 2,000 connection attempts (SYNs) from ${ATTACKER} in 2 s; none completed its handshake: 2,000 answered by a SYN-ACK that ${ATTACKER} reset.`,
    );
  });

  for (const row of ROWS)
    it(row.name, async () => {
      const frames = all(row.frames);
      const extras = typeof row.extras === 'function' ? row.extras(frames) : row.extras;
      const { result, summary, detection } = await detectFrames(frames, `${row.rule.name}.pcap`, extras);
      const raised = (insights: Insight[]) => insights.filter((i) => i.alert_type === row.alert_type);
      const found = raised(detection.insights);
      expect(found).toHaveLength(1);
      expect(found[0].severity).toBe(row.severity);
      expect(found[0].details).toMatchObject(row.details);
      if (row.summary) expect(found[0].summary).toMatch(row.summary);
      // The alert is this rule's own: without it in the list, no other rule raises it.
      const without = detect(
        result,
        summary,
        undefined,
        RULE_LIST.filter((rule) => rule !== row.rule),
        extras,
      );
      expect(raised(without.insights)).toEqual([]);
    });
});
