import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { analyzeCapture, buildSummary, resolveSettings, WindowLimitError } from '../../analysis/index.js';
import { CaptureFormatError, type ReadProgress } from '../../capture/index.js';
import {
  detect,
  type FullSummary,
  type IntelEntry,
  IntelError,
  parseIntelList,
  RULE_LIST,
  withDetection,
} from '../../detect/index.js';
import { asUsage, DB_OPTION, dbTarget, UsageError } from '../args.js';
import { type CliIo, type ErrorLine, EXIT_OK, EXIT_REJECTED, wantsProgressBar } from '../io.js';
import { ProgressBar } from '../progress.js';
import { humanSummary } from '../summary-text.js';

/** `flowlens analyze FILE...`: each capture summarised, and stored as a session unless --no-store. */
export async function run(args: string[], io: CliIo, err: ErrorLine): Promise<number> {
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
      intel: { type: 'string', multiple: true },
      ...DB_OPTION,
    },
  });
  if (positionals.length === 0) throw new UsageError('analyze needs at least one capture file');
  const settings = asUsage(() =>
    resolveSettings({
      window: values.window,
      localNets: values['local-net'],
      flowTimeouts: values['flow-timeout'],
    }),
  );
  const intel = readIntel(values.intel ?? []);
  // The database and the ingest are loaded only when something is stored. PGlite runs in a
  // thread of its own: its COPYs run synchronously and would freeze the progress bar.
  const target = values['no-store'] ? null : dbTarget(values.db);
  const db =
    target === null
      ? null
      : await (await import('../../storage/index.js')).openStore(target, { pgliteThread: true });
  try {
    const ingestCapture = db ? (await import('../../ingest/index.js')).ingestCapture : null;
    const tty = wantsProgressBar(io, values.json);
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
      let summary: FullSummary & { session_id?: string };
      let warnings: string[];
      try {
        if (db && ingestCapture) {
          const stored = await ingestCapture(db, file, {
            settings,
            sessionName: values.name,
            baselineSessionId: values.baseline,
            intel,
            onProgress: bar ? (p) => bar.update(p) : undefined,
          });
          summary = stored.summary;
          warnings = stored.warnings;
        } else {
          const result = await analyzeCapture(file, {
            settings,
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
          const detection = detect(result, base, undefined, RULE_LIST, { intel });
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

/** The entries of every `--intel FILE`; a missing file or a bad line is a usage error (exit 2). */
function readIntel(files: string[]): IntelEntry[] {
  return files.flatMap((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(`--intel ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    try {
      return parseIntelList(text, basename(file));
    } catch (e) {
      if (e instanceof IntelError) throw new UsageError(`--intel ${e.message}`);
      throw e;
    }
  });
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
