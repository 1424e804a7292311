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
import { formatBytes } from '../../format/index.js';
import type { Db } from '../../storage/index.js';
import { asUsage, DB_OPTION, dbTarget, UsageError } from '../args.js';
import { type CliIo, type ErrorLine, EXIT_OK, EXIT_REJECTED, wantsProgressBar } from '../io.js';
import { ProgressBar } from '../progress.js';
import { STDIN_NAME, spoolStdin } from '../stdin.js';
import { humanSummary } from '../summary-text.js';

/** `flowlens analyze FILE...`: each capture summarised, and stored as a session unless --no-store. */
export async function run(args: string[], io: CliIo, err: ErrorLine): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      'no-store': { type: 'boolean', default: false },
      'no-logs': { type: 'boolean', default: false },
      threads: { type: 'string' },
      window: { type: 'string', default: 'auto' },
      'local-net': { type: 'string', multiple: true },
      'flow-timeout': { type: 'string' },
      name: { type: 'string' },
      baseline: { type: 'string' },
      keep: { type: 'boolean', default: false },
      'keep-captures': { type: 'string' },
      intel: { type: 'string', multiple: true },
      ...DB_OPTION,
    },
  });
  if (positionals.length === 0) throw new UsageError('analyze needs at least one capture file');
  if (values['no-store'] && (values.keep || values['keep-captures'] !== undefined))
    throw new UsageError('--keep and --keep-captures need the database: drop --no-store');
  const packets =
    values.keep || values['keep-captures'] !== undefined ? await import('../../packets/index.js') : null;
  const retention =
    values['keep-captures'] === undefined ? null : packets!.parseRetention(values['keep-captures']);
  if (values['keep-captures'] !== undefined && retention === null)
    throw new UsageError(
      `--keep-captures takes days (30, 30d) or a size (20GB), not '${values['keep-captures']}'`,
    );
  if (positionals.filter((p) => p === '-').length > 1)
    throw new UsageError("standard input ('-') can be read once");
  const settings = asUsage(() =>
    resolveSettings({
      window: values.window,
      localNets: values['local-net'],
      flowTimeouts: values['flow-timeout'],
      logs: !values['no-logs'],
    }),
  );
  const intel = readIntel(values.intel ?? []);
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && (!/^[1-9][0-9]{0,2}$/.test(values.threads!) || threads > 64))
    throw new UsageError(`--threads takes a whole number from 1 to 64, not '${values.threads}'`);
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
    for (const arg of positionals) {
      // `-` is standard input (`tcpdump -w - … | flowlens analyze -`), spooled to a temporary file.
      const fromStdin = arg === '-';
      const file = fromStdin ? STDIN_NAME : arg;
      let spooled: { path: string; remove: () => void } | null = null;
      if (fromStdin) {
        const bar = tty ? new ProgressBar(STDIN_NAME, io.stderr as NodeJS.WriteStream) : null;
        try {
          spooled = await spoolStdin(io.stdin ?? process.stdin, (n) =>
            bar?.update({ bytesRead: n, bytesTotal: null, packets: 0 }),
          );
        } finally {
          bar?.done();
        }
      }
      const path = spooled?.path ?? arg;
      try {
        const notCapture = fromStdin ? null : notAFile(file);
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
            // --keep: the session reads a copy Flowlens keeps, not the user's file (which may move).
            // Standard input is always kept: its spooled copy is removed once analysed.
            const kept =
              values.keep || fromStdin
                ? await keepCopy(db, target!, path, basename(file), values.name, settings.localNets)
                : null;
            const stored = await ingestCapture(db, kept?.path ?? path, {
              settings,
              threads,
              sessionId: kept?.sessionId,
              fileName: basename(file),
              name: file,
              keptCopy: kept !== null,
              sessionName: values.name,
              baselineSessionId: values.baseline,
              intel,
              onProgress: bar ? (p) => bar.update(p) : undefined,
            });
            summary = stored.summary;
            warnings = stored.warnings;
          } else {
            const result = await analyzeCapture(path, {
              settings,
              name: file,
              threads,
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
            const detection = detect(result, base, undefined, RULE_LIST, {
              logs: result.report.logRows,
              intel,
            });
            summary = withDetection(base, detection);
            warnings = [...result.warnings, ...detection.warnings];
          }
        } catch (e) {
          bar?.done();
          // A message about the spooled copy names standard input instead.
          if (e instanceof CaptureFormatError)
            err(spooled ? e.message.replaceAll(path, STDIN_NAME) : e.message);
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
      } finally {
        spooled?.remove();
      }
    }
    if (db && retention) {
      const freed = await packets!.applyRetention(db, retention);
      if (freed.length > 0)
        err(
          `--keep-captures: freed ${freed.length} kept ${freed.length === 1 ? 'capture' : 'captures'} (${formatBytes(freed.reduce((s, f) => s + f.bytes, 0))}); their packets are no longer kept`,
        );
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

/** Copies a capture into the kept-captures folder under a new session's id (made here, queued). */
async function keepCopy(
  db: Db,
  target: string,
  file: string,
  fileName: string,
  sessionName: string | undefined,
  localNets: readonly string[] | null,
): Promise<{ sessionId: string; path: string }> {
  const { capturesFolder, keepCaptureCopy } = await import('../../packets/index.js');
  const { createSession, deleteSession } = await import('../../storage/index.js');
  const sessionId = await createSession(db, {
    name: sessionName ?? fileName,
    fileName,
    fileSize: statSync(file).size,
    localNets,
  });
  try {
    return { sessionId, path: await keepCaptureCopy(file, capturesFolder(target), sessionId) };
  } catch (e) {
    await deleteSession(db, sessionId);
    throw new CaptureFormatError(`${file}: cannot keep a copy: ${(e as Error).message}`);
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
