import { createWriteStream, rmSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { constants, gunzipSync } from 'node:zlib';
import { cleanName } from '../format/text.js';

/** Why an upload is refused; the route turns it into a status code. */
export class UploadError extends Error {
  constructor(
    readonly statusCode: 400 | 413 | 415 | 507,
    message: string,
  ) {
    super(message);
  }
}

const CAPTURE_MAGICS = [
  0xa1b2c3d4, // pcap µs
  0xd4c3b2a1,
  0xa1b23c4d, // pcap ns
  0x4d3cb2a1,
  0xa1b2cd34, // modified pcap
  0x34cdb2a1,
  0x0a0d0d0a, // pcapng section header
];

function isCaptureMagic(head: Buffer): boolean {
  return head.length >= 4 && CAPTURE_MAGICS.includes(head.readUInt32BE(0));
}

/**
 * Is `head` (the first bytes of a file) the start of a capture? A gzip file is looked into: its
 * first inflated bytes must be a capture's, so a compressed document is refused before it is kept.
 */
export function looksLikeCapture(head: Buffer): boolean {
  if (isCaptureMagic(head)) return true;
  if (head.length < 3 || head[0] !== 0x1f || head[1] !== 0x8b || head[2] !== 8) return false;
  try {
    // A partial gzip stream inflates as far as it goes with a sync flush instead of failing.
    return isCaptureMagic(gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH }));
  } catch {
    return false;
  }
}

/** Bytes to look at before deciding (a gzip header with a long name field needs more than 4). */
const HEAD_BYTES = 64 * 1024;

/**
 * Writes an upload stream to `path`, refusing it (415) when its first bytes show it is not a
 * capture, (413) when the multipart parser cut it at the size limit, or (507) when the disk will
 * not take it. The rest of the stream is still read after a refusal, so the client has sent its
 * whole request when the answer comes (else it sees a reset connection, not the message).
 * Nothing is left on disk when it is refused or the stream fails.
 */
export async function saveUpload(
  stream: Readable & { truncated?: boolean },
  path: string,
  maxBytes: number,
): Promise<number> {
  const out = createWriteStream(path, { flags: 'wx' });
  let failure: unknown = null;
  const closed = new Promise<void>((resolve) => {
    out.on('close', resolve);
    out.on('error', (e) => {
      failure ??= e;
      resolve();
    });
  });
  let size = 0;
  let head: Buffer | null = Buffer.alloc(0);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (failure !== null) continue;
    try {
      if (head !== null) {
        head = Buffer.concat([head, chunk]);
        if (head.length >= HEAD_BYTES || isCaptureMagic(head)) {
          if (!looksLikeCapture(head)) throw notCapture();
          await write(out, head);
          head = null;
        }
      } else {
        await write(out, chunk);
      }
    } catch (err) {
      failure ??= err;
    }
  }
  if (failure === null && stream.truncated) {
    failure = new UploadError(413, `the file is larger than the upload limit of ${formatLimit(maxBytes)}`);
  }
  if (failure === null && head !== null) {
    if (head.length === 0)
      failure = new UploadError(
        415,
        'the file is empty: expected pcap or pcapng (optionally gzip-compressed)',
      );
    else if (!looksLikeCapture(head)) failure = notCapture();
    else out.write(head);
  }
  if (failure === null) {
    out.end();
    await closed;
  }
  if (failure === null) return size;
  out.destroy();
  await closed;
  rmSync(path, { force: true });
  const code = (failure as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    throw new UploadError(507, "the server's disk is full: the upload was not kept");
  }
  if (code === 'EACCES' || code === 'EROFS' || code === 'EPERM') {
    throw new UploadError(
      507,
      `the server cannot write its uploads folder (${code}): the upload was not kept`,
    );
  }
  throw failure;
}

/** Writes a chunk, waiting for the file to drain (or fail: the caller sees the failure). */
async function write(out: NodeJS.WritableStream, chunk: Buffer): Promise<void> {
  if (!out.write(chunk)) {
    await new Promise<void>((resolve) => {
      // Whichever comes first removes the other, or every slow write would leave a listener.
      const done = () => {
        out.off('drain', done);
        out.off('error', done);
        resolve();
      };
      out.once('drain', done);
      out.once('error', done);
    });
  }
}

function notCapture(): UploadError {
  return new UploadError(
    415,
    'the file is not a capture: expected pcap or pcapng (optionally gzip-compressed)',
  );
}

export function formatLimit(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(bytes % 1e9 === 0 ? 0 : 1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(bytes % 1e6 === 0 ? 0 : 1)} MB`;
  return `${bytes} bytes`;
}

/** The name to show for an uploaded file: its last path part, cleaned as every name is. */
export function displayFileName(name: string | undefined): string {
  const last = (name ?? '').split(/[\\/]/).pop() ?? '';
  const clean = cleanName(last).slice(0, 200);
  return clean === '' || clean === '.' || clean === '..' ? 'upload' : clean;
}
