import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import {
  type AnalysisSettings,
  analyzeCapture,
  buildSummary,
  type FlowSinkSpec,
  flowCommunityId,
  protocolName,
  type Summary,
  serviceName,
  type WindowRow,
} from '../analysis/index.js';
import { PacketIndexBuilder, serializePacketIndex } from '../capture/index.js';
import {
  type Baseline,
  type Detection,
  detect,
  type IntelEntry,
  RULE_LIST,
  withDetection,
} from '../detect/index.js';
import { lookupGeo } from '../enrich/index.js';
import type { StoredSummary } from '../storage/index.js';
import { csvField, Spool } from './csv-spool.js';
import { type LogFiles, LogSpool, logFiles } from './log-spool.js';

export { csvField } from './csv-spool.js';

/**
 * The CPU half of an ingest: one pass over the capture, detection, and every row written as CSV
 * into spool files, ready for COPY. It touches no database, so it runs in a worker thread while
 * the main thread keeps serving; `ingestCapture` loads the files in one transaction.
 */

export interface PrepareOptions {
  /** The analysis settings (see `resolveSettings`), unchanged from the caller. */
  settings: AnalysisSettings;
  /** Name shown in the summary's file.path (default: the path). */
  name?: string;
  baseline?: Baseline;
  /** Intel list entries the detection matches (plain data: it crosses into the ingest worker). */
  intel?: IntelEntry[];
  /**
   * Where finished flows go while the capture is read (see `flow-copy.ts`), one sink per flow
   * shard (each writes its own log files). Without them they are spooled to `files.flows` as CSV,
   * with each flow's start time where its window id goes.
   */
  flowSinks?: FlowSinkSpec[];
  /** Threads of the analysis (see `AnalyzeOptions.threads`). */
  threads?: number;
  /** The log files each sink writes (with `flowSinks`, in the same order). */
  sinkLogFiles?: LogFiles[] | null;
  /** Hash the file (default true; an ingest that hashes it elsewhere says false). */
  sha256?: boolean;
  onProgress?: (p: {
    phase: 'reading' | 'detecting';
    bytesRead: number;
    bytesTotal: number | null;
    packets: number;
  }) => void;
}

export interface Prepared {
  summary: StoredSummary;
  sha256: string | null;
  /** The capture's packet index (`serializePacketIndex`), built in the analysis' pass; null if it could not be. */
  packetIndex: Uint8Array | null;
  analysisSeconds: number;
  /** Where flows' window ids come from: the spool holds each flow's start time in their place. */
  windowing: { t0: number; lengthS: number; count: number };
  warnings: string[];
  /** Spool files, each complete CSV for one table (flows: none with a flow sink). */
  files: {
    windows: string;
    flows: string | null;
    topIps: string;
    ports: string;
    anomalies: string;
    insights: string;
    /** The protocol logs, one set per flow shard (null with logs off). */
    logs: LogFiles[] | null;
    /** Country and AS of every non-local address (`host_geo`). */
    hostGeo: string;
  };
}

