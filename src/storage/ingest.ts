import { createHash, randomUUID } from 'node:crypto';
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  type AnalysisResult,
  type AnalyzeOptions,
  analyzeCapture,
  buildSummary,
  protocolName,
  type Summary,
  serviceName,
  type WindowRow,
} from '../analysis/index.js';
import { type Baseline, baselineFromFeatures, type Detection, detect, type FullSummary, withDetection } from '../detect/index.js';
import type { Db } from './db.js';

export type IngestPhase = 'reading' | 'detecting' | 'storing' | 'done';

export interface IngestProgress {
  phase: IngestPhase;
  bytesRead: number;
  bytesTotal: number | null;
  packets: number;
}

export interface IngestOptions extends Omit<AnalyzeOptions, 'onFlow' | 'onProgress'> {
  /** Session name (defaults to the file name). */
  sessionName?: string;
  /** A session made earlier by `createSession` (status `queued`); a new one otherwise. */
  sessionId?: string;
  /** File name to record when `path` is a generated upload name. */
  fileName?: string;
  onProgress?: (progress: IngestProgress) => void;
  /** Score the windows with a model fitted on this session's windows instead of the capture's own. */
  baselineSessionId?: string;
  /** Test hook: runs inside the load transaction just before it commits. */
  beforeCommit?: () => Promise<void> | void;
}

export type StoredSummary = FullSummary & { session_id: string };

export interface IngestResult {
  sessionId: string;
  result: AnalysisResult;
  summary: StoredSummary;
}

export const WINDOW_COLUMNS = [
  'session_id',
  'window_id',
  'start_ts',
  'end_ts',
  'packet_count',
  'byte_count',
  'bytes_per_sec',
  'packets_per_sec',
  'tcp_count',
  'udp_count',
  'icmp_count',
  'other_count',
  'tcp_ratio',
  'udp_ratio',
  'icmp_ratio',
  'avg_packet_size',
  'min_packet_size',
  'max_packet_size',
  'std_packet_size',
  'unique_src_ips',
  'unique_dst_ips',
  'port_diversity',
  'new_flows',
  'connection_rate',
  'tcp_syn_count',
  'tcp_synack_count',
  'tcp_ack_count',
  'tcp_rst_count',
  'tcp_fin_count',
  'tcp_retransmissions',
  'inbound_bytes',
  'outbound_bytes',
  'internal_bytes',
  'external_bytes',
  'inbound_packets',
  'outbound_packets',
  'internal_packets',
  'external_packets',
  'packet_size_distribution',
  'flow_duration_distribution',
  'features_json',
] as const;

export const FLOW_COLUMNS = [
  'session_id',
  'flow_id',
  'window_id',
  'src_ip',
  'dst_ip',
  'src_port',
  'dst_port',
  'protocol',
  'packet_count',
  'total_bytes',
  'duration_seconds',
  'start_timestamp',
  'end_timestamp',
  'src_packets',
  'dst_packets',
  'src_bytes',
  'dst_bytes',
  'src_flags',
  'dst_flags',
  'conn_state',
  'retransmissions',
  'dns_query',
  'dns_rcode',
  'tls_sni',
  'http_method',
  'http_host',
] as const;

const TOP_IP_COLUMNS = ['session_id', 'direction', 'rank', 'ip', 'bytes', 'packets', 'share'] as const;
const PORT_COLUMNS = [
  'session_id',
  'protocol',
  'port',
  'service',
  'flows',
  'packets',
  'bytes',
  'percentage',
] as const;

/** How many rows go into one COPY. */
const BATCH_ROWS = 20_000;

/** A CSV field: null → empty (SQL NULL), strings quoted so commas, quotes and newlines survive. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return `"${s.replace(/"/g, '""')}"`;
}

/**
 * Analyses a capture and stores it as one session, all or nothing: the session row is written
 * first with status `processing`; windows, flows and rankings are loaded by COPY in one
 * transaction that also marks the session `completed`. Any failure rolls the rows back and leaves
 * the session `failed` with the reason. Finished flows are spooled to a temporary file while the
 * capture is read (their window is known only at the end), so memory stays bounded.
 */
export interface NewSession {
  name: string;
  fileName: string;
  fileSize: number | null;
  localNets?: string[] | null;
}

