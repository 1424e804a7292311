import { FILE_SERVER, GATEWAY, isLocal, LAN, lanHost, type Network, WEB_SERVER } from './network.js';
import { ACK, FILL_TLS, PROTO_TCP, RST, SYN } from './packets.js';
import { clientHello, dnsMessage, httpRequest, ip, ipText, serverHello, type Traffic } from './protocols.js';
import type { Rng } from './random.js';

export const ATTACK_TYPES = [
  'port_scan',
  'host_sweep',
  'syn_flood',
  'connection_burst',
  'exfiltration',
  'rst_storm',
  // Seen only in the protocol logs (DNS, HTTP, TLS): the rules that read them find these.
  'dns_tunnel',
  'dga',
  'web_scan',
  'odd_tls_client',
] as const;
/** The attacks the flow-level rules find (the demo's): the others need the protocol logs. */
export const FLOW_ATTACK_TYPES = [
  'port_scan',
  'host_sweep',
  'syn_flood',
  'connection_burst',
  'exfiltration',
  'rst_storm',
] as const satisfies readonly (typeof ATTACK_TYPES)[number][];
export type AttackType = (typeof ATTACK_TYPES)[number];

/** What to inject; everything left out is drawn from the seed. */
export interface AttackSpec {
  type: AttackType;
  /** Start, seconds from the capture's start. */
  at?: number;
  /** Rate multiplier (exfiltration: volume multiplier); 1 is the usual strength. */
  intensity?: number;
  /** The attacking address (a syn_flood or rst_storm without one uses spoofed sources). */
  attacker?: string;
  victim?: string;
  /** syn_flood and rst_storm: spoofed random sources (default) or the one attacker. */
  spoofed?: boolean;
  /** syn_flood: whether the victim answers the SYNs (default drawn, mostly yes); false is a host that
   * is down or a firewall that drops them. */
  answers?: boolean;
  /** syn_flood: the victim answers with SYN cookies (one SYN-ACK per SYN, never repeated); without,
   * it repeats each SYN-ACK until it gives up and drops new SYNs while 256 are half-open. */
  synCookies?: boolean;
  /** syn_flood from one attacker: its kernel resets each SYN-ACK ('reset', as under
   * `hping3 -S --flood`) or a firewall drops them ('ignore'). */
  attackerReply?: 'reset' | 'ignore';
  /** How long it lasts, seconds (floods, storms and bursts; scans and uploads last as long as they need). */
  durationS?: number;
}

/** One injected attack as it is in the capture: the ground truth. */
export interface AttackTruth {
  type: AttackType;
  /** Capture times (seconds since the epoch) of the attack's first and last packet. */
  start_ts: number;
  end_ts: number;
  /** The attacking address; null when the sources are spoofed. */
  attacker: string | null;
  /** The address attacked; a sweep's is its subnet, an exfiltration's is where the data went. */
  victim: string;
  port: number | null;
  spoofed: boolean;
  packets: number;
  /** Per type: ports, hosts, connections, bytes, resets. */
  details: Record<string, number | string | number[]>;
  description: string;
}

export interface PlannedAttack {
  spec: AttackSpec;
  durationS: number;
  emit(t0: number): Omit<AttackTruth, 'start_ts' | 'end_ts'> & { start: number; end: number };
}

const OPEN_PORTS = new Map<number, number[]>([
  [FILE_SERVER, [22, 139, 445]],
  [WEB_SERVER, [22, 80, 443]],
]);
/** Well-known ports first, then the rest of 1–1024 and some high ones: roughly nmap's top ports. */
const SCAN_PORTS = (() => {
  const first = [
    21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 443, 445, 993, 995, 1723, 3306, 3389, 5900, 8080,
  ];
  const rest: number[] = [];
  for (let p = 1; p <= 1024; p++) if (!first.includes(p)) rest.push(p);
  const high = [
    1433, 1521, 2049, 2082, 2083, 3000, 5000, 5432, 5800, 6379, 8000, 8443, 8888, 9090, 9200, 27017,
  ];
  return [...first, ...high, ...rest];
})();
const REMOTE_ATTACKERS = [
  '45.155.205.233',
  '185.220.101.47',
  '91.240.118.172',
  '193.142.146.35',
  '80.94.95.81',
];
const DROP_SITES = [
  ['upload.example-storage.net', '5.188.62.140'],
  ['share.example-paste.org', '194.26.29.113'],
  ['backup.example-files.io', '45.134.26.79'],
] as const;

