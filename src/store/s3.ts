import { createReadStream, createWriteStream, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { checkKey } from './directory.js';
import { type CaptureStore, type LocalFile, type StoredCapture, StoreError } from './store.js';

/** `s3://bucket/prefix` → its parts; anything else is not an S3 target. */
export function parseS3Target(target: string): { bucket: string; prefix: string } | null {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(target);
  if (!m) return null;
  const prefix = (m[2] ?? '').replace(/\/+$/, '');
  return { bucket: m[1], prefix: prefix === '' ? '' : `${prefix}/` };
}

export interface S3Options {
  /** Any S3-compatible endpoint (MinIO, Ceph, s3rver); the AWS one for the region when absent. */
  endpoint?: string;
  region?: string;
}

/**
 * Captures as objects in an S3-compatible bucket. Credentials come the SDK's usual ways
 * (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, an instance role); the endpoint from
 * AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, with path-style addressing (what S3-compatible
 * servers accept without wildcard DNS).
 */
export class S3Store implements CaptureStore {
  readonly location: string;
  private sdk: Promise<{ sdk: typeof import('@aws-sdk/client-s3'); client: S3Client }> | null = null;
  private readonly endpoint: string | undefined;
  private readonly region: string;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(target: string, options: S3Options = {}) {
    const parsed = parseS3Target(target);
    if (!parsed) throw new StoreError(`not an S3 store: '${target}' (expected s3://BUCKET/PREFIX)`);
    this.bucket = parsed.bucket;
    this.prefix = parsed.prefix;
    this.location = `s3://${parsed.bucket}/${parsed.prefix}`;
    this.endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
    this.region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  }

  /** The SDK is loaded on first use: a server with a folder store never loads it. */
  private s3(): Promise<{ sdk: typeof import('@aws-sdk/client-s3'); client: S3Client }> {
    this.sdk ??= import('@aws-sdk/client-s3').then((sdk) => ({
      sdk,
      client: new sdk.S3Client({
        region: this.region,
        endpoint: this.endpoint,
        forcePathStyle: this.endpoint !== undefined,
        // Checksums only where S3 demands them: the default streams a trailing checksum in
        // aws-chunked encoding, which several S3-compatible servers refuse.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }),
    }));
    return this.sdk;
  }

  private key(key: string): string {
    return this.prefix + checkKey(key);
  }

  async putFile(key: string, path: string, signal?: AbortSignal): Promise<void> {
    const size = statSync(path).size;
    const { sdk, client } = await this.s3();
    // One PUT streams the file (S3 takes up to 5 GB so; the upload limit is below it by default).
    await this.call('store the capture', () =>
      client.send(
        new sdk.PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key(key),
          Body: createReadStream(path),
          ContentLength: size,
        }),
        { abortSignal: signal },
      ),
    );
    rmSync(path, { force: true });
  }

  async size(key: string): Promise<number | null> {
    const { sdk, client } = await this.s3();
    try {
      const head = await client.send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      return head.ContentLength ?? null;
    } catch (err) {
      if (isMissing(err)) return null;
      throw this.error('read the capture', err);
    }
  }

  async readRange(key: string, start: number, end?: number, signal?: AbortSignal): Promise<Readable> {
    if (end !== undefined && end <= start) return Readable.from([]);
    const range = `bytes=${start}-${end === undefined ? '' : end - 1}`;
    const { sdk, client } = await this.s3();
    const out = await this.call('read the capture', () =>
      client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.key(key), Range: range }), {
        abortSignal: signal,
      }),
    );
    return out.Body as Readable;
  }

  async localFile(key: string, tmpDir: string, signal?: AbortSignal): Promise<LocalFile> {
    const path = join(tmpDir, checkKey(key));
    const { sdk, client } = await this.s3();
    const out = await this.call('read the capture', () =>
      client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }), {
        abortSignal: signal,
      }),
    );
    try {
      await pipeline(out.Body as Readable, createWriteStream(path), { signal });
    } catch (err) {
      rmSync(path, { force: true });
      throw err;
    }
    return {
      path,
      lasting: false,
      ref: this.location + checkKey(key),
      mtimeMs: out.LastModified ? out.LastModified.getTime() : null,
      release: () => rmSync(path, { force: true }),
    };
  }

  async open(key: string, signal?: AbortSignal): Promise<StoredCapture | null> {
    const head = await this.head(key);
    if (head === null) return null;
    return new S3Capture(this, key, head, signal);
  }

  /** Size and modification time of an object, or null when there is none. */
  async head(key: string): Promise<{ size: number; mtimeMs: number } | null> {
    const { sdk, client } = await this.s3();
    try {
      const head = await client.send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      return { size: head.ContentLength ?? 0, mtimeMs: head.LastModified?.getTime() ?? 0 };
    } catch (err) {
      if (isMissing(err)) return null;
      throw this.error('read the capture', err);
    }
  }

  async delete(key: string): Promise<void> {
    const { sdk, client } = await this.s3();
    await this.call('delete the capture', () =>
      client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(key) })),
    );
  }

  async close(): Promise<void> {
    if (this.sdk) (await this.sdk).client.destroy();
  }

  private async call<T>(what: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw this.error(what, err);
    }
  }

  private error(what: string, err: unknown): StoreError {
    const e = err as Error & { $metadata?: { httpStatusCode?: number }; Code?: string };
    const why = e.Code ?? e.name ?? 'error';
    return new StoreError(`cannot ${what} in ${this.location}: ${why}${e.message ? ` (${e.message})` : ''}`);
  }
}

