import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import {
  analyzeCapture,
  buildSummary,
  DEFAULT_TIMEOUTS,
  type FlowTimeouts,
  OptionError,
  parseLocalNetsOption,
  parseWindowOption,
  WindowLimitError,
} from '../analysis/index.js';
import { CaptureFormatError, type ReadProgress } from '../capture/index.js';
import { detect, type FullSummary, withDetection } from '../detect/index.js';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatPercent,
  formatShare,
  formatTimestampText,
} from '../format/index.js';
import { DEMO_DURATION_S, defaultDemoDir, loadDemo } from '../generate/index.js';
import { ListenError, type RunningServer, startServer } from '../server/index.js';
import {
  DbError,
  defaultDbDir,
  deleteSession,
  type ExportFormat,
  formatFlows,
  getSession,
  getSessionSummary,
  ingestCapture,
  isForeignUrl,
  listSessions,
  openStore,
  SESSION_ID_PATTERN,
  sessionFlows,
  sessionLocalNets,
} from '../storage/index.js';
import { ProgressBar } from './progress.js';

/** Exit codes, as the README's command-line section lists them. */
export const EXIT_OK = 0;
export const EXIT_REJECTED = 1;
export const EXIT_USAGE = 2;

const USAGE = `Usage: flowlens <command> [options]

Commands:
  analyze FILE... [--json] [--no-store] [--db DIR|URL] [--name NAME] [--window auto|SECONDS]
                  [--local-net CIDR,...] [--flow-timeout tcp=300,udp=60,icmp=60,other=60]
      Read pcap/pcapng captures (gzip allowed) in one pass and summarise them: totals, protocols,
      TCP health, flows, top talkers, ports, distributions, direction and time windows. Each
      capture is stored as a session (unless --no-store) and its session_id is printed.
      --json prints one JSON summary document on stdout (an array when several files are given).
      --window picks the window length (default auto: the smallest of 1, 2, 5, 10, 15, 30, 60,
      120, 300, 600, 900, 1800, 3600 s giving at most 1000 windows).
      --local-net sets the local networks for inbound/outbound (default: private, shared,
      link-local and loopback ranges).
      --flow-timeout sets flow idle timeouts in seconds.
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

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
}

class UsageError extends Error {}

const COMMANDS = ['analyze', 'serve', 'sessions', 'show', 'export', 'delete', 'demo'];

/** One command's part of USAGE (its lines up to the next command), with the --db note. */
function commandUsage(command: string | undefined): string | null {
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

export async function main(
  argv: string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const err = (line: string) => io.stderr.write(`flowlens: ${line}\n`);
  try {
    const [command, ...rest] = argv;
    if (rest.includes('--help') || rest.includes('-h')) {
      const usage = commandUsage(command);
      if (usage) {
        io.stdout.write(usage);
        return EXIT_OK;
      }
    }
    switch (command) {
      case 'analyze':
        return await analyze(rest, io, err);
      case 'sessions':
        return await sessions(rest, io);
      case 'show':
        return await show(rest, io, err);
      case 'delete':
        return await remove(rest, io, err);
      case 'export':
        return await exportFlows(rest, io, err);
      case 'serve':
        return await serve(rest, io);
      case 'demo':
        return await demo(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(USAGE);
        return command === undefined ? EXIT_USAGE : EXIT_OK;
      default:
        throw new UsageError(`unknown command '${command}' (try 'flowlens help')`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      // Node's parser adds lines of advice: the first says what is wrong.
      err(`${(e as Error).message.split('\n')[0]} (try 'flowlens ${argv[0] ?? 'help'} --help')`);
      return EXIT_USAGE;
    }
    if (e instanceof DbError) {
      err(e.message);
      return EXIT_REJECTED;
    }
    err(`internal error: ${(e as Error).message}`);
    if (process.env.FLOWLENS_DEBUG) io.stderr.write(`${(e as Error).stack}\n`);
    return EXIT_REJECTED;
  }
}

async function analyze(args: string[], io: CliIo, err: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      'no-store': { type: 'boolean', default: false },
      window: { type: 'string', default: 'auto' },
      'local-net': { type: 'string', multiple: true },
      'flow-timeout': { type: 'string' },
      name: { type: 'string' },
      baseline: { type: 'string' },
      ...DB_OPTION,
    },
  });
  if (positionals.length === 0) throw new UsageError('analyze needs at least one capture file');
  const windowLength = parseWindow(values.window ?? 'auto');
  const localNets = parseLocalNets(values['local-net']);
  const timeouts = parseTimeouts(values['flow-timeout']);
  // PGlite in a thread of its own: its COPYs run synchronously and would freeze the progress bar.
  const db = values['no-store'] ? null : await openStore(dbTarget(values.db), { pgliteThread: true });
  try {
    const tty = !values.json && 'isTTY' in io.stderr && io.stderr.isTTY === true;
    const summaries: (FullSummary & { session_id?: string })[] = [];
    if (values.baseline && !db) throw new UsageError('--baseline needs the database: drop --no-store');
    let rejected = false;
    for (const file of positionals) {
      const notCapture = notAFile(file);
      if (notCapture) {
        // Said before any session is made: nothing to store, nothing to mark failed.
        err(notCapture);
        rejected = true;
        continue;
      }
      const bar = tty ? new ProgressBar(basename(file), io.stderr as NodeJS.WriteStream) : null;
      const options = {
        windowLength,
        localNets,
        timeouts,
      };
      let summary: FullSummary & { session_id?: string };
      let warnings: string[];
      try {
        if (db) {
          const stored = await ingestCapture(db, file, {
            ...options,
            sessionName: values.name,
            baselineSessionId: values.baseline,
            onProgress: bar ? (p) => bar.update(p) : undefined,
          });
          summary = stored.summary;
          warnings = stored.warnings;
        } else {
          const result = await analyzeCapture(file, {
            ...options,
            onProgress: bar
              ? (p: ReadProgress) =>
                  bar.update({ bytesRead: p.bytesRead, bytesTotal: p.totalBytes, packets: p.records })
              : undefined,
          });
          bar?.update({
            phase: 'detecting',
            bytesRead: 0,
            bytesTotal: null,
            packets: result.analyzer.stats.packets,
          });
          const base = buildSummary(result);
          const detection = detect(result, base);
          summary = withDetection(base, detection);
          warnings = [...result.warnings, ...detection.warnings];
        }
      } catch (e) {
        bar?.done();
        if (e instanceof CaptureFormatError) err(e.message);
        else if (e instanceof WindowLimitError) err(`${file}: ${e.message}`);
        else throw e;
        rejected = true;
        continue;
      } finally {
        bar?.done();
      }
      for (const w of warnings) err(`${file}: warning: ${w}`);
      summaries.push(summary);
      if (!values.json) io.stdout.write(humanSummary(summary));
    }
    if (values.json && summaries.length > 0) {
      const doc = positionals.length === 1 ? summaries[0] : summaries;
      io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    }
    return rejected ? EXIT_REJECTED : EXIT_OK;
  } finally {
    await db?.close();
  }
}

async function serve(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: false,
    options: {
      ...DB_OPTION,
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8080' },
      token: { type: 'string' },
      'max-upload': { type: 'string', default: '4GB' },
      concurrency: { type: 'string', default: '1' },
      uploads: { type: 'string' },
    },
  });
  void positionals;
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port ?? '') || port > 65535)
    throw new UsageError(`--port must be 0 to 65535, not '${values.port}'`);
  const concurrency = Number(values.concurrency);
  if (!/^\d+$/.test(values.concurrency ?? '') || concurrency < 1 || concurrency > 16)
    throw new UsageError(`--concurrency must be 1 to 16, not '${values.concurrency}'`);
  const maxUploadBytes = parseSize(values['max-upload'] ?? '4GB');
  const token = values.token ?? process.env.FLOWLENS_TOKEN ?? null;
  if (token !== null && token.length < 8) throw new UsageError('the token must have at least 8 characters');
  let server: RunningServer;
  try {
    server = await startServer({
      host: values.host ?? '127.0.0.1',
      port,
      dbTarget: dbTarget(values.db),
      uploadsDir: values.uploads,
      token,
      maxUploadBytes,
      concurrency,
    });
  } catch (e) {
    if (e instanceof ListenError) throw new DbError(e.message);
    throw e;
  }
  io.stdout.write(
    `Flowlens dashboard on ${server.url} (database: ${server.db.location}${token ? '; token required' : ''})\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  io.stdout.write('stopping: cancelling running analyses\n');
  await server.close();
  return EXIT_OK;
}

