import type { Readable } from 'node:stream';
import { type CaptureInfo, linkTypeName, type ReadProgress, readCapture } from '../capture/index.js';
import { DecodedPacket, decodePacket, SUPPORTED_LINK_TYPES } from '../decode/index.js';
import { CaptureStats } from './capture-stats.js';

export interface AnalyzeOptions {
  onProgress?: (progress: ReadProgress) => void;
  signal?: AbortSignal;
  /** Name shown in messages and in the summary's file.path. */
  name?: string;
}

export interface AnalysisResult {
  path: string;
  info: CaptureInfo;
  stats: CaptureStats;
  /** Reader warnings followed by the analysis' own (malformed and unsupported packets). */
  warnings: string[];
}

/** One pass over a capture: read → decode → count. */
export async function analyzeCapture(
  source: string | Readable,
  options: AnalyzeOptions = {},
): Promise<AnalysisResult> {
  const stats = new CaptureStats();
  const pkt = new DecodedPacket();
  const name = options.name ?? (typeof source === 'string' ? source : 'stream');
  const info = await readCapture(
    source,
    (rec) => {
      decodePacket(rec.buf, rec.offset, rec.capLen, rec.origLen, rec.linkType, pkt);
      stats.add(rec, pkt);
    },
    { onProgress: options.onProgress, signal: options.signal, name },
  );
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
  return { path: name, info, stats, warnings };
}
