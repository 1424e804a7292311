import { defaultDemoDir } from '../generate/demo-defaults.js';
import { defaultDbDir } from '../storage/db/target.js';

// The usage text: `flowlens help`, and each command's part of it for `flowlens COMMAND --help`.

export const USAGE = `Usage: flowlens <command> [options]

Commands:
  analyze FILE... [--json] [--no-store] [--db DIR|URL] [--name NAME] [--window auto|SECONDS]
                  [--local-net CIDR,...] [--flow-timeout tcp=300,udp=60,icmp=60,other=60]
                  [--intel FILE]...
      Read pcap/pcapng captures (gzip allowed) in one pass and summarise them: totals, protocols,
      TCP health, flows, top talkers, ports, distributions, direction and time windows. Each
      capture is stored as a session (unless --no-store) and its session_id is printed.
      --json prints one JSON summary document on stdout (an array when several files are given).
      --window picks the window length (default auto: the smallest of 1, 2, 5, 10, 15, 30, 60,
      120, 300, 600, 900, 1800, 3600 s giving at most 1000 windows).
      --local-net sets the local networks for inbound/outbound (default: private, shared,
      link-local and loopback ranges).
      --flow-timeout sets flow idle timeouts in seconds.
      --intel names an intel list (repeatable): IPs, CIDRs, domains (subdomains match), JA3 or
      JA4 hashes, one per line or CSV "entry,description"; every match is a high alert.
  serve [--host 127.0.0.1] [--port 8080] [--token TOKEN] [--max-upload SIZE] [--concurrency N]
      Serve the dashboard and the HTTP API (docs/API.md). Binds 127.0.0.1 unless --host says
      otherwise; with --token (or FLOWLENS_TOKEN, which other users cannot see in the process
      list) every API call needs the token, and the pages ask for it before showing any data.
      --max-upload limits uploads (default 4GB; units kB, MB, GB); --concurrency is how many
      captures are analysed at once (default 1, the rest wait).
  sessions [--json]           List stored sessions, newest first.
  show ID [--json]            Print a stored session's summary.
  export ID --flows [--format csv|json|zeek]
                              Write a session's flows on stdout: CSV with a header, JSON Lines
                              (one object a line), or a Zeek conn.log.
  delete ID                   Delete a session and everything stored with it.
  demo [--seed N] [--duration SECONDS] [--hosts N] [--dir DIR] [--json]
                              Generate a labelled sample capture (office traffic with a port
                              scan, host sweep, SYN flood, connection burst, exfiltration and
                              RST storm at known times; ground truth in a .truth.json beside it)
                              in ${defaultDemoDir()} and store it as a session.
  help                        Show this text.

Every command that stores or reads sessions takes --db: a folder for the embedded database
(default ${defaultDbDir()}) or a postgres:// URL; DATABASE_URL is used when --db is not given.

Exit status: 0 success (warnings allowed), 1 a capture was rejected or a session not found,
2 bad usage.
`;

export const COMMANDS = ['analyze', 'serve', 'sessions', 'show', 'export', 'delete', 'demo'];

/** One command's part of USAGE (its lines up to the next command), with the --db note. */
export function commandUsage(command: string | undefined): string | null {
  if (!command || !COMMANDS.includes(command)) return null;
  const lines = USAGE.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`  ${command} `) || l === `  ${command}`);
  if (start < 0) return null;
  let end = start + 1;
  while (end < lines.length && /^ {3,}\S/.test(lines[end])) end++;
  // Every command opens the database: the paragraph on --db.
  const db = lines.findIndex((l) => l.startsWith('Every command that stores'));
  const own = lines.slice(start, end).map((l, i) => (i === 0 ? l.trimStart() : l));
  return `Usage: flowlens ${own.join('\n')}\n\n${lines.slice(db, db + 2).join('\n')}\n`;
}
