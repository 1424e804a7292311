export { type App, buildApp } from './app.js';
export { allowedHostNames } from './auth.js';
export type { ServerOptions } from './context.js';
export { IngestQueue, type LiveState } from './queue.js';
export {
  defaultUploadsDir,
  defaultWebDir,
  ListenError,
  type RunningServer,
  type StartOptions,
  startServer,
} from './start.js';
export { looksLikeCapture } from './upload.js';
