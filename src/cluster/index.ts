export { CHANNEL, ClusterChannel, type ClusterMessage } from './channel.js';
export { INGEST_QUEUE, INGEST_RETRIES, type IngestJob, openJobs } from './jobs.js';
export { type RunningWorker, startWorker, type WorkerOptions } from './worker.js';
