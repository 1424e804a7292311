import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { type CaptureWindowing, scanWindowing, WindowLimitError } from '../analysis/index.js';
import { CaptureFormatError } from '../capture/index.js';
import { type PrepareOptions, prepareCapture } from './prepare.js';

/**
 * Worker entry of an ingest. Two jobs: `prepare` analyses the capture and writes the rows (see
 * prepare.ts), reporting progress, then the result or the error; `facts` makes a quick first
 * pass over the file for its SHA-256 and its windows (what a flow's window id needs while the
 * analysis still runs).
 */
export interface WorkerJob {
  kind?: 'prepare';
  path: string;
  sessionId: string;
  spoolDir: string;
  options: Omit<PrepareOptions, 'onProgress'>;
}

export interface FactsJob {
  kind: 'facts';
  path: string;
  windowLength: number | null;
}

export interface Facts {
  sha256: string | null;
  /** Null when the first pass could not tell (a compressed or unreadable capture). */
  windowing: CaptureWindowing | null;
}

async function facts(job: FactsJob): Promise<Facts> {
  const hash = createHash('sha256');
  let hashed = 0;
  let windowing: CaptureWindowing | null = null;
  try {
    const fd = openSync(job.path, 'r');
    const magic = Buffer.alloc(2);
    const n = readSync(fd, magic, 0, 2, 0);
    closeSync(fd);
    if (n === 2 && magic[0] === 0x1f && magic[1] === 0x8b) {
      // Compressed: inflating twice would cost more than the loader saves; hash only.
    } else {
      windowing = await scanWindowing(job.path, job.windowLength, {
        onBytes: (b) => {
          hash.update(b);
          hashed += b.length;
        },
      });
    }
    // Whatever the first pass did not read (a capture that stops early, or a compressed one).
    for await (const chunk of createReadStream(job.path, { start: hashed, highWaterMark: 4 << 20 }))
      hash.update(chunk as Buffer);
    return { sha256: hash.digest('hex'), windowing };
  } catch {
    return { sha256: null, windowing };
  }
}

if ((workerData as { kind?: string }).kind === 'facts') {
  facts(workerData as FactsJob).then(
    (f) => parentPort!.postMessage({ type: 'facts', facts: f }),
    (e: Error) =>
      parentPort!.postMessage({ type: 'facts', facts: { sha256: null, windowing: null }, error: e.message }),
  );
} else {
  const job = workerData as WorkerJob;
  let last = 0;
  prepareCapture(job.path, job.sessionId, job.spoolDir, {
    ...job.options,
    onProgress: (p) => {
      const now = Date.now();
      // About 8 messages a second are plenty for a progress bar or an SSE stream.
      if (p.phase === 'reading' && now - last < 125) return;
      last = now;
      parentPort!.postMessage({ type: 'progress', progress: p });
    },
  }).then(
    (prepared) => parentPort!.postMessage({ type: 'done', prepared }),
    (e: Error) =>
      parentPort!.postMessage({
        type: 'error',
        kind:
          e instanceof CaptureFormatError ? 'capture' : e instanceof WindowLimitError ? 'window' : 'other',
        message: e.message,
        stack: e.stack,
      }),
  );
}
