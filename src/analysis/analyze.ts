import { statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import {
  type CaptureInfo,
  linkTypeName,
  type PacketIndexBuilder,
  type ReadProgress,
  readCapture,
} from '../capture/index.js';
import { DecodedPacket, decodePacket, SUPPORTED_LINK_TYPES } from '../decode/index.js';
import { type AnalysisReport, Analyzer, type AnalyzerOptions } from './analyzer.js';
import { parseFlowHints } from './hints.js';
import {
  FlowPipeline,
  type FlowSinkSpec,
  loadFlowSink,
  PIPELINE_MIN_BYTES,
  pipelineAvailable,
  shardsFor,
} from './pipeline.js';
import { DEFAULT_SETTINGS } from './settings.js';

export interface AnalyzeOptions extends Omit<AnalyzerOptions, 'hintParser'> {
  onProgress?: (progress: ReadProgress) => void;
  signal?: AbortSignal;
  /** Name shown in messages and in the summary's file.path. */
  name?: string;
  /**
   * Run the flow half in a worker thread (see `pipeline.ts`): by default for capture files of 16 MiB
   * or more on a machine with several cores, unless `onFlow` is given (it runs in this thread).
   */
  pipeline?: boolean;
  /**
   * Finished flows go to this module's sink, in whichever thread runs the flow half; with flow
   * shards, one spec per shard (`flowSinks`).
   */
  flowSink?: FlowSinkSpec;
  flowSinks?: FlowSinkSpec[];
  /**
   * Threads for the analysis: 1 runs it all in this thread; N > 1 reads here and spreads the flows
   * over N - 1 flow shards (workers). Default: one per core (a pipeline only for files of 16 MiB or
   * more, where a worker's start pays off).
   */
  threads?: number;
  /** Builds the capture's packet index in this same pass (for extracting its packets later). */
  packetIndex?: PacketIndexBuilder;
}

export interface AnalysisResult {
  path: string;
  info: CaptureInfo;
  analyzer: Analyzer;
  report: AnalysisReport;
  /** Reader warnings followed by the analysis' own (malformed and unsupported packets). */
  warnings: string[];
}

function bigFile(source: string | Readable): boolean {
  if (typeof source !== 'string') return false;
  try {
    return statSync(source).size >= PIPELINE_MIN_BYTES;
  } catch {
    return false;
  }
}

/** One pass over a capture: read → decode → analyse. */
export async function analyzeCapture(
  source: string | Readable,
  options: AnalyzeOptions = {},
): Promise<AnalysisResult> {
  const name = options.name ?? (typeof source === 'string' ? source : 'stream');
  const threads = options.threads;
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1))
    throw new RangeError('threads must be a whole number of at least 1');
  const pipelined =
    options.pipeline ??
    (threads === 1
      ? false
      : !options.onFlow &&
        !options.onLog &&
        pipelineAvailable() &&
        (threads !== undefined || bigFile(source)));
  if (pipelined && (options.onFlow || options.onLog))
    throw new Error('onFlow and onLog run in this thread: use flowSink with a pipeline');
  // One sink module instance per shard: a single `flowSink` means one shard.
  const shards = options.flowSinks?.length ?? (options.flowSink ? 1 : shardsFor(threads));
  const sinks = options.flowSinks ?? (options.flowSink ? [options.flowSink] : null);
  if (sinks !== null && sinks.length !== (pipelined ? shards : 1))
    throw new Error(`${sinks.length} flow sinks for ${pipelined ? shards : 1} flow shards`);
  const pipe = pipelined
    ? new FlowPipeline(
        {
          settings: options.settings ?? DEFAULT_SETTINGS,
          hints: true,
          flowIndex: options.flowIndex !== false,
          logRows: options.logRows,
        },
        sinks,
        shards,
      )
    : null;
  let onFlow = options.onFlow;
  let onLog = options.onLog;
  let sinkFinish: (() => Promise<void> | void) | undefined;
  if (!pipe && sinks) {
    const sink = await loadFlowSink(sinks[0], { beat: () => undefined });
    onFlow = (f, a) => sink.flow(f, a.addresses);
    onLog = sink.log ?? onLog;
    sinkFinish = sink.finish;
  }
  const analyzer = new Analyzer(
    { ...options, onFlow, onLog, hintParser: parseFlowHints },
    pipe?.shards ?? null,
  );
  const pkt = new DecodedPacket();
  let info: CaptureInfo;
  let report: AnalysisReport;
  try {
    info = await readCapture(
      source,
      (rec) => {
        decodePacket(rec.buf, rec.offset, rec.capLen, rec.origLen, rec.linkType, pkt);
        analyzer.add(rec, pkt);
      },
      { onProgress: options.onProgress, signal: options.signal, name, index: options.packetIndex },
    );
    if (pipe) report = analyzer.finishWith(await pipe.finish((s) => analyzer.pendingWordsOf(s)));
    else {
      report = analyzer.finish();
      await sinkFinish?.();
    }
  } catch (err) {
    pipe?.stop();
    throw err;
  }
  const stats = analyzer.stats;
  const warnings = [...info.warnings];
  const malformed = stats.malformedSummary();
  if (malformed) warnings.push(malformed);
  if (stats.unsupportedLinkType > 0) {
    const unsupported = info.linkTypes.filter((t) => !SUPPORTED_LINK_TYPES.includes(t));
    const names = unsupported.map((t) => `${t} (${linkTypeName(t)})`).join(', ');
    warnings.push(
      `unsupported link type ${names}: ${stats.unsupportedLinkType} packets counted but not decoded`,
    );
  }
  return { path: name, info, analyzer, report, warnings };
}
