import { ip } from './protocols.js';
import type { Rng } from './random.js';

/**
 * The generated site: one local /24 (a gateway that is also the DNS resolver and NTP server, a
 * monitoring host, a file server, a web server published to the Internet, and the clients), and
 * remote servers with names, round trips and roles. Names are under the reserved example
 * domains; remote addresses are spread over a few providers' prefixes.
 */

export const LAN_PREFIX = '192.168.10';
export const LAN = `${LAN_PREFIX}.0/24`;
export const GATEWAY = ip(`${LAN_PREFIX}.1`);
export const MONITOR = ip(`${LAN_PREFIX}.2`);
export const FILE_SERVER = ip(`${LAN_PREFIX}.5`);
export const WEB_SERVER = ip(`${LAN_PREFIX}.10`);
export const FIRST_CLIENT = 30;
export const MAX_CLIENTS = 220;

const LAN_BASE = ip(`${LAN_PREFIX}.0`);
export const isLocal = (a: number): boolean => a >>> 8 === LAN_BASE >>> 8;
export const lanHost = (n: number): number => (LAN_BASE + n) >>> 0;

export type Role = 'web' | 'cdn' | 'api' | 'video' | 'update' | 'cloud' | 'mail';

export interface Server {
  name: string;
  addr: number;
  rtt: number;
  role: Role;
}

/** Remote servers: [name, address, round trip in ms, role]. */
const SERVERS: [string, string, number, Role][] = [
  ['www.example.com', '93.184.215.14', 88, 'web'],
  ['news.example.org', '151.101.65.67', 24, 'web'],
  ['shop.example.net', '104.18.32.47', 18, 'web'],
  ['wiki.example.org', '185.15.59.224', 31, 'web'],
  ['mail.example.com', '142.250.74.37', 12, 'mail'],
  ['forum.example.net', '172.67.143.12', 19, 'web'],
  ['travel.example.com', '13.107.246.40', 35, 'web'],
  ['bank.example.com', '23.52.83.10', 27, 'web'],
  ['docs.example.io', '140.82.121.4', 96, 'web'],
  ['search.example.com', '142.250.74.99', 11, 'web'],
  ['static.example-cdn.net', '151.101.1.140', 9, 'cdn'],
  ['img.example-cdn.net', '151.101.129.140', 9, 'cdn'],
  ['fonts.example-cdn.net', '142.250.74.67', 11, 'cdn'],
  ['js.example-cdn.net', '104.16.85.20', 14, 'cdn'],
  ['assets.example-cdn.net', '23.205.100.18', 21, 'cdn'],
  ['api.example.io', '52.95.110.1', 41, 'api'],
  ['telemetry.example.io', '20.42.65.92', 57, 'api'],
  ['push.example.io', '17.57.146.20', 76, 'api'],
  ['auth.example.com', '40.126.32.134', 33, 'api'],
  ['metrics.example.net', '34.117.59.81', 22, 'api'],
  ['video.example-stream.net', '198.38.120.140', 16, 'video'],
  ['media.example-stream.net', '45.57.40.1', 19, 'video'],
  ['updates.example-os.org', '91.189.91.38', 29, 'update'],
  ['download.example-os.org', '185.125.190.36', 31, 'update'],
  ['sync.example-cloud.com', '162.125.19.131', 84, 'cloud'],
  ['files.example-cloud.com', '52.219.170.42', 39, 'cloud'],
];

/** Upstream DNS resolvers the gateway forwards to, and public NTP servers it syncs with. */
export const UPSTREAM_DNS = [ip('9.9.9.9'), ip('149.112.112.112')];
export const NTP_POOL = [ip('162.159.200.1'), ip('194.58.202.20'), ip('129.250.35.250')];

export class Network {
  readonly servers: Server[];
  readonly byRole: Map<Role, Server[]>;
  /** Local client addresses and how busy each is (weights, sum not normalised). */
  readonly clients: number[];
  readonly weights: number[];
  /** Remote addresses that visit the published web server. */
  readonly visitors: number[];

  constructor(rng: Rng, hosts: number) {
    this.servers = SERVERS.map(([name, addr, rtt, role]) => ({
      name,
      addr: ip(addr),
      rtt: rtt / 1000,
      role,
    }));
    this.byRole = new Map();
    for (const s of this.servers) {
      const list = this.byRole.get(s.role) ?? [];
      list.push(s);
      this.byRole.set(s.role, list);
    }
    const n = Math.max(1, Math.min(MAX_CLIENTS, Math.round(hosts)));
    // Clients take addresses from .30 upward with a few gaps (machines that are switched off).
    this.clients = [];
    for (let h = FIRST_CLIENT; this.clients.length < n && h < 255; h++)
      if (!rng.chance(0.12)) this.clients.push(lanHost(h));
    for (let h = FIRST_CLIENT; this.clients.length < n && h < 255; h++)
      if (!this.clients.includes(lanHost(h))) this.clients.push(lanHost(h));
    this.clients.sort((a, b) => a - b);
    this.weights = this.clients.map(() => rng.logNormal(1, 0.7));
    this.visitors = [];
    for (let k = 0; k < 300; k++) {
      const a = rng.pick([24, 31, 37, 46, 62, 77, 81, 86, 89, 95, 109, 176, 178, 188, 203, 212, 213]);
      this.visitors.push(ip(`${a}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`));
    }
  }

  role(r: Role): Server[] {
    return this.byRole.get(r) ?? [];
  }

  /** Every address on the LAN that answers (servers and clients). */
  liveHosts(): number[] {
    return [GATEWAY, MONITOR, FILE_SERVER, WEB_SERVER, ...this.clients];
  }
}