function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|kB|KB|MB|GB|TB)?$/i.exec(text.trim());
  const unit = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12 }[(m?.[2] ?? 'b').toLowerCase() as 'b'];
  const n = m ? Math.round(Number(m[1]) * unit) : Number.NaN;
  if (!(n >= 1024)) throw new UsageError(`--max-upload must be a size such as 500MB or 4GB, not '${text}'`);
  return n;
}

/** Where sessions are kept: --db, else DATABASE_URL, else the embedded database's folder. */
function dbTarget(flag: string | undefined): string {
  const target = flag ?? process.env.DATABASE_URL ?? defaultDbDir();
  if (isForeignUrl(target))
    throw new UsageError(
      `${flag === undefined ? 'DATABASE_URL' : '--db'} '${target}' is neither a folder nor a postgres:// URL`,
    );
  return target;
}

const DB_OPTION = { db: { type: 'string' } } as const;

async function sessions(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...DB_OPTION, json: { type: 'boolean', default: false } },
  });
  const db = await openStore(dbTarget(values.db));
  try {
    const rows = await listSessions(db);
    if (values.json) {
      io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return EXIT_OK;
    }
    if (rows.length === 0) {
      io.stdout.write(`no sessions in ${db.location}\n`);
      return EXIT_OK;
    }
    for (const r of rows) {
      const size =
        r.packets === null ? '' : `${formatCount(r.packets)} packets, ${formatBytes(r.bytes ?? 0)}`;
      const span = r.duration_s === null ? '' : `, ${formatDuration(r.duration_s)}`;
      io.stdout.write(
        `${r.session_id}  ${r.status.padEnd(10)} ${r.created_at.slice(0, 19).replace('T', ' ')}  ${r.name}  ${size}${span}${r.error ? `  (${r.error})` : ''}\n`,
      );
    }
    return EXIT_OK;
  } finally {
    await db.close();
  }
}