const rnd = (r: Rng) => r.int(0, 0xffffffff);

/** Draws an attack's parameters and returns how long it lasts and how to emit it. */
export function planAttack(tr: Traffic, net: Network, r: Rng, spec: AttackSpec): PlannedAttack {
  const k = spec.intensity ?? 1;
  const L = tr.list;
  const lanDelay = () => 0.0002 + r.float() * 0.0003;
  const pickClient = () => r.pick(net.clients.slice(1));
  switch (spec.type) {
    case 'dns_tunnel':
    case 'dga':
    case 'web_scan':
    case 'odd_tls_client':
      return planLogAttack(tr, net, r, spec);
    case 'port_scan': {
      const local = spec.attacker ? true : r.chance(0.6);
      const attacker = spec.attacker
        ? ip(spec.attacker)
        : local
          ? pickClient()
          : ip(r.pick(REMOTE_ATTACKERS));
      const victim = spec.victim ? ip(spec.victim) : r.pick([FILE_SERVER, WEB_SERVER, pickClient()]);
      const ports = 1000;
      const rate = r.between(150, 600) * k;
      const rtt = isLocal(attacker) ? 0 : r.between(0.03, 0.12);
      return {
        spec,
        durationS: ports / rate,
        emit(t0) {
          const open = OPEN_PORTS.get(victim) ?? [22];
          const list = SCAN_PORTS.slice(0, ports);
          // nmap shuffles its port list.
          for (let i = list.length - 1; i > 0; i--) {
            const j = r.int(0, i);
            [list[i], list[j]] = [list[j], list[i]];
          }
          const sport = r.int(40000, 65000);
          const seq = rnd(r);
          let t = t0;
          let packets = 0;
          let last = t0;
          for (const port of list) {
            L.add(t, { src: attacker, dst: victim, proto: PROTO_TCP, sport, dport: port, flags: SYN, seq });
            const reply = t + lanDelay();
            if (open.includes(port)) {
              L.add(reply, {
                src: victim,
                dst: attacker,
                proto: PROTO_TCP,
                sport: port,
                dport: sport,
                flags: SYN | ACK,
                seq: rnd(r),
                ack: seq + 1,
              });
              last = reply + (rtt || lanDelay());
              L.add(last, {
                src: attacker,
                dst: victim,
                proto: PROTO_TCP,
                sport,
                dport: port,
                flags: RST,
                seq: seq + 1,
              });
              packets += 3;
            } else {
              L.add(reply, {
                src: victim,
                dst: attacker,
                proto: PROTO_TCP,
                sport: port,
                dport: sport,
                flags: RST | ACK,
                ack: seq + 1,
              });
              last = Math.max(last, reply);
              packets += 2;
            }
            t += r.exp(1 / rate);
          }
          return {
            type: 'port_scan',
            start: t0,
            end: last,
            attacker: ipText(attacker),
            victim: ipText(victim),
            port: null,
            spoofed: false,
            packets,
            details: { ports, open_ports: open },
            description: `${ipText(attacker)} SYN-scans ${ports} TCP ports of ${ipText(victim)}.`,
          };
        },
      };
    }
    case 'host_sweep': {
      const attacker = spec.attacker ? ip(spec.attacker) : pickClient();
      const local = isLocal(attacker);
      const port = r.pick([445, 22, 3389, 23]);
      const rate = r.between(25, 80) * k;
      return {
        spec,
        durationS: 254 / rate,
        emit(t0) {
          const live = new Set(net.liveHosts());
          const targets: number[] = [];
          for (let h = 1; h <= 254; h++) if (lanHost(h) !== attacker) targets.push(lanHost(h));
          const sport = r.int(40000, 65000);
          const seq = rnd(r);
          let t = t0;
          let packets = 0;
          let last = t0;
          for (const target of targets) {
            const up = live.has(target);
            let at = t;
            if (local) {
              // On its own LAN the attacker must ARP for every address; only live hosts answer.
              tr.arp(t, attacker, target, up);
              packets += up ? 2 : 1;
              last = Math.max(last, up ? t + 0.0003 : t);
              if (!up) {
                t += r.exp(1 / rate);
                continue;
              }
              at = t + 0.0006;
            }
            L.add(at, { src: attacker, dst: target, proto: PROTO_TCP, sport, dport: port, flags: SYN, seq });
            packets++;
            const opens =
              (target === FILE_SERVER && (port === 445 || port === 22)) ||
              (target !== FILE_SERVER && port === 445 && target % 3 === 0) ||
              (port === 3389 && target % 7 === 0);
            if (up) {
              const reply = at + lanDelay();
              L.add(reply, {
                src: target,
                dst: attacker,
                proto: PROTO_TCP,
                sport: port,
                dport: sport,
                flags: opens ? SYN | ACK : RST | ACK,
                seq: rnd(r),
                ack: seq + 1,
              });
              packets++;
              last = Math.max(last, reply);
              if (opens) {
                L.add(reply + lanDelay(), {
                  src: attacker,
                  dst: target,
                  proto: PROTO_TCP,
                  sport,
                  dport: port,
                  flags: RST,
                  seq: seq + 1,
                });
                packets++;
                last = reply + 0.001;
              }
            } else {
              // nmap repeats an unanswered probe once.
              L.add(at + 1, {
                src: attacker,
                dst: target,
                proto: PROTO_TCP,
                sport,
                dport: port,
                flags: SYN,
                seq,
              });
              packets++;
              last = Math.max(last, at + 1);
            }
            t += r.exp(1 / rate);
          }
          return {
            type: 'host_sweep',
            start: t0,
            end: Math.max(last, t0),
            attacker: ipText(attacker),
            victim: LAN,
            port,
            spoofed: false,
            packets,
            details: { hosts: targets.length, live_hosts: targets.filter((h) => live.has(h)).length },
            description: `${ipText(attacker)} sweeps ${LAN} for ${port}/tcp${local ? ' (ARP first, then SYN to the hosts that answer)' : ''}.`,
          };
        },
      };
    }
    case 'syn_flood': {
      const spoofed = spec.spoofed ?? (spec.attacker ? false : r.chance(0.5));
      const attacker = spec.attacker ? ip(spec.attacker) : ip(r.pick(REMOTE_ATTACKERS));
      const victim = spec.victim ? ip(spec.victim) : WEB_SERVER;
      const port = r.pick([443, 80]);
      // Most servers answer a SYN; a host that is down or behind a dropping firewall does not.
      const answers = spec.answers ?? r.chance(0.85);
      const synCookies = spec.synCookies ?? r.chance(0.5);
      // hping3 -S --flood sends raw SYNs, so its kernel resets each SYN-ACK; a firewall on the
      // attacker's side that drops them leaves them unacknowledged instead.
      const attackerReply = spec.attackerReply ?? (r.chance(0.7) ? 'reset' : 'ignore');
      const rate = r.between(300, 1500) * k;
      // One source increments its source port per SYN (as hping3 does): the flood stops before the
      // ports wrap, so that every SYN is a connection attempt of its own.
      const drawn = spec.durationS ?? r.between(15, 60);
      const duration = spoofed ? drawn : Math.min(drawn, 55_000 / rate);
      const rtt = isLocal(attacker) ? 0.0005 : r.between(0.03, 0.12);
      // A server without cookies repeats its last SYN-ACKs for 31 s after the last SYN.
      const repeats = answers && !synCookies && (spoofed || attackerReply === 'ignore');
      return {
        spec,
        durationS: duration + (repeats ? SYNACK_RETRIES[SYNACK_RETRIES.length - 1] + 1 : 1),
        emit(t0) {
          let syns = 0;
          let synacks = 0;
          let answered = 0;
          let resets = 0;
          let t = t0;
          let last = t0;
          let sport = r.int(1024, 65535 - Math.ceil(1.1 * rate * duration));
          // The victim's half-open connections (without SYN cookies): each held until the
          // initiator resets it or the last SYN-ACK retransmission times out; a SYN that finds the
          // backlog full is dropped.
          const release: number[] = [];
          let head = 0;
          for (; t < t0 + duration; t += r.exp(1 / rate)) {
            const src = spoofed ? spoofedSource(r) : attacker;
            const sp = spoofed ? r.int(1024, 65535) : sport++;
            const seq = rnd(r);
            L.add(t, { src, dst: victim, proto: PROTO_TCP, sport: sp, dport: port, flags: SYN, seq });
            syns++;
            last = Math.max(last, t);
            if (!answers) continue;
            while (head < release.length && release[head] <= t) head++;
            if (!synCookies && release.length - head >= SYN_BACKLOG) continue;
            answered++;
            const reply = t + 0.0002 + r.float() * 0.0003;
            const isn = rnd(r);
            const resetBy = !spoofed && attackerReply === 'reset';
            // With SYN cookies the server keeps no state, so it never repeats a SYN-ACK.
            const sends = synCookies || resetBy ? [0] : SYNACK_RETRIES;
            for (const after of sends) {
              L.add(reply + after, {
                src: victim,
                dst: src,
                proto: PROTO_TCP,
                sport: port,
                dport: sp,
                flags: SYN | ACK,
                seq: isn,
                ack: seq + 1,
              });
              synacks++;
              last = Math.max(last, reply + after);
            }
            if (resetBy) {
              const rst = reply + rtt;
              L.add(rst, {
                src,
                dst: victim,
                proto: PROTO_TCP,
                sport: sp,
                dport: port,
                flags: RST,
                seq: seq + 1,
              });
              resets++;
              last = Math.max(last, rst);
              if (!synCookies) release.push(rst);
            } else if (!synCookies) release.push(reply + SYNACK_GIVE_UP_S);
          }
          const kind = !answers ? 'unanswered' : spoofed ? 'spoofed' : attackerReply;
          return {
            type: 'syn_flood',
            start: t0,
            end: last,
            attacker: spoofed ? null : ipText(attacker),
            victim: ipText(victim),
            port,
            spoofed,
            packets: syns + synacks + resets,
            details: {
              kind,
              syns,
              // Every SYN is an attempt of its own (a new source port, or a new spoofed source).
              attempts: syns,
              completed: 0,
              synacked_attempts: answered,
              synacks,
              resets,
              syn_cookies: answers ? String(synCookies) : 'n/a',
              rate: Math.round(rate),
              span_s: Math.round((last - t0) * 1000) / 1000,
            },
            description: `${spoofed ? 'Spoofed sources flood' : `${ipText(attacker)} floods`} ${ipText(victim)}:${port} with ${Math.round(rate)} SYNs/s; ${floodAnswer(kind, synCookies)}.`,
          };
        },
      };
    }
    case 'connection_burst': {
      const attacker = spec.attacker ? ip(spec.attacker) : ip(r.pick(REMOTE_ATTACKERS));
      const victim = spec.victim ? ip(spec.victim) : WEB_SERVER;
      const rate = r.between(30, 120) * k;
      const duration = spec.durationS ?? r.between(10, 40);
      const rtt = isLocal(attacker) ? 0 : r.between(0.02, 0.09);
      const hello = L.keep(clientHello('www.branch-office.example', Buffer.alloc(64, 0x5a)));
      const sHello = L.keep(serverHello(Buffer.alloc(32, 0x33)));
      return {
        spec,
        durationS: duration,
        emit(t0) {
          const before = L.size;
          let n = 0;
          let last = t0;
          let port = r.int(20000, 60000);
          for (let t = t0; t < t0 + duration; t += r.exp(1 / rate)) {
            port = port >= 60999 ? 20000 : port + 1;
            // A login attempt: handshake, one POST, a short refusal, close.
            const end = tr.tcp({
              t,
              client: attacker,
              server: victim,
              cport: port,
              sport: 443,
              rtt,
              clientHello: hello,
              serverHello: sHello,
              exchanges: [
                {
                  up: r.int(700, 900),
                  down: r.int(350, 450),
                  upPayload: FILL_TLS,
                  think: r.between(0.01, 0.04),
                },
              ],
              upRate: 1e6,
              downRate: 5e6,
              close: 'client-fin',
              loss: 0,
            });
            last = Math.max(last, end);
            n++;
          }
          return {
            type: 'connection_burst',
            start: t0,
            end: last,
            attacker: ipText(attacker),
            victim: ipText(victim),
            port: 443,
            spoofed: false,
            packets: L.size - before,
            details: { connections: n, rate: Math.round(rate) },
            description: `${ipText(attacker)} opens ${n} complete connections to ${ipText(victim)}:443 (credential stuffing).`,
          };
        },
      };
    }
    case 'exfiltration': {
      const source = spec.attacker ? ip(spec.attacker) : pickClient();
      const [name, addr] = r.pick(DROP_SITES);
      const dest = spec.victim ? ip(spec.victim) : ip(addr);
      const bytes = Math.round(r.between(80e6, 300e6) * k);
      const rate = r.between(3e6, 8e6);
      const rtt = r.between(0.04, 0.12);
      return {
        spec,
        durationS: bytes / rate + 1,
        emit(t0) {
          const before = L.size;
          const id = r.int(1, 65535);
          const dport = r.int(50000, 60000);
          tr.udp(
            t0,
            source,
            lanHost(1),
            dport,
            53,
            L.keep(dnsMessage(id, name, 1, false)),
            L.keep(dnsMessage(id, name, 1, true, [dest])),
            0.03,
          );
          const end = tr.tcp({
            t: t0 + 0.04,
            client: source,
            server: dest,
            cport: dport + 1,
            sport: 443,
            rtt,
            clientHello: L.keep(clientHello(name, Buffer.alloc(64, 0x21))),
            serverHello: L.keep(serverHello(Buffer.alloc(32, 0x44))),
            exchanges: [{ up: bytes, down: r.int(200, 400), upPayload: FILL_TLS, think: 0.05 }],
            upRate: rate,
            downRate: 2e6,
            close: 'client-fin',
            loss: 0.001,
          });
          return {
            type: 'exfiltration',
            start: t0,
            end,
            attacker: ipText(source),
            victim: ipText(dest),
            port: 443,
            spoofed: false,
            packets: L.size - before,
            details: { bytes, rate: Math.round(rate), server_name: name },
            description: `${ipText(source)} uploads ${(bytes / 1e6).toFixed(0)} MB to ${ipText(dest)} (${name}) at ${(rate / 1e6).toFixed(1)} MB/s.`,
          };
        },
      };
    }
    case 'rst_storm': {
      const spoofed = spec.spoofed ?? !spec.attacker;
      const attacker = spec.attacker ? ip(spec.attacker) : ip(r.pick(REMOTE_ATTACKERS));
      const victim = spec.victim ? ip(spec.victim) : WEB_SERVER;
      const rate = r.between(200, 1000) * k;
      const duration = spec.durationS ?? r.between(5, 20);
      return {
        spec,
        durationS: duration,
        emit(t0) {
          let packets = 0;
          let last = t0;
          // Blind reset injection: RSTs aimed at guessed connections to the web server.
          for (let t = t0; t < t0 + duration; t += r.exp(1 / rate)) {
            const src = spoofed ? spoofedSource(r) : attacker;
            L.add(t, {
              src,
              dst: victim,
              proto: PROTO_TCP,
              sport: r.int(1024, 65535),
              dport: 443,
              flags: RST,
              seq: rnd(r),
            });
            packets++;
            last = t;
          }
          return {
            type: 'rst_storm',
            start: t0,
            end: last,
            attacker: spoofed ? null : ipText(attacker),
            victim: ipText(victim),
            port: 443,
            spoofed,
            packets,
            details: { resets: packets, rate: Math.round(rate) },
            description: `${spoofed ? 'Spoofed sources send' : `${ipText(attacker)} sends`} ${Math.round(rate)} RSTs/s at ${ipText(victim)}:443.`,
          };
        },
      };
    }
  }
}

