import {
  FILE_SERVER,
  GATEWAY,
  LAN_PREFIX,
  MONITOR,
  type Network,
  NTP_POOL,
  type Role,
  type Server,
  UPSTREAM_DNS,
  WEB_SERVER,
} from './network.js';
import { FILL_TLS, PROTO_UDP } from './packets.js';
import {
  clientHello,
  dnsMessage,
  type Exchange,
  httpRequest,
  httpResponse,
  ip,
  ntpPacket,
  serverHello,
  type TcpOptions,
  type Traffic,
} from './protocols.js';
import type { Rng } from './random.js';

export interface BackgroundOptions {
  durationS: number;
  /** Multiplies how often every activity happens (not how big each one is). */
  scale: number;
  /** Depth of the slow rise and fall of activity over the capture, 0..0.9. */
  diurnal: number;
  /** Length of one activity cycle, seconds (default: the capture's duration, one "day"). */
  cycleS: number;
}

const PAGES = ['/', '/index.html', '/news', '/search?q=weather', '/products/42', '/login', '/static/app.js'];

/**
 * Ordinary office traffic over the whole capture: web browsing (DNS lookups, then HTTPS or HTTP
 * connections to a site and its CDNs), background API polls, software downloads, cloud uploads,
 * a video stream or two, file-server reads and writes on the LAN, visitors to the published web
 * server, an administrator's SSH session, NTP, monitoring pings and ARP. Activity rises and falls
 * smoothly over the capture (a compressed working day), and each client has its own level.
 */
export class Background {
  private readonly ports = new Map<number, number>();
  private readonly clientDns = new Map<number, Map<string, number>>();
  private readonly gatewayDns = new Map<string, number>();
  private readonly helloCache = new Map<string, number>();
  private readonly serverHelloRef: number;
  private readonly ntpClient: number;
  private readonly ntpServer: number;
  private dnsId = 1;
  private readonly weightTotal: number;

  constructor(
    private readonly tr: Traffic,
    private readonly net: Network,
    private readonly rng: Rng,
    private readonly o: BackgroundOptions,
  ) {
    this.serverHelloRef = tr.list.keep(serverHello(this.randomBytes(32)));
    this.ntpClient = tr.list.keep(ntpPacket(false));
    this.ntpServer = tr.list.keep(ntpPacket(true));
    this.weightTotal = net.weights.reduce((a, b) => a + b, 0);
  }

  /** Activity level at time t: 1 ± diurnal, lowest at the start and end of a cycle. */
  activity(t: number): number {
    return 1 - this.o.diurnal * Math.cos((2 * Math.PI * t) / this.o.cycleS);
  }

  run(): void {
    const D = this.o.durationS;
    const s = this.o.scale;
    const net = this.net;
    const clients = net.clients.length;
    // Web visits: about one a minute per client at the day's average level.
    this.poisson((clients * s) / 60, true, (t) => this.webVisit(t, this.client()));
    // API and telemetry polls: activity-independent, every couple of minutes per client.
    this.poisson((clients * s) / 150, false, (t) => this.apiPoll(t, this.client()));
    // Software downloads and cloud uploads.
    this.poisson((s * clients) / 60 / 150, true, (t) => this.download(t, this.client()));
    this.poisson((s * clients) / 60 / 240, true, (t) => this.upload(t, this.client()));
    // File server on the LAN.
    this.poisson((s * clients) / 60 / 90, true, (t) => this.fileServer(t, this.client()));
    // Visitors to the published web server.
    this.poisson(0.25 * s, true, (t) => this.visitor(t));
    // Video streams, one per 40 clients.
    const streams = Math.max(1, Math.round(clients / 40));
    for (let k = 0; k < streams; k++) {
      const start = this.rng.between(0, 0.4 * D);
      this.video(start, Math.min(D - 1, start + this.rng.between(0.3, 0.7) * D), this.client());
    }
    this.ssh(this.rng.between(0.05, 0.3) * D, this.rng.between(0.5, 0.9) * D);
    this.persistent(D);
    this.chatter(D);
    this.ntp(D);
    this.pings(D);
    this.arps(D);
  }