function sessionIdArg(positionals: string[], command: string): string {
  const id = positionals[0];
  if (!id || positionals.length > 1)
    throw new UsageError(`${command} needs one session ID (see 'flowlens sessions')`);
  if (!new RegExp(SESSION_ID_PATTERN, 'i').test(id)) throw new UsageError(`'${id}' is not a session ID`);
  // Sessions are stored with lowercase ids; a pasted uppercase one means the same session.
  return id.toLowerCase();
}

async function show(args: string[], io: CliIo, err: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...DB_OPTION, json: { type: 'boolean', default: false } },
  });
  const id = sessionIdArg(positionals, 'show');
  const db = await openStore(dbTarget(values.db));
  try {
    const summary = await getSessionSummary(db, id);
    if (summary === null) {
      const row = await getSession(db, id);
      err(row ? `session ${id} is ${row.status}${row.error ? `: ${row.error}` : ''}` : `no session ${id}`);
      return EXIT_REJECTED;
    }
    io.stdout.write(values.json ? `${JSON.stringify(summary, null, 2)}\n` : humanSummary(summary));
    return EXIT_OK;
  } finally {
    await db.close();
  }
}

async function remove(args: string[], io: CliIo, err: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...DB_OPTION } });
  const id = sessionIdArg(positionals, 'delete');
  const db = await openStore(dbTarget(values.db));
  try {
    if (!(await deleteSession(db, id))) {
      err(`no session ${id}`);
      return EXIT_REJECTED;
    }
    io.stdout.write(`deleted session ${id}\n`);
    return EXIT_OK;
  } finally {
    await db.close();
  }
}

async function exportFlows(args: string[], io: CliIo, err: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...DB_OPTION,
      flows: { type: 'boolean', default: false },
      format: { type: 'string', default: 'csv' },
    },
  });
  const id = sessionIdArg(positionals, 'export');
  if (!values.flows) throw new UsageError('export needs --flows (the flows are what can be exported)');
  const format = values.format as ExportFormat;
  if (!['csv', 'json', 'zeek'].includes(format))
    throw new UsageError(`--format must be csv, json or zeek, not '${format}'`);
  const db = await openStore(dbTarget(values.db));
  try {
    const row = await getSession(db, id);
    if (row === null || row.status !== 'completed') {
      // A failed session has no flows, and one still loading has none to show yet.
      err(row ? `session ${id} is ${row.status}${row.error ? `: ${row.error}` : ''}` : `no session ${id}`);
      return EXIT_REJECTED;
    }
    const out = formatFlows(format, id, await sessionLocalNets(db, id));
    io.stdout.write(out.header);
    for await (const page of sessionFlows(db, id)) io.stdout.write(out.page(page));
    io.stdout.write(out.footer);
    return EXIT_OK;
  } finally {
    await db.close();
  }
}