/** Records a session as `queued` (an upload waiting for its turn) and returns its id. */
export async function createSession(db: Db, s: NewSession): Promise<string> {
  const sessionId = randomUUID();
  await db.query(
    `INSERT INTO pcap_sessions (session_id, name, file_name, file_size, status, local_networks, owner_host, owner_pid)
     VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7)`,
    [sessionId, s.name, s.fileName, s.fileSize, JSON.stringify(s.localNets ?? null), hostname(), process.pid],
  );
  return sessionId;
}

export async function ingestCapture(
  db: Db,
  path: string,
  options: IngestOptions = {},
): Promise<IngestResult> {
  let fileSize: number | null = null;
  try {
    fileSize = statSync(path).size;
  } catch {
    // the reader reports a missing file with a proper message
  }
  const fileName = options.fileName ?? basename(path);
  const sessionId =
    options.sessionId ??
    (await createSession(db, {
      name: options.sessionName ?? fileName,
      fileName,
      fileSize,
      localNets: options.localNets,
    }));
  await db.query(
    `UPDATE pcap_sessions SET status = 'processing', started_at = now(), owner_host = $2, owner_pid = $3
      WHERE session_id = $1`,
    [sessionId, hostname(), process.pid],
  );
  const spool = mkdtempSync(join(tmpdir(), 'flowlens-ingest-'));
  try {
    const flowsFile = join(spool, 'flows.csv');
    const fd = openSync(flowsFile, 'w');
    let pending: string[] = [];
    let pendingBytes = 0;
    const flush = () => {
      if (pending.length === 0) return;
      writeSync(fd, pending.join(''));
      pending = [];
      pendingBytes = 0;
    };
    const started = performance.now();
    let result: AnalysisResult;
    let sha256: string | null;
    try {
      [result, sha256] = await Promise.all([
        analyzeCapture(path, {
          ...options,
          onProgress: options.onProgress
            ? (p) =>
                options.onProgress!({
                  phase: 'reading',
                  bytesRead: p.bytesRead,
                  bytesTotal: p.totalBytes,
                  packets: p.records,
                })
            : undefined,
          onFlow: (f, analyzer) => {
            const h = f.hints;
            // The window id is not known yet: its place holds the start time until loading.
            const line = `${sessionId},${f.flowId},${f.firstTs},${analyzer.addresses.format(f.srcId)},${analyzer.addresses.format(f.dstId)},${f.srcPort},${f.dstPort},${protocolName(f.proto)},${f.packets},${f.bytes},${Math.round(f.duration * 1e6) / 1e6},${f.firstTs},${f.lastTs},${f.srcPackets},${f.dstPackets},${f.srcBytes},${f.dstBytes},${f.srcFlags},${f.dstFlags},${f.connState},${f.retransmissions},${csvField(h?.dnsQuery)},${csvField(h?.dnsRcode)},${csvField(h?.tlsSni)},${csvField(h?.httpMethod)},${csvField(h?.httpHost)}\n`;
            pending.push(line);
            pendingBytes += line.length;
            if (pendingBytes > 1 << 20) flush();
          },
        }),
        fileSha256(path),
      ]);
      flush();
    } finally {
      closeSync(fd);
    }
    const packets = result.analyzer.stats.packets;
    options.onProgress?.({ phase: 'detecting', bytesRead: fileSize ?? 0, bytesTotal: fileSize, packets });
    const baseline = options.baselineSessionId
      ? await loadBaseline(db, options.baselineSessionId)
      : undefined;
    const base = buildSummary(result);
    const detection = detect(result, base, baseline);
    const summary: StoredSummary = { ...withDetection(base, detection), session_id: sessionId };
    const analysisSeconds = (performance.now() - started) / 1000;
    const loadStarted = performance.now();
    options.onProgress?.({ phase: 'storing', bytesRead: fileSize ?? 0, bytesTotal: fileSize, packets });
    await db.transaction(async (tx) => {
      await loadWindows(tx, sessionId, result, detection);
      await loadFlows(tx, sessionId, flowsFile, result);
      await loadRankings(tx, sessionId, summary, result);
      await loadDetection(tx, sessionId, detection);
      const f = summary.file;
      await tx.query(
        `UPDATE pcap_sessions SET status = 'completed', progress = 1, sha256 = $2, format = $3, link_types = $4,
           packets = $5, bytes = $6, captured_bytes = $7, first_ts = $8, last_ts = $9, first_ts_text = $10,
           last_ts_text = $11, window_length = $12, window_count = $13, local_networks = $14, summary_json = $15,
           finished_at = now(), analysis_seconds = $16, load_seconds = $17
         WHERE session_id = $1`,
        [
          sessionId,
          sha256,
          f.format,
          JSON.stringify(f.link_types),
          f.packets,
          f.bytes,
          f.captured_bytes,
          f.first_ts === null ? null : Number(f.first_ts),
          f.last_ts === null ? null : Number(f.last_ts),
          f.first_ts,
          f.last_ts,
          summary.windows.length_s,
          summary.windows.count,
          JSON.stringify(summary.direction.local_networks),
          JSON.stringify(summary),
          analysisSeconds,
          (performance.now() - loadStarted) / 1000,
        ],
      );
      await options.beforeCommit?.();
    });
    options.onProgress?.({ phase: 'done', bytesRead: fileSize ?? 0, bytesTotal: fileSize, packets });
    return { sessionId, result, summary };
  } catch (err) {
    await db
      .query(
        `UPDATE pcap_sessions SET status = 'failed', error = $2, finished_at = now() WHERE session_id = $1`,
        [sessionId, (err as Error).message],
      )
      .catch(() => undefined);
    throw err;
  } finally {
    rmSync(spool, { recursive: true, force: true });
  }
}

