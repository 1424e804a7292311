import type { Readable } from 'node:stream';

/**
 * Where uploaded captures are kept, shared by every node of a deployment: API nodes put them,
 * workers read them. Keys are plain names (`<session id>.capture`); the driver decides where.
 */
export interface CaptureStore {
  /** For messages and logs: the folder or `s3://bucket/prefix`. */
  readonly location: string;
  /** Streams a local file into the store under `key` (replacing any object of that key). */
  putFile(key: string, path: string, signal?: AbortSignal): Promise<void>;
  /** The object's size in bytes, or null when there is none. */
  size(key: string): Promise<number | null>;
  /** Bytes [start, end) of the object (end: its size when absent): a ranged GET on S3. */
  readRange(key: string, start: number, end?: number, signal?: AbortSignal): Promise<Readable>;
  /**
   * A local file with the object's bytes, for the ingest (it reads a path): the file itself in a
   * folder store, a download into `tmpDir` otherwise; `release()` removes a download.
   */
  localFile(key: string, tmpDir: string, signal?: AbortSignal): Promise<LocalFile>;
  /** Removes the object; no error when there is none. */
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

export interface LocalFile {
  path: string;
  /**
   * Whether the path outlives `release` (a directory store's own file): a session may then keep
   * referring to it for its packets. An S3 object comes as a temporary download that does not.
   */
  lasting: boolean;
  release(): void;
}

/** A store that cannot be reached or used: the CLI shows its message in one line. */
export class StoreError extends Error {
  override name = 'StoreError';
}