export async function prepareCapture(
  path: string,
  sessionId: string,
  spoolDir: string,
  options: PrepareOptions,
): Promise<Prepared> {
  const started = performance.now();
  const files = {
    windows: join(spoolDir, 'windows.csv'),
    flows: join(spoolDir, 'flows.csv'),
    topIps: join(spoolDir, 'top_ips.csv'),
    ports: join(spoolDir, 'ports.csv'),
    anomalies: join(spoolDir, 'anomalies.csv'),
    insights: join(spoolDir, 'insights.csv'),
    hostGeo: join(spoolDir, 'host_geo.csv'),
  };
  const sinks = options.flowSinks ?? null;
  const flows = sinks ? null : new Spool(files.flows);
  // With flow sinks the logs are spooled by them, in the threads that run the flow half.
  const logFilesOf = options.settings.logs
    ? sinks
      ? (options.sinkLogFiles ?? null)
      : [logFiles(spoolDir)]
    : null;
  const logs = !sinks && logFilesOf ? new LogSpool(sessionId, logFilesOf[0]) : null;
  let result: Awaited<ReturnType<typeof analyzeCapture>>;
  let sha256: string | null;
  const { settings, name, sha256: hash } = options;
  const indexBuilder = new PacketIndexBuilder();
  try {
    [result, sha256] = await Promise.all([
      analyzeCapture(path, {
        settings,
        name,
        flowSinks: sinks ?? undefined,
        threads: options.threads,
        pipeline: sinks && sinks.length > 1 ? true : undefined,
        packetIndex: indexBuilder,
        onProgress: options.onProgress
          ? (p) =>
              options.onProgress!({
                phase: 'reading',
                bytesRead: p.bytesRead,
                bytesTotal: p.totalBytes,
                packets: p.records,
              })
          : undefined,
        onLog: logs,
        onFlow: flows
          ? (f, analyzer) => {
              const h = f.hints;
              // The window id is not known yet: its place holds the start time until loading.
              flows.line(
                `${sessionId},${f.flowId},${f.firstTs},${analyzer.addresses.format(f.srcId)},${analyzer.addresses.format(f.dstId)},${f.srcPort},${f.dstPort},${protocolName(f.proto)},${f.packets},${f.bytes},${Math.round(f.duration * 1e6) / 1e6},${f.firstTs},${f.lastTs},${f.srcPackets},${f.dstPackets},${f.srcBytes},${f.dstBytes},${f.srcFlags},${f.dstFlags},${f.connState},${f.retransmissions},${csvField(h?.dnsQuery)},${csvField(h?.dnsRcode)},${csvField(h?.tlsSni)},${csvField(h?.httpMethod)},${csvField(h?.httpHost)},${csvField(f.history || null)},${f.origBytes < 0 ? '' : f.origBytes},${f.respBytes < 0 ? '' : f.respBytes},${csvField(flowCommunityId(f, analyzer.addresses))}\n`,
              );
            }
          : undefined,
      }),
      hash === false ? Promise.resolve(null) : fileSha256(path),
    ]);
  } finally {
    flows?.close();
    logs?.close();
  }
  const index = indexBuilder.finish(result.info);
  const packetIndex = index === null ? null : serializePacketIndex(index);
  const stats = result.analyzer.stats;
  options.onProgress?.({ phase: 'detecting', bytesRead: 0, bytesTotal: null, packets: stats.packets });
  const base = buildSummary(result);
  const detection = detect(result, base, options.baseline, RULE_LIST, {
    logs: result.report.logRows,
    intel: options.intel,
  });
  const summary: StoredSummary = { ...withDetection(base, detection), session_id: sessionId };

  const windows = new Spool(files.windows);
  for (const w of result.report.windows.rows())
    windows.line(windowLine(sessionId, w, detection.featuresJson(w.window_id)));
  windows.close();

  const ranking = (direction: string, rows: Summary['top_talkers']) =>
    rows
      .map((t, i) => `${sessionId},${direction},${i + 1},${t.ip},${t.bytes},${t.packets},${t.share}\n`)
      .join('');
  writeAll(
    files.topIps,
    ranking('both', summary.top_talkers) +
      ranking('sent', summary.top_senders) +
      ranking('received', summary.top_receivers),
  );
  const transport = summary.protocols.tcp + summary.protocols.udp;
  const ports = new Spool(files.ports);
  for (const p of result.report.ports) {
    const pct = transport === 0 ? 0 : Math.round((p.packets / transport) * 100 * 10000) / 10000;
    ports.line(
      `${sessionId},${p.protocol},${p.port},${csvField(serviceName(p.protocol, p.port))},${p.flows},${p.packets},${p.bytes},${pct}\n`,
    );
  }
  ports.close();
  writeDetection(sessionId, detection, files.anomalies, files.insights);
  writeHostGeo(sessionId, result.analyzer, files.hostGeo);
  const { t0, lengthS, count } = result.report.windows;
  return {
    summary,
    sha256,
    packetIndex,
    analysisSeconds: (performance.now() - started) / 1000,
    windowing: { t0, lengthS, count },
    warnings: [...result.warnings, ...detection.warnings],
    files: { ...files, flows: flows ? files.flows : null, logs: logFilesOf },
  };
}

function writeAll(path: string, text: string): void {
  const s = new Spool(path);
  s.line(text);
  s.close();
}

/**
 * One row per address outside the session's local networks: looked up once per address (not per
 * packet), from the shipped data; nulls where it has no answer (multicast, reserved, unrouted).
 */
function writeHostGeo(
  sessionId: string,
  analyzer: { addresses: { size: number; format(id: number): string }; isLocal(id: number): boolean },
  path: string,
): void {
  const s = new Spool(path);
  const { addresses } = analyzer;
  for (let id = 0; id < addresses.size; id++) {
    if (analyzer.isLocal(id)) continue;
    const address = addresses.format(id);
    const g = lookupGeo(address);
    s.line(`${sessionId},${address},${csvField(g?.country)},${csvField(g?.asn)},${csvField(g?.asName)}\n`);
  }
  s.close();
}

function writeDetection(sessionId: string, d: Detection, anomaliesFile: string, insightsFile: string): void {
  const a = new Spool(anomaliesFile);
  for (const x of d.anomalies)
    a.line(
      `${sessionId},${x.window_id},${x.score},${x.is_anomaly ? 't' : 'f'},${d.model.threshold},${csvField(x.contributing_features)}\n`,
    );
  a.close();
  const i = new Spool(insightsFile);
  for (const x of d.insights)
    i.line(
      `${sessionId},${x.insight_type},${csvField(x.alert_type)},${x.severity},${csvField(x.summary)},${csvField(x.details)},${csvField(x.event_ts)},${csvField(x.window_start)},${csvField(x.window_end)}\n`,
    );
  i.close();
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

/** The summary's distribution object as JSON text, built without a JS object (see `distribution`). */
function distributionJson(keys: string[], counts: number[]): string {
  return `{${keys.map((k, i) => `"${k}":${counts[i]}`).join(',')}}`;
}