/** Half-open connections a server without SYN cookies holds (Linux's tcp_max_syn_backlog is of this order). */
const SYN_BACKLOG = 256;
/** When a server without SYN cookies sends a SYN-ACK again, seconds after the first (Linux: 5 retries, doubling from 1 s). */
const SYNACK_RETRIES = [0, 1, 3, 7, 15, 31];
/** When it gives up on a half-open connection and frees its place. */
const SYNACK_GIVE_UP_S = 63;

function floodAnswer(kind: string, synCookies: boolean): string {
  const server = synCookies
    ? 'the server answers each with a SYN cookie'
    : 'the server answers while its backlog has room';
  if (kind === 'unanswered') return 'none is answered';
  if (kind === 'reset') return `${server}, and the attacker's kernel resets each SYN-ACK`;
  if (kind === 'ignore') return `${server}, and the attacker ignores each SYN-ACK`;
  return `${server}; its SYN-ACKs go to the spoofed addresses and are never acknowledged`;
}

/** A name of `n` characters from `alphabet`, drawn from the seed. */
function drawn(r: Rng, n: number, alphabet: string): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[r.int(0, alphabet.length - 1)];
  return s;
}

/** The attacks seen in the protocol logs: DNS tunnel, DGA, web scan, odd TLS client. */
function planLogAttack(tr: Traffic, net: Network, r: Rng, spec: AttackSpec): PlannedAttack {
  const k = spec.intensity ?? 1;
  const L = tr.list;
  const client = spec.attacker ? ip(spec.attacker) : r.pick(net.clients.slice(1));
  const lanDelay = () => 0.0002 + r.float() * 0.0008;
  switch (spec.type) {
    case 'dns_tunnel': {
      // Data hex-encoded into names under one domain, asked of the gateway's resolver.
      const domain = `${drawn(r, 6, 'abcdefghijklmnopqrstuvwxyz')}-sync.example`;
      const count = Math.round(r.between(150, 300) * k);
      const rate = r.between(4, 10);
      return {
        spec,
        durationS: count / rate,
        emit(t0) {
          let t = t0;
          let last = t0;
          for (let i = 0; i < count; i++) {
            const name = `${drawn(r, 48, '0123456789abcdef')}.${i.toString(36)}.t.${domain}`;
            const id = r.int(0, 0xffff);
            last = tr.udp(
              t,
              client,
              GATEWAY,
              r.int(20000, 60000),
              53,
              L.keep(dnsMessage(id, name, 1, false)),
              L.keep(dnsMessage(id, name, 1, true, [ip('198.51.100.53')])),
              lanDelay() + 0.03,
            );
            t += r.exp(1 / rate);
          }
          return {
            type: 'dns_tunnel',
            start: t0,
            end: last,
            attacker: ipText(client),
            victim: domain,
            port: 53,
            spoofed: false,
            packets: 2 * count,
            details: { queries: count, domain },
            description: `${ipText(client)} sends ${count} hex-encoded names under ${domain} (a DNS tunnel).`,
          };
        },
      };
    }
    case 'dga': {
      const count = Math.round(r.between(60, 150) * k);
      const rate = r.between(2, 6);
      const tlds = ['com', 'net', 'org', 'info', 'biz'];
      return {
        spec,
        durationS: count / rate,
        emit(t0) {
          let t = t0;
          let last = t0;
          for (let i = 0; i < count; i++) {
            const name = `${drawn(r, r.int(10, 16), 'abcdefghijklmnopqrstuvwxyz')}.${r.pick(tlds)}`;
            const id = r.int(0, 0xffff);
            last = tr.udp(
              t,
              client,
              GATEWAY,
              r.int(20000, 60000),
              53,
              L.keep(dnsMessage(id, name, 1, false)),
              L.keep(dnsMessage(id, name, 1, true, [], 3)),
              lanDelay() + 0.02,
            );
            t += r.exp(1 / rate);
          }
          return {
            type: 'dga',
            start: t0,
            end: last,
            attacker: ipText(client),
            victim: ipText(GATEWAY),
            port: 53,
            spoofed: false,
            packets: 2 * count,
            details: { names: count },
            description: `${ipText(client)} looks up ${count} generated names, every one NXDOMAIN (a domain generation algorithm).`,
          };
        },
      };
    }
    case 'web_scan': {
      const victim = spec.victim ? ip(spec.victim) : WEB_SERVER;
      const count = Math.round(r.between(150, 400) * k);
      const words = [
        'admin',
        'backup',
        'wp-login',
        'config',
        'phpmyadmin',
        '.git/HEAD',
        'old',
        'test',
        'api',
        'db',
      ];
      const notFound = L.keep(
        Buffer.from(
          'HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 0\r\n\r\n',
          'ascii',
        ),
      );
      return {
        spec,
        durationS: count * 0.03,
        emit(t0) {
          const exchanges = Array.from({ length: count }, (_, i) => {
            const req = httpRequest(
              'GET',
              ipText(victim),
              `/${r.pick(words)}-${i}.${r.pick(['php', 'zip', 'bak', 'txt'])}`,
            );
            return {
              up: req.length,
              down: 76,
              upPayload: L.keep(req),
              downPayload: notFound,
              think: 0.002,
              pause: 0.01,
            };
          });
          const before = L.size;
          const end = tr.tcp({
            t: t0,
            client,
            server: victim,
            cport: r.int(30000, 60000),
            sport: 80,
            rtt: 0,
            exchanges,
            upRate: 1e6,
            downRate: 1e6,
            close: 'client-fin',
            loss: 0,
          });
          return {
            type: 'web_scan',
            start: t0,
            end,
            attacker: ipText(client),
            victim: ipText(victim),
            port: 80,
            spoofed: false,
            packets: L.size - before,
            details: { requests: count },
            description: `${ipText(client)} asks ${ipText(victim)} for ${count} paths that are not there (a web scan).`,
          };
        },
      };
    }
    default: {
      // odd_tls_client: a ClientHello unlike the browsers' (other cipher suites) to a one-off server.
      const server = spec.victim
        ? ip(spec.victim)
        : ip(r.pick(['5.188.62.140', '194.26.29.113', '45.134.26.79']));
      const sni = `${drawn(r, 8, 'abcdefghijklmnopqrstuvwxyz')}.example-cdn.net`;
      const hello = clientHello(sni, Buffer.alloc(64, 0x42));
      // The suites start after record (5), handshake (4), version (2), random (32), session id (33)
      // headers, behind their 2-byte length: a reversed list is another JA3 and JA4.
      const at = 5 + 4 + 2 + 32 + 33 + 2;
      const n = hello.readUInt16BE(at - 2) / 2;
      const suites = Array.from({ length: n }, (_, i) => hello.readUInt16BE(at + 2 * i))
        .reverse()
        .slice(1);
      suites.push(0x009c);
      suites.forEach((v, i) => {
        hello.writeUInt16BE(v, at + 2 * i);
      });
      const ch = L.keep(hello);
      const sh = L.keep(serverHello(Buffer.alloc(32, 0x24)));
      return {
        spec,
        durationS: 5,
        emit(t0) {
          const before = L.size;
          const end = tr.tcp({
            t: t0,
            client,
            server,
            cport: r.int(30000, 60000),
            sport: 443,
            rtt: r.between(0.03, 0.12),
            clientHello: ch,
            serverHello: sh,
            exchanges: [{ up: 900, down: 4000, upPayload: FILL_TLS, think: 0.05 }],
            upRate: 1e6,
            downRate: 5e6,
            close: 'client-fin',
            loss: 0,
          });
          return {
            type: 'odd_tls_client',
            start: t0,
            end,
            attacker: ipText(client),
            victim: ipText(server),
            port: 443,
            spoofed: false,
            packets: L.size - before,
            details: { sni },
            description: `${ipText(client)} connects to ${sni} (${ipText(server)}) with a TLS client fingerprint no other host uses.`,
          };
        },
      };
    }
  }
}

/** A random public-looking IPv4 source (no private, loopback, multicast or reserved ranges). */
function spoofedSource(r: Rng): number {
  for (;;) {
    const a = r.int(1, 223);
    if (a === 10 || a === 127 || a === 100 || a === 169 || a === 172 || a === 192) continue;
    return ((a << 24) | (r.int(0, 255) << 16) | (r.int(0, 255) << 8) | r.int(1, 254)) >>> 0;
  }
}