function humanSummary(s: FullSummary & { session_id?: string }): string {
  const f = s.file;
  const p = s.protocols;
  const t = s.tcp;
  const links = f.link_types.map((l) => l.name).join(', ') || 'no interfaces';
  const lines = [
    `${f.path}${s.session_id ? `  (session ${s.session_id})` : ''}`,
    `  format      ${f.format}${f.compression ? ` (${f.compression})` : ''}, ${links}`,
    `  packets     ${formatCount(f.packets)}, ${formatBytes(f.bytes)} on the wire (${formatBytes(f.captured_bytes)} captured)`,
    `  time        ${formatTimestampText(f.first_ts)} → ${formatTimestampText(f.last_ts)} (${f.duration_s.toFixed(3)} s)`,
    `  IP          IPv4 ${formatCount(p.ipv4)}, IPv6 ${formatCount(p.ipv6)}, non-IP ${formatCount(p.non_ip)}`,
    `  transport   TCP ${formatCount(p.tcp)} (${formatShare(p.tcp, f.packets)}), UDP ${formatCount(p.udp)} (${formatShare(p.udp, f.packets)}), ICMP ${formatCount(p.icmp)}, ICMPv6 ${formatCount(p.icmpv6)}, other IP ${formatCount(p.other)}`,
    `  TCP flags   SYN ${formatCount(t.syn)}, SYN-ACK ${formatCount(t.synack)}, RST ${formatCount(t.rst)}, FIN ${formatCount(t.fin)}; SYN/SYN-ACK ${t.syn_ack_ratio === null ? '—' : t.syn_ack_ratio.toFixed(2)}, RST rate ${formatShare(t.rst, p.tcp)}`,
  ];
  lines.push(
    `  TCP health  retransmissions ${formatCount(t.retransmissions)} (${formatShare(t.retransmissions, p.tcp)} of TCP packets)`,
    `  flows       ${formatCount(s.flows.count)} (TCP ${formatCount(s.flows.tcp)}, UDP ${formatCount(s.flows.udp)}, ICMP ${formatCount(s.flows.icmp)}, other ${formatCount(s.flows.other)}); ${formatCount(s.addresses.distinct)} addresses`,
    `  direction   in ${formatBytes(s.direction.inbound_bytes)}, out ${formatBytes(s.direction.outbound_bytes)}, internal ${formatBytes(s.direction.internal_bytes)}, external ${formatBytes(s.direction.external_bytes)}`,
    `  windows     ${formatCount(s.windows.count)} of ${s.windows.length_s} s`,
  );
  if (s.top_talkers.length > 0) {
    lines.push('  top talkers');
    for (const x of s.top_talkers.slice(0, 5)) {
      lines.push(
        `    ${x.ip.padEnd(39)} ${formatBytes(x.bytes).padStart(10)}  ${formatPercent(x.share, x.share < 1 ? 2 : 1)}`,
      );
    }
  }
  if (s.ports.length > 0) {
    lines.push('  top ports');
    for (const x of s.ports.slice(0, 5)) {
      lines.push(
        `    ${x.label.replace(/^\d+/, `${x.port}/${x.protocol}`).padEnd(24)} ${formatCount(x.flows).padStart(8)} flows ${formatPercent(x.percentage).padStart(6)} of packets`,
      );
    }
  }
  const anomalous = (s.anomalies ?? []).filter((a) => a.is_anomaly).length;
  if (s.anomalies)
    lines.push(
      `  anomalies   ${formatCount(anomalous)} of ${formatCount(s.anomalies.length)} windows at or above ${s.anomaly_model.threshold}`,
    );
  const alerts = (s.insights ?? []).filter((i) => i.insight_type === 'alert');
  if (alerts.length > 0) {
    lines.push('  alerts');
    for (const i of alerts.slice(0, 10)) lines.push(`    [${i.severity}] ${i.alert_type}: ${i.summary}`);
    if (alerts.length > 10) lines.push(`    … and ${alerts.length - 10} more`);
  }
  if (f.malformed_packets > 0) lines.push(`  malformed   ${formatCount(f.malformed_packets)} packets`);
  if (f.truncated) lines.push('  truncated   yes: the file ends early or is damaged (see warnings)');
  return `${lines.join('\n')}\n`;
}