async function fileSha256(path: string): Promise<string | null> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 }))
      hash.update(chunk as Buffer);
  } catch {
    return null;
  }
  return hash.digest('hex');
}

function windowLine(sessionId: string, w: WindowRow, features: string): string {
  return `${sessionId},${w.window_id},${w.start_ts},${w.end_ts},${w.packet_count},${w.byte_count},${w.bytes_per_sec},${w.packets_per_sec},${w.tcp_count},${w.udp_count},${w.icmp_count},${w.other_count},${w.tcp_ratio},${w.udp_ratio},${w.icmp_ratio},${w.avg_packet_size},${w.min_packet_size},${w.max_packet_size},${w.std_packet_size},${w.unique_src_ips},${w.unique_dst_ips},${w.port_diversity},${w.new_flows},${w.connection_rate},${w.tcp_syn_count},${w.tcp_synack_count},${w.tcp_ack_count},${w.tcp_rst_count},${w.tcp_fin_count},${w.tcp_retransmissions},${w.inbound_bytes},${w.outbound_bytes},${w.internal_bytes},${w.external_bytes},${w.inbound_packets},${w.outbound_packets},${w.internal_packets},${w.external_packets},${csvField(distributionJson(SIZE_KEYS_JSON, w.packet_size_distribution))},${csvField(distributionJson(DURATION_KEYS_JSON, w.flow_duration_distribution))},${csvField(features)}\n`;
}

const SIZE_KEYS_JSON = ['64', '128', '256', '512', '1024', '1518', '1519+'];
const DURATION_KEYS_JSON = ['0.01', '0.1', '1', '5', '10', '30', '60', '300', '300+'];

/** SPEC's distribution object as JSON text, built without a JS object (see `distribution`). */
function distributionJson(keys: string[], counts: number[]): string {
  return `{${keys.map((k, i) => `"${k}":${counts[i]}`).join(',')}}`;
}

async function loadWindows(
  tx: Db,
  sessionId: string,
  result: AnalysisResult,
  detection: Detection,
): Promise<void> {
  let lines: string[] = [];
  for (const w of result.report.windows.rows()) {
    lines.push(windowLine(sessionId, w, detection.featuresJson(w.window_id)));
    if (lines.length === BATCH_ROWS) {
      await tx.copyCsv('traffic_windows', WINDOW_COLUMNS, lines.join(''));
      lines = [];
    }
  }
  await tx.copyCsv('traffic_windows', WINDOW_COLUMNS, lines.join(''));
}

