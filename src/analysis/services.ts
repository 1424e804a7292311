import { TCP_SERVICES, UDP_SERVICES } from './services-data.js';

function unpack(packed: string): Map<number, string> {
  const map = new Map<number, string>();
  for (const entry of packed.split(' ')) {
    const colon = entry.indexOf(':');
    map.set(Number(entry.slice(0, colon)), entry.slice(colon + 1));
  }
  return map;
}

const TCP = unpack(TCP_SERVICES);
const UDP = unpack(UDP_SERVICES);

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
  return (transport === 'tcp' ? TCP : UDP).get(port) ?? null;
}

/** The dashboard's form: "443 (HTTPS)", or just "49152" for an unregistered port. */
export function serviceLabel(transport: 'tcp' | 'udp', port: number): string {
  const name = serviceName(transport, port);
  if (name === null) return String(port);
  return `${port} (${DISPLAY[name] ?? name.toUpperCase()})`;
}
