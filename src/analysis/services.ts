import { TCP_SERVICES, UDP_SERVICES } from './services-data.js';

// Looked up in the packed text instead of unpacked into a Map at load: unpacking all ~6,000 entries
// cost ~10 ms of every CLI start, and a summary asks for a few dozen ports. Answers are cached.
function lookup(packed: string, cache: Map<number, string | null>, port: number): string | null {
  if (!Number.isInteger(port) || port < 0 || port > 65535) return null;
  const known = cache.get(port);
  if (known !== undefined) return known;
  const key = `${port}:`;
  const at = packed.startsWith(key) ? 0 : packed.indexOf(` ${key}`);
  let name: string | null = null;
  if (at >= 0) {
    const from = at === 0 ? key.length : at + 1 + key.length;
    const end = packed.indexOf(' ', from);
    name = packed.slice(from, end < 0 ? packed.length : end);
  }
  cache.set(port, name);
  return name;
}

const TCP = new Map<number, string | null>();
const UDP = new Map<number, string | null>();

// Registry names that read poorly on a dashboard ("domain", "www"), shown as analysts say them.
const DISPLAY: Record<string, string> = {
  domain: 'DNS',
  http: 'HTTP',
  https: 'HTTPS',
  ssh: 'SSH',
  ntp: 'NTP',
  bootps: 'DHCP',
  bootpc: 'DHCP',
  mdns: 'MDNS',
  'ms-wbt-server': 'RDP',
  'netbios-ns': 'NetBIOS-NS',
  'netbios-dgm': 'NetBIOS-DGM',
  'netbios-ssn': 'NetBIOS-SSN',
  'microsoft-ds': 'SMB',
  imaps: 'IMAPS',
  pop3s: 'POP3S',
  submissions: 'SMTPS',
};

/** The IANA service name of a transport port, or null when the registry has none. */
export function serviceName(transport: 'tcp' | 'udp', port: number): string | null {
  return transport === 'tcp' ? lookup(TCP_SERVICES, TCP, port) : lookup(UDP_SERVICES, UDP, port);
}

/** The dashboard's form: "443 (HTTPS)", or just "49152" for an unregistered port. */
export function serviceLabel(transport: 'tcp' | 'udp', port: number): string {
  const name = serviceName(transport, port);
  if (name === null) return String(port);
  return `${port} (${DISPLAY[name] ?? name.toUpperCase()})`;
}
