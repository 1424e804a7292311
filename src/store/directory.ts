import { createReadStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { copyFile, open, rename } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { type CaptureStore, type LocalFile, type StoredCapture, StoreError } from './store.js';

/** Keys become file names: no separators, nothing that climbs out of the folder. */
export function checkKey(key: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(key)) throw new StoreError(`not a capture key: '${key}'`);
  return key;
}

/** Captures as files in one folder: local, or shared storage mounted on every node (NFS, …). */
export class DirectoryStore implements CaptureStore {
  readonly location: string;

  constructor(dir: string) {
    this.location = resolve(dir);
    try {
      mkdirSync(this.location, { recursive: true });
    } catch (err) {
      throw new StoreError(`cannot use ${this.location} as the capture store: ${(err as Error).message}`);
    }
  }

  path(key: string): string {
    return join(this.location, checkKey(key));
  }

  async putFile(key: string, path: string): Promise<void> {
    const to = this.path(key);
    try {
      // Same file system: a rename, no copy. Otherwise a copy under a temporary name, renamed
      // once whole, so a reader never sees half a capture.
      await rename(path, to);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      const part = `${to}.part`;
      await copyFile(path, part);
      await rename(part, to);
      rmSync(path, { force: true });
    }
  }

  async size(key: string): Promise<number | null> {
    const path = this.path(key);
    try {
      return statSync(path).size;
    } catch {
      return null;
    }
  }

  async readRange(key: string, start: number, end?: number): Promise<Readable> {
    const path = this.path(key);
    if (end !== undefined && end <= start) return Readable.from([]);
    // createReadStream's end is inclusive.
    return createReadStream(path, { start, end: end === undefined ? undefined : end - 1 });
  }

  async localFile(key: string): Promise<LocalFile> {
    const path = this.path(key);
    return { path, lasting: true, ref: path, mtimeMs: null, release: () => undefined };
  }

  async open(key: string): Promise<StoredCapture | null> {
    try {
      // The file handle itself: reading a local file goes through no extra layer.
      return await open(this.path(key), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    rmSync(this.path(key), { force: true });
  }

  async close(): Promise<void> {}
}
