import { DirectoryStore } from './directory.js';
import { parseS3Target, S3Store } from './s3.js';
import type { CaptureStore } from './store.js';

export { DirectoryStore } from './directory.js';
export { parseS3Target, S3Store } from './s3.js';
export { type CaptureStore, type LocalFile, type StoredCapture, StoreError } from './store.js';

/** `s3://BUCKET/PREFIX` → the S3 driver; anything else is a folder. */
export function openCaptureStore(target: string): CaptureStore {
  if (target.startsWith('s3://')) return new S3Store(target);
  return new DirectoryStore(target);
}

export function isS3Target(target: string): boolean {
  return parseS3Target(target) !== null;
}
