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
  /**
   * The object opened for reading by position (extraction reads only the stretches its packet
   * index names): null when there is none.
   */
  open(key: string, signal?: AbortSignal): Promise<StoredCapture | null>;
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
  /**
   * What a session records to find the capture again for its packets: the path for a folder
   * store, `s3://bucket/prefix/key` for S3 (the store's location and the key).
   */
  ref: string;
  /** The object's modification time in ms (recorded to notice a replaced object); null: the file's own. */
  mtimeMs: number | null;
  release(): void;
}

/**
 * A stored capture read by position, shaped as a FileHandle is (read, stat, close), so that
 * extraction reads a folder store's file and an S3 object alike.
 */
export interface StoredCapture {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  /** Says the next reads go through [start, end) in order: S3 fetches that stretch in one ranged GET. */
  expect?(start: number, end: number): void;
  /** Size and modification time now (a HEAD on S3). */
  stat(): Promise<{ size: number; mtimeMs: number }>;
  close(): Promise<void>;
}

/** A store that cannot be reached or used: the CLI shows its message in one line. */
export class StoreError extends Error {
  override name = 'StoreError';
}
