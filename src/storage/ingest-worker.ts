import { parentPort, workerData } from 'node:worker_threads';
import { WindowLimitError } from '../analysis/index.js';
import { CaptureFormatError } from '../capture/index.js';
import { type PrepareOptions, prepareCapture } from './prepare.js';

/** Worker entry: prepares one capture and reports progress, then the result or the error. */
export interface WorkerJob {
  path: string;
  sessionId: string;
  spoolDir: string;
  options: Omit<PrepareOptions, 'onProgress'>;
}

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
      kind: e instanceof CaptureFormatError ? 'capture' : e instanceof WindowLimitError ? 'window' : 'other',
      message: e.message,
      stack: e.stack,
    }),
);