/** Streams the spooled flows into COPY batches, putting each flow's window id in place. */
async function loadFlows(tx: Db, sessionId: string, file: string, result: AnalysisResult): Promise<void> {
  const { t0, lengthS, count } = result.report.windows;
  const windowOf = (start: number) =>
    Math.min(Math.max(Math.floor((start - t0) / lengthS), 0), Math.max(count - 1, 0));
  const prefix = sessionId.length + 1;
  let rest = '';
  let lines: string[] = [];
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 4 << 20 })) {
    const text = rest + (chunk as string);
    let at = 0;
    for (;;) {
      const nl = text.indexOf('\n', at);
      if (nl < 0) break;
      const line = text.slice(at, nl + 1);
      at = nl + 1;
      const a = line.indexOf(',', prefix); // after flow_id
      const b = line.indexOf(',', a + 1); // after the start-time placeholder
      lines.push(`${line.slice(0, a + 1)}${windowOf(Number(line.slice(a + 1, b)))}${line.slice(b)}`);
      if (lines.length === BATCH_ROWS) {
        await tx.copyCsv('flows', FLOW_COLUMNS, lines.join(''));
        lines = [];
      }
    }
    rest = text.slice(at);
  }
  await tx.copyCsv('flows', FLOW_COLUMNS, lines.join(''));
}

async function loadRankings(
  tx: Db,
  sessionId: string,
  summary: Summary,
  result: AnalysisResult,
): Promise<void> {
  const ranking = (direction: string, rows: Summary['top_talkers']) =>
    rows
      .map((t, i) => `${sessionId},${direction},${i + 1},${t.ip},${t.bytes},${t.packets},${t.share}\n`)
      .join('');
  await tx.copyCsv(
    'top_ips',
    TOP_IP_COLUMNS,
    ranking('both', summary.top_talkers) +
      ranking('sent', summary.top_senders) +
      ranking('received', summary.top_receivers),
  );
  const transport = summary.protocols.tcp + summary.protocols.udp;
  const ports = result.report.ports.map((p) => {
    const pct = transport === 0 ? 0 : Math.round((p.packets / transport) * 100 * 10000) / 10000;
    return `${sessionId},${p.protocol},${p.port},${csvField(serviceName(p.protocol, p.port))},${p.flows},${p.packets},${p.bytes},${pct}\n`;
  });
  await tx.copyCsv('port_stats', PORT_COLUMNS, ports.join(''));
}

const ANOMALY_COLUMNS = [
  'session_id',
  'window_id',
  'anomaly_score',
  'is_anomaly',
  'threshold',
  'contributing_features',
] as const;
const INSIGHT_COLUMNS = [
  'session_id',
  'insight_type',
  'alert_type',
  'severity',
  'summary',
  'details',
  'event_ts',
  'window_start',
  'window_end',
] as const;

async function loadDetection(tx: Db, sessionId: string, d: Detection): Promise<void> {
  let lines: string[] = [];
  for (const a of d.anomalies) {
    lines.push(
      `${sessionId},${a.window_id},${a.score},${a.is_anomaly ? 't' : 'f'},${d.model.threshold},${csvField(a.contributing_features)}\n`,
    );
    if (lines.length === BATCH_ROWS) {
      await tx.copyCsv('anomaly_results', ANOMALY_COLUMNS, lines.join(''));
      lines = [];
    }
  }
  await tx.copyCsv('anomaly_results', ANOMALY_COLUMNS, lines.join(''));
  await tx.copyCsv(
    'insights',
    INSIGHT_COLUMNS,
    d.insights
      .map(
        (i) =>
          `${sessionId},${i.insight_type},${csvField(i.alert_type)},${i.severity},${csvField(i.summary)},${csvField(i.details)},${csvField(i.event_ts)},${csvField(i.window_start)},${csvField(i.window_end)}\n`,
      )
      .join(''),
  );
}

/** The stored feature rows of a completed session, to fit a model on. */
async function loadBaseline(db: Db, sessionId: string): Promise<Baseline> {
  const status = await db.query<{ status: string }>('SELECT status FROM pcap_sessions WHERE session_id = $1', [
    sessionId,
  ]);
  if (status.length === 0) throw new Error(`baseline session ${sessionId} not found`);
  if (status[0].status !== 'completed')
    throw new Error(`baseline session ${sessionId} is ${status[0].status}, not completed`);
  const rows = await db.query<{ features_json: { values: Record<string, number | null> } | string | null }>(
    'SELECT features_json FROM traffic_windows WHERE session_id = $1 ORDER BY window_id',
    [sessionId],
  );
  const parsed = rows
    .map((r) => (typeof r.features_json === 'string' ? JSON.parse(r.features_json) : r.features_json))
    .filter((r): r is { values: Record<string, number | null> } => r !== null && typeof r === 'object');
  if (parsed.length === 0) throw new Error(`baseline session ${sessionId} has no windows to learn from`);
  return baselineFromFeatures(sessionId, parsed);
}
