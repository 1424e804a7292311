import { parentPort, workerData } from 'node:worker_threads';
import { type GenerateOptions, generateCapture } from './generate.js';

/** Worker entry: writes one labelled capture and reports its ground truth, or the error. */
export interface DemoJob {
  path: string;
  options: GenerateOptions;
}

const job = workerData as DemoJob;
try {
  parentPort!.postMessage({ type: 'done', truth: generateCapture(job.path, job.options) });
} catch (e) {
  parentPort!.postMessage({ type: 'error', message: (e as Error).message });
}
