import { defaultDemoDir } from '../generate/demo-defaults.js';
import { defaultDbDir } from '../storage/db/target.js';

// The usage text: `flowlens help`, and each command's part of it for `flowlens COMMAND --help`.

export const USAGE = `Usage: flowlens <command> [options]

Commands:
  analyze FILE... [--json] [--no-store] [--no-logs] [--db DIR|URL] [--name NAME] [--window auto|SECONDS]
                  [--local-net CIDR,...] [--flow-timeout tcp=300,udp=60,icmp=60,other=60]
                  [--keep] [--keep-captures DAYS|SIZE] [--intel FILE]... [--threads N]
      Read pcap/pcapng captures (gzip allowed; FILE '-' is standard input, e.g.
      'tcpdump -w - | flowlens analyze -') and summarise them: totals, protocols,
      TCP health, flows, top talkers, ports, distributions, direction, time windows, and the
      protocol logs (every DNS query, HTTP request and TLS handshake; --no-logs leaves them out). Each
      capture is stored as a session (unless --no-store) and its session_id is printed.
      --json prints one JSON summary document on stdout (an array when several files are given).
      --window picks the window length (default auto: the smallest of 1, 2, 5, 10, 15, 30, 60,
      120, 300, 600, 900, 1800, 3600 s giving at most 1000 windows).
      --local-net sets the local networks for inbound/outbound (default: private, shared,
      link-local and loopback ranges).
      --flow-timeout sets flow idle timeouts in seconds.
      --threads sets the analysis' threads: 1 runs it in one thread, N reads in one and spreads the
      flows over N - 1 (default: one per core, for files of 16 MiB or more). The results are the
      same for any N.
      The session refers to the capture file by its path, size and time, for 'flowlens packets';
      --keep stores a copy beside the database instead (deleting the session deletes the copy).
      --keep-captures frees the oldest kept copies older than DAYS (30, 30d) or beyond SIZE
      (20GB) in all; their sessions stay, marked "packets no longer kept".
      --intel names an intel list (repeatable): IPs, CIDRs, domains (subdomains match), JA3 or
      JA4 hashes, one per line or CSV "entry,description"; every match is a high alert.
  serve [--host 127.0.0.1] [--port 8080] [--token TOKEN] [--max-upload SIZE] [--concurrency N]
        [--keep-captures DAYS|SIZE] [--store DIR|s3://BUCKET/PREFIX] [--workers 0]
        [--host-name NAME] [--insecure-no-token] [--body-timeout S] [--max-uploads N]
        [--max-connections N]
      Serve the dashboard and the HTTP API (docs/API.md). Binds 127.0.0.1 unless --host says
      otherwise; with --token (or FLOWLENS_TOKEN, which other users cannot see in the process
      list) every API call needs the token, and the pages ask for it before showing any data.
      --max-upload limits uploads (default 4GB; units kB, MB, GB); --concurrency is how many
      captures are analysed at once (default 1, the rest wait). Uploads are kept for their
      packets; --keep-captures frees the oldest at start and after each analysis (as analyze).
      A --host other than loopback needs a token (--insecure-no-token overrides, with a warning on every start). Requests
      must name this machine in their Host header (loopback, the listen address, or a name
      given with --host-name NAME, repeatable). An upload body that sends nothing for
      --body-timeout seconds (default 30) is cut off and removed; beyond --max-uploads uploads
      (default 4) or --max-connections connections (default 256) at once the server answers 503
      with Retry-After.
      --store DIR|s3://BUCKET/PREFIX keeps uploads there (default: a folder beside the database);
      --workers 0 only takes uploads and serves pages, queueing the analyses for 'flowlens worker'
      processes on any host (PostgreSQL only; docs/DEPLOY.md).
  worker --db postgres://… --store DIR|s3://BUCKET/PREFIX [--concurrency N] [--lease SECONDS]
      Take analyses queued by 'serve --workers 0' nodes until stopped; any number, on any host
      sharing the database and the store. A session whose worker ends or stops renewing its lease
      for --lease seconds (default 30) is redone by another worker from the start.
  sessions [--json] [--keep-captures DAYS|SIZE]
                              List stored sessions, newest first, with whether their packets
                              are available, and the disk the kept captures use.
  packets ID (--flow N | --alert N | --window K | --from T --to T | --host IP | --hosts A,B
             | --ip IP --port N --protocol tcp|udp|icmp|icmpv6|other) [-o FILE]
             [--store s3://BUCKET/PREFIX]
                              Write the packets of a flow, alert, window, time range (seconds
                              since 1970 or ISO time), host, host pair (--host/--hosts take
                              --from/--to too) or flow filter as pcap (pcapng when the capture
                              needs it), byte for byte, on stdout (| tshark -r -) or in FILE.
                              An upload kept in an S3 store is read by ranged GETs (only the
                              blocks needed), from the store the session recorded or --store.
  show ID [--json]            Print a stored session's summary.
  export ID --flows [--format csv|json|zeek]
                              Write a session's flows on stdout: CSV with a header, JSON Lines
                              (one object a line), or a Zeek conn.log.
  search EXPR [--sessions ID,...] [--group-by FIELD] [--limit N|all] [--cursor C] [--json|--csv]
      Find the flows of every stored session (or the --sessions given) that match the filter
      expression (docs/FILTERS.md), newest first: 'ip == 203.0.113.9', 'port == 53 and bytes > 10k',
      'tls.sni ~ "*.example.com"'. --group-by FIELD (or '| top 10 src by bytes' in the expression)
      prints the values that dominate the hits instead. --limit (default 50) caps the hits shown;
      'all' writes every hit, a page at a time; --cursor continues where a page ended. --json
      prints {query, total, hits, next_cursor}, --csv the export's columns with session_id first.
      A malformed expression is one line naming the column and what was expected (exit 2).
  export ID --log dns|http|tls [--format csv|json|zeek]
                              Write a session's DNS, HTTP or TLS log: Zeek's dns.log, http.log or
                              ssl.log, or CSV / JSON Lines with Zeek's field names and flow_id.
  delete ID                   Delete a session and everything stored with it (its kept capture
                              copy too; never a file of yours it refers to).
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

export const COMMANDS = [
  'analyze',
  'serve',
  'worker',
  'sessions',
  'show',
  'export',
  'packets',
  'search',
  'delete',
  'demo',
];

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