/** The longest stretch kept in memory once read (extraction reads a flow's blocks twice: to find it, then to write it). */
const KEEP_BYTES = 4 << 20;

/**
 * An object read by position. Reads inside a stretch announced by `expect` are served from one
 * ranged GET streaming that stretch; any other read is a ranged GET of exactly its bytes. Reads
 * come one at a time (extraction awaits each), so one response is open at most. The last whole
 * stretch, when short, is kept: reading it again costs no request.
 */
class S3Capture implements StoredCapture {
  private kept: { start: number; end: number; bytes: Buffer } | null = null;
  private gathered: Buffer[] | null = null;
  private gatherStart = 0;
  private body: AsyncIterator<Buffer> | null = null;
  private left: Buffer | null = null;
  /** Object offset of the next byte of `body`, and where its range ends. */
  private at = 0;
  private end = 0;
  private window: { start: number; end: number } | null = null;

  constructor(
    private readonly store: S3Store,
    private readonly key: string,
    /** What the HEAD that opened it said: the first `stat` answers it without another request. */
    private opened: { size: number; mtimeMs: number } | null,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.size = opened!.size;
  }

  private readonly size: number;

  expect(start: number, end: number): void {
    this.window = { start, end: Math.min(end, this.size) };
  }

  async read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesRead: number }> {
    if (length <= 0 || position >= this.size) return { bytesRead: 0 };
    const kept = this.kept;
    if (
      kept !== null &&
      position >= kept.start &&
      position < kept.end &&
      (this.body === null || position !== this.at)
    ) {
      const n = Math.min(length, kept.end - position);
      kept.bytes.copy(buffer, offset, position - kept.start, position - kept.start + n);
      return { bytesRead: n };
    }
    if (this.body === null || position !== this.at) {
      await this.drop();
      const w = this.window;
      const end =
        w !== null && position >= w.start && position < w.end
          ? w.end
          : Math.min(this.size, position + length);
      const stream = await this.store.readRange(this.key, position, end, this.signal);
      this.body = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      this.at = position;
      this.end = end;
      this.gathered = end - position <= KEEP_BYTES ? [] : null;
      this.gatherStart = position;
    }
    let n = 0;
    while (n < length && this.at < this.end) {
      if (this.left === null || this.left.length === 0) {
        let next: IteratorResult<Buffer>;
        try {
          next = await this.body!.next();
        } catch (err) {
          await this.drop();
          if ((err as Error).name === 'AbortError' || this.signal?.aborted) throw err;
          throw new StoreError(
            `cannot read the capture in ${this.store.location}: ${(err as Error).message}`,
          );
        }
        if (next.done) break;
        this.left = next.value;
      }
      const k = Math.min(length - n, this.left.length);
      this.left.copy(buffer, offset + n, 0, k);
      this.gathered?.push(this.left.subarray(0, k));
      this.left = this.left.subarray(k);
      n += k;
      this.at += k;
    }
    if (this.at >= this.end && this.gathered !== null) {
      this.kept = { start: this.gatherStart, end: this.end, bytes: Buffer.concat(this.gathered) };
    }
    if (n === 0 || this.at >= this.end) await this.drop();
    return { bytesRead: n };
  }

  async stat(): Promise<{ size: number; mtimeMs: number }> {
    const first = this.opened;
    this.opened = null;
    if (first !== null) return first;
    const head = await this.store.head(this.key);
    // Gone meanwhile: a size no capture has, so the caller says it changed.
    return head ?? { size: -1, mtimeMs: 0 };
  }

  async close(): Promise<void> {
    this.kept = null;
    await this.drop();
  }

  private async drop(): Promise<void> {
    const body = this.body;
    this.body = null;
    this.left = null;
    this.gathered = null;
    // Ends the response early when a read stops before its range does (the socket is let go).
    if (body) await body.return?.();
  }
}

function isMissing(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}
