import type { Readable } from 'node:stream';
import { type CaptureInfo, linkTypeName, type ReadProgress, readCapture } from '../capture/index.js';
import { DecodedPacket, decodePacket, SUPPORTED_LINK_TYPES } from '../decode/index.js';
import { type AnalysisReport, Analyzer, type AnalyzerOptions } from './analyzer.js';
import { parseFlowHints } from './hints.js';

export interface AnalyzeOptions extends Omit<AnalyzerOptions, 'hintParser'> {
  onProgress?: (progress: ReadProgress) => void;
  signal?: AbortSignal;
  /** Name shown in messages and in the summary's file.path. */
  name?: string;
}

export interface AnalysisResult {
  path: string;
  info: CaptureInfo;
  analyzer: Analyzer;
  report: AnalysisReport;
  /** Reader warnings followed by the analysis' own (malformed and unsupported packets). */
  warnings: string[];
}

/** One pass over a capture: read → decode → analyse. */
export async function analyzeCapture(
  source: string | Readable,
  options: AnalyzeOptions = {},
): Promise<AnalysisResult> {
  const analyzer = new Analyzer({ ...options, hintParser: parseFlowHints });
  const pkt = new DecodedPacket();
  const name = options.name ?? (typeof source === 'string' ? source : 'stream');
  const info = await readCapture(
    source,
    (rec) => {
      decodePacket(rec.buf, rec.offset, rec.capLen, rec.origLen, rec.linkType, pkt);
      analyzer.add(rec, pkt);
    },
    { onProgress: options.onProgress, signal: options.signal, name },
  );
  const report = analyzer.finish();
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