/** Why `file` cannot be a capture (missing, a folder, unreadable), or null when it can be read. */
function notAFile(file: string): string | null {
  try {
    if (statSync(file).isDirectory()) return `${file}: is a folder, not a capture file`;
    return null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `${file}: no such file`;
    if (code === 'EACCES' || code === 'EPERM') return `${file}: permission denied`;
    return `${file}: ${(e as Error).message}`;
  }
}

function parseWindow(text: string): number | null {
  return asUsage(() => parseWindowOption(text));
}

function parseLocalNets(values: string[] | undefined): string[] {
  return asUsage(() => parseLocalNetsOption(values));
}

function asUsage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof OptionError) throw new UsageError(e.message);
    throw e;
  }
}

function parseTimeouts(text: string | undefined): FlowTimeouts {
  const timeouts = { ...DEFAULT_TIMEOUTS };
  if (text === undefined) return timeouts;
  for (const part of text.split(',')) {
    const [key, value] = part.split('=');
    const n = Number(value);
    if (!(key in timeouts) || !/^\d+(\.\d+)?$/.test(value ?? '') || !(n > 0)) {
      throw new UsageError(`--flow-timeout takes tcp=S,udp=S,icmp=S,other=S with S > 0, not '${part}'`);
    }
    timeouts[key as keyof FlowTimeouts] = n;
  }
  return timeouts;
}

async function demo(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...DB_OPTION,
      json: { type: 'boolean', default: false },
      seed: { type: 'string', default: '1' },
      duration: { type: 'string', default: String(DEMO_DURATION_S) },
      hosts: { type: 'string', default: '40' },
      dir: { type: 'string' },
    },
  });
  const seed = Number(values.seed);
  const durationS = Number(values.duration);
  if (!/^\d+$/.test(values.seed ?? '') || seed > 0xffffffff)
    throw new UsageError(`--seed must be a whole number from 0 to 4294967295, not '${values.seed}'`);
  if (!/^\d+(\.\d+)?$/.test(values.duration ?? '') || durationS < 600 || durationS > 7200)
    throw new UsageError(`--duration must be seconds from 600 to 7200, not '${values.duration}'`);
  const hosts = Number(values.hosts);
  if (!/^\d+$/.test(values.hosts ?? '') || hosts < 1 || hosts > 220)
    throw new UsageError(`--hosts must be a number of clients from 1 to 220, not '${values.hosts}'`);
  const db = await openStore(dbTarget(values.db));
  const tty = !values.json && 'isTTY' in io.stderr && io.stderr.isTTY === true;
  const bar = tty ? new ProgressBar('demo capture', io.stderr as NodeJS.WriteStream) : null;
  bar?.update({ bytesRead: 0, bytesTotal: null, packets: 0, phase: 'generating' });
  try {
    const r = await loadDemo(db, {
      seed,
      durationS,
      hosts,
      dir: values.dir,
      onProgress: bar ? (p) => bar.update(p) : undefined,
    });
    bar?.done();
    if (values.json) {
      io.stdout.write(
        `${JSON.stringify({ session_id: r.sessionId, capture: r.path, truth: r.truthPath }, null, 2)}\n`,
      );
      return EXIT_OK;
    }
    const t = r.truth;
    const lines = [
      `demo capture ${r.path}`,
      `  ${formatCount(t.packets)} packets, ${formatBytes(t.bytes)} over ${formatDuration(t.end_ts - t.start_ts)}; ground truth in ${r.truthPath}`,
      ...t.attacks.map((a) => `  ${formatTimestampText(a.start_ts.toFixed(6))}  ${a.description}`),
      `stored as session ${r.sessionId} in ${db.location}`,
    ];
    io.stdout.write(`${lines.join('\n')}\n`);
    return EXIT_OK;
  } finally {
    bar?.done();
    await db.close();
  }
}