  // ---------------------------------------------------------------------------------- helpers

  /** Calls `at(t)` at the times of a Poisson process of `rate` per second (thinned by activity). */
  private poisson(rate: number, diurnal: boolean, at: (t: number) => void): void {
    if (rate <= 0) return;
    const peak = diurnal ? 1 + this.o.diurnal : 1;
    const D = this.o.durationS;
    for (let t = this.rng.exp(1 / (rate * peak)); t < D; t += this.rng.exp(1 / (rate * peak)))
      if (!diurnal || this.rng.float() * peak < this.activity(t)) at(t);
  }

  private client(): number {
    return this.net.clients[this.rng.weighted(this.net.weights, this.weightTotal)];
  }

  private port(host: number): number {
    let p = this.ports.get(host) ?? this.rng.int(32768, 60000);
    p = p >= 60999 ? 32768 : p + 1;
    this.ports.set(host, p);
    return p;
  }

  private randomBytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.rng.int(0, 255);
    return b;
  }

  private hello(name: string): number {
    let ref = this.helloCache.get(name);
    if (ref === undefined) {
      ref = this.tr.list.keep(clientHello(name, this.randomBytes(64)));
      this.helloCache.set(name, ref);
    }
    return ref;
  }

  private pickServer(role: Role): Server {
    return this.rng.pick(this.net.role(role));
  }

  /** The client's lookup of `name` (answer `addr`); returns when the client has its answer. */
  private resolve(t: number, client: number, name: string, addr: number): number {
    const cache = this.clientDns.get(client) ?? new Map<string, number>();
    this.clientDns.set(client, cache);
    if ((cache.get(name) ?? -1) > t) return t;
    const r = this.rng;
    const id = this.dnsId++;
    const cport = this.port(client);
    const list = this.tr.list;
    list.add(t, {
      src: client,
      dst: GATEWAY,
      proto: PROTO_UDP,
      sport: cport,
      dport: 53,
      payload: list.keep(dnsMessage(id, name, 1, false)),
    });
    let answerAt = t + r.between(0.0002, 0.001);
    if ((this.gatewayDns.get(name) ?? -1) <= t) {
      // The gateway's cache misses: it asks upstream first.
      const up = r.pick(UPSTREAM_DNS);
      const uport = r.int(1024, 65535);
      const uid = r.int(0, 65535);
      const sent = t + 0.0002;
      const rtt = r.between(0.012, 0.035);
      this.tr.udp(
        sent,
        GATEWAY,
        up,
        uport,
        53,
        list.keep(dnsMessage(uid, name, 1, false)),
        list.keep(dnsMessage(uid, name, 1, true, [addr])),
        rtt,
      );
      answerAt = sent + rtt + 0.0002;
      this.gatewayDns.set(name, t + 300);
    }
    list.add(answerAt, {
      src: GATEWAY,
      dst: client,
      proto: PROTO_UDP,
      sport: 53,
      dport: cport,
      payload: list.keep(dnsMessage(id, name, 1, true, [addr])),
    });
    if (r.chance(0.5)) {
      // The AAAA lookup beside it: these servers have no IPv6 address.
      const id6 = this.dnsId++;
      const p6 = this.port(client);
      this.tr.udp(
        t + 0.0001,
        client,
        GATEWAY,
        p6,
        53,
        list.keep(dnsMessage(id6, name, 28, false)),
        list.keep(dnsMessage(id6, name, 28, true)),
        answerAt - t,
      );
    }
    cache.set(name, t + 60 + r.int(0, 240));
    return answerAt + 0.0005;
  }

  /** An HTTPS (or, now and then, plain HTTP) connection from a client to a server. */
  private connect(
    t: number,
    client: number,
    server: Server,
    exchanges: Exchange[],
    rates: { up: number; down: number },
    tls = true,
  ): number {
    const r = this.rng;
    const list = this.tr.list;
    const sport = tls ? 443 : 80;
    if (!tls && exchanges.length > 0) {
      const page = r.pick(PAGES);
      exchanges[0].upPayload = list.keep(httpRequest('GET', server.name, page));
      exchanges[0].up = Math.max(exchanges[0].up, list.payloads[exchanges[0].upPayload].length);
      exchanges[0].downPayload = list.keep(httpResponse(exchanges[0].down, 'text/html'));
    } else if (tls) {
      for (const x of exchanges) if (x.up > 0 && x.upPayload === undefined) x.upPayload = FILL_TLS;
    }
    const c = r.float();
    const close: TcpOptions['close'] = c < 0.7 ? 'client-fin' : c < 0.92 ? 'server-fin' : 'client-rst';
    return this.tr.tcp({
      t,
      client,
      server: server.addr,
      cport: this.port(client),
      sport,
      rtt: server.rtt,
      clientHello: tls ? this.hello(server.name) : undefined,
      serverHello: tls ? this.serverHelloRef : undefined,
      exchanges,
      upRate: rates.up,
      downRate: rates.down,
      close,
      loss: 0.002,
    });
  }

  private exchanges(n: number, median: number, sigma: number, cap: number): Exchange[] {
    const r = this.rng;
    const out: Exchange[] = [];
    for (let k = 0; k < n; k++)
      out.push({
        up: r.int(350, 1400),
        down: Math.round(Math.min(cap, Math.max(120, r.logNormal(median, sigma)))),
        pause: k === 0 ? 0.001 : r.between(0.05, 1.5),
        think: r.between(0.004, 0.08),
      });
    return out;
  }

  private webRates() {
    return { up: 1_000_000, down: Math.min(20e6, this.rng.logNormal(3e6, 0.6)) };
  }

  // -------------------------------------------------------------------------------- activities

  private webVisit(t: number, client: number): void {
    const r = this.rng;
    const site = r.chance(0.12) ? this.pickServer('mail') : this.pickServer('web');
    const tls = r.chance(0.85);
    const t1 = this.resolve(t, client, site.name, site.addr);
    const end = this.connect(
      t1,
      client,
      site,
      this.exchanges(r.int(1, 4), 25_000, 1.2, 3e6),
      this.webRates(),
      tls,
    );
    // The page pulls assets from a few CDNs and APIs in parallel.
    const assets = r.int(1, 3);
    for (let k = 0; k < assets; k++) {
      const s = r.chance(0.75) ? this.pickServer('cdn') : this.pickServer('api');
      const at = t1 + Math.min(end - t1, r.between(0.1, 0.6));
      const t2 = this.resolve(at, client, s.name, s.addr);
      this.connect(t2, client, s, this.exchanges(r.int(1, 6), 12_000, 1.3, 2e6), this.webRates(), true);
    }
  }

  private apiPoll(t: number, client: number): void {
    const r = this.rng;
    const s = this.pickServer('api');
    const t1 = this.resolve(t, client, s.name, s.addr);
    this.connect(t1, client, s, this.exchanges(1, 600, 0.5, 5000), { up: 500_000, down: 2e6 }, true);
    if (r.chance(0.02)) {
      // A mistyped or stale name: NXDOMAIN.
      const id = this.dnsId++;
      const name = `${s.name.split('.')[0]}${r.int(1, 99)}.example.invalid`;
      const list = this.tr.list;
      this.tr.udp(
        t + 0.01,
        client,
        GATEWAY,
        this.port(client),
        53,
        list.keep(dnsMessage(id, name, 1, false)),
        list.keep(dnsMessage(id, name, 1, true, [], 3)),
        r.between(0.015, 0.04),
      );
    }
  }

  private download(t: number, client: number): void {
    const r = this.rng;
    const s = r.chance(0.7) ? this.pickServer('update') : this.pickServer('cdn');
    const size = Math.round(Math.min(150e6, r.logNormal(15e6, 0.8)));
    const t1 = this.resolve(t, client, s.name, s.addr);
    this.connect(t1, client, s, [{ up: r.int(300, 600), down: size, think: 0.02 }], {
      up: 1e6,
      down: Math.min(12e6, r.logNormal(4e6, 0.5)),
    });
  }

  private upload(t: number, client: number): void {
    const r = this.rng;
    const s = this.pickServer('cloud');
    const size = Math.round(Math.min(25e6, r.logNormal(2.5e6, 0.9)));
    const t1 = this.resolve(t, client, s.name, s.addr);
    this.connect(t1, client, s, [{ up: size, down: r.int(300, 900), think: 0.05 }], {
      up: Math.min(4e6, r.logNormal(1.2e6, 0.4)),
      down: 2e6,
    });
  }

  private fileServer(t: number, client: number): void {
    const r = this.rng;
    const n = r.int(1, 4);
    const ex: Exchange[] = [];
    for (let k = 0; k < n; k++) {
      const size = Math.round(Math.min(60e6, r.logNormal(3e6, 1)));
      const write = r.chance(0.25);
      ex.push({
        up: write ? size : r.int(150, 400),
        down: write ? r.int(100, 300) : size,
        pause: k === 0 ? 0.001 : r.between(0.2, 5),
        think: r.between(0.0005, 0.01),
      });
    }
    const rate = Math.min(80e6, r.logNormal(30e6, 0.3));
    this.tr.tcp({
      t,
      client,
      server: FILE_SERVER,
      cport: this.port(client),
      sport: 445,
      rtt: 0,
      exchanges: ex,
      upRate: rate,
      downRate: rate,
      close: 'client-fin',
      loss: 0.0005,
    });
  }

  private visitor(t: number): void {
    const r = this.rng;
    const v = r.pick(this.net.visitors);
    this.tr.tcp({
      t,
      client: v,
      server: WEB_SERVER,
      cport: r.int(1024, 65535),
      sport: 443,
      rtt: 0.02 + (v % 130) / 1000,
      clientHello: this.hello('www.branch-office.example'),
      serverHello: this.serverHelloRef,
      exchanges: this.exchanges(r.int(1, 3), 20_000, 1, 1e6).map((x) => ({ ...x, upPayload: FILL_TLS })),
      upRate: 300_000,
      downRate: 5e6,
      close: r.chance(0.8) ? 'client-fin' : 'server-fin',
      loss: 0.003,
    });
  }

  private video(from: number, to: number, client: number): void {
    const r = this.rng;
    const s = this.pickServer('video');
    const t1 = this.resolve(from, client, s.name, s.addr);
    const ex: Exchange[] = [];
    for (let t = t1; t < to; t += 4) {
      ex.push({
        up: r.int(500, 800),
        down: Math.round(r.logNormal(450_000, 0.25)),
        pause: ex.length === 0 ? 0.001 : r.between(3.2, 3.9),
        think: r.between(0.01, 0.03),
      });
    }
    this.connect(t1, client, s, ex, { up: 1e6, down: 8e6 });
  }

  private ssh(from: number, to: number): void {
    const r = this.rng;
    const admin = this.net.clients[0];
    const ex: Exchange[] = [];
    for (let t = from; t < to; ) {
      const pause = r.exp(1.2);
      t += pause;
      ex.push({ up: r.pick([36, 36, 36, 52, 68]), down: r.int(36, 400), pause, think: 0.001 });
    }
    this.tr.tcp({
      t: from,
      client: admin,
      server: FILE_SERVER,
      cport: this.port(admin),
      sport: 22,
      rtt: 0,
      exchanges: ex,
      upRate: 1e6,
      downRate: 1e6,
      close: 'client-fin',
      loss: 0,
    });
  }

  /**
   * Connections every client keeps open (push notifications, chat, mail IDLE), already open when
   * the capture starts: a small exchange every 15 to 60 seconds, never closed.
   */
  private persistent(D: number): void {
    const r = this.rng;
    const servers = [...this.net.role('api'), ...this.net.role('mail')];
    for (const c of this.net.clients) {
      const n = r.int(1, 3);
      for (let k = 0; k < n; k++) {
        const s = r.pick(servers);
        const every = r.between(15, 60);
        const ex: Exchange[] = [];
        const first = r.between(0, every);
        for (let t = first; t < D; t += every * r.between(0.9, 1.1))
          ex.push({
            up: r.int(31, 120),
            down: r.int(31, 160),
            pause: ex.length === 0 ? 0 : every,
            upPayload: FILL_TLS,
          });
        this.tr.tcp({
          t: first,
          client: c,
          server: s.addr,
          cport: this.port(c),
          sport: s.role === 'mail' ? 993 : 443,
          rtt: s.rtt,
          exchanges: ex,
          upRate: 1e6,
          downRate: 1e6,
          close: 'none',
          loss: 0,
          established: true,
        });
      }
    }
  }

  /** Local name and service discovery: mDNS, SSDP, NetBIOS and LLMNR announcements and queries. */
  private chatter(D: number): void {
    const r = this.rng;
    const list = this.tr.list;
    const kinds = [
      { dst: ip('224.0.0.251'), port: 5353, sport: 5353, len: [60, 350] },
      { dst: ip('239.255.255.250'), port: 1900, sport: 0, len: [120, 400] },
      { dst: ip(`${LAN_PREFIX}.255`), port: 137, sport: 137, len: [50, 68] },
      { dst: ip('224.0.0.252'), port: 5355, sport: 0, len: [30, 60] },
    ];
    for (const c of this.net.clients) {
      for (let t = r.between(0, 90); t < D; t += r.between(30, 150)) {
        const k = r.pick(kinds);
        list.add(t, {
          src: c,
          dst: k.dst,
          proto: PROTO_UDP,
          sport: k.sport || this.port(c),
          dport: k.port,
          len: r.int(k.len[0], k.len[1]),
        });
      }
    }
  }

  private ntp(D: number): void {
    const r = this.rng;
    for (const c of this.net.clients) {
      const every = r.pick([256, 512, 1024]);
      for (let t = r.between(0, every); t < D; t += every * r.between(0.95, 1.05))
        this.tr.udp(t, c, GATEWAY, 123, 123, this.ntpClient, this.ntpServer, r.between(0.0002, 0.0006));
    }
    NTP_POOL.forEach((server, k) => {
      for (let t = r.between(0, 64) + k; t < D; t += 64 * r.between(0.98, 1.02))
        this.tr.udp(t, GATEWAY, server, 123, 123, this.ntpClient, this.ntpServer, r.between(0.008, 0.04));
    });
  }

  private pings(D: number): void {
    const targets = [GATEWAY, FILE_SERVER, WEB_SERVER];
    let seq = 0;
    for (let t = this.rng.between(0, 10); t < D; t += 10) {
      seq++;
      targets.forEach((h, k) => {
        this.tr.ping(t + k * 0.01, MONITOR, h, 0x4d00 + k, seq, 0);
      });
      if (seq % 3 === 0) this.tr.ping(t + 0.05, MONITOR, UPSTREAM_DNS[0], 0x4e00, seq / 3, 0.018);
    }
  }

  private arps(D: number): void {
    const r = this.rng;
    for (const c of this.net.clients) {
      for (let t = r.between(0, 300); t < D; t += r.between(120, 600)) this.tr.arp(t, c, GATEWAY, true);
    }
    for (let t = r.between(0, 60); t < D; t += r.between(30, 90)) {
      this.tr.arp(t, GATEWAY, this.rng.pick(this.net.clients), true);
    }
  }
}
