import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CaptureStore,
  DirectoryStore,
  openCaptureStore,
  S3Store,
  StoreError,
} from '../src/store/index.js';
import { type LocalS3, startLocalS3 } from './helpers/s3-server.js';

async function bytesOf(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

const tmp = mkdtempSync(join(tmpdir(), 'flowlens-store-test-'));
let s3: LocalS3;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  s3 = await startLocalS3();
  for (const [k, v] of Object.entries(s3.env)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});

afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await s3?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const drivers: [string, () => CaptureStore][] = [
  ['a folder', () => openCaptureStore(join(tmp, 'captures'))],
  ['S3 (s3rver)', () => openCaptureStore(`s3://${s3.bucket}/team/a`)],
];

describe.each(drivers)('the capture store in %s', (_name, open) => {
  // 3 MB of random bytes: a range read that comes back shifted or short cannot match by chance.
  const content = randomBytes(3 * 1024 * 1024 + 17);

  it('keeps a capture and gives back any byte range of it exactly', async () => {
    const store = open();
    const src = join(tmp, `up-${Math.random()}`);
    writeFileSync(src, content);
    await store.putFile('s1.capture', src);
    expect(existsSync(src)).toBe(false); // the upload's temporary file is not left behind
    expect(await store.size('s1.capture')).toBe(content.length);
    for (const [a, b] of [
      [0, 24],
      [1_000_003, 2_500_001],
      [content.length - 5, content.length],
      [10, 10],
    ])
      expect((await bytesOf(await store.readRange('s1.capture', a, b))).equals(content.subarray(a, b))).toBe(
        true,
      );
    expect(
      (await bytesOf(await store.readRange('s1.capture', 3_000_000))).equals(content.subarray(3_000_000)),
    ).toBe(true);
    const local = await store.localFile('s1.capture', tmp);
    expect(readFileSync(local.path).equals(content)).toBe(true);
    local.release();
    await store.delete('s1.capture');
    expect(await store.size('s1.capture')).toBeNull();
    await store.delete('s1.capture'); // deleting twice is not an error
    await store.close();
  });

  it('reads a capture by position as extraction does: announced stretches, stray reads, reads again', async () => {
    const store = open();
    const src = join(tmp, `up-${Math.random()}`);
    writeFileSync(src, content);
    await store.putFile('s2.capture', src);
    expect(await store.open('nothing.capture')).toBeNull();
    const cap = (await store.open('s2.capture'))!;
    expect((await cap.stat()).size).toBe(content.length);
    const read = async (pos: number, len: number) => {
      const buf = Buffer.alloc(len);
      const { bytesRead } = await cap.read(buf, 0, len, pos);
      return buf.subarray(0, bytesRead);
    };
    // A stray read (a header), then a stretch read in pieces that do not fall on chunk bounds,
    // the same stretch again, one beyond the end, and a read left half-way by another.
    expect((await read(0, 24)).equals(content.subarray(0, 24))).toBe(true);
    for (const [a, b] of [
      [1_000_003, 2_500_001],
      [1_000_003, 2_500_001],
      [2_000_000, content.length + 100],
    ]) {
      cap.expect?.(a, b);
      const parts: Buffer[] = [];
      for (let at = a; at < b; ) {
        const piece = await read(at, Math.min(65_537, b - at));
        if (piece.length === 0) break;
        parts.push(piece);
        at += piece.length;
      }
      expect(Buffer.concat(parts).equals(content.subarray(a, b))).toBe(true);
    }
    cap.expect?.(100, 3_000_000);
    expect((await read(100, 10)).equals(content.subarray(100, 110))).toBe(true);
    expect((await read(5_000, 10)).equals(content.subarray(5_000, 5_010))).toBe(true);
    expect((await read(content.length, 10)).length).toBe(0);
    await cap.close();
    await store.delete('s2.capture');
    await store.close();
  });

  it('refuses a key that would leave its folder or prefix', async () => {
    const store = open();
    await expect(store.size('../etc/passwd')).rejects.toThrow(StoreError);
    await store.close();
  });
});

describe('choosing a store', () => {
  it('takes s3://BUCKET/PREFIX as S3 and anything else as a folder', () => {
    expect(openCaptureStore(join(tmp, 'x'))).toBeInstanceOf(DirectoryStore);
    const s = openCaptureStore('s3://my-bucket/some/prefix/');
    expect(s).toBeInstanceOf(S3Store);
    expect(s.location).toBe('s3://my-bucket/some/prefix/');
  });

  it('says in one line why an S3 target is malformed', () => {
    expect(() => new S3Store('s3://A_B')).toThrow(/expected s3:\/\/BUCKET\/PREFIX/);
  });

  it('names the bucket when it does not exist', async () => {
    const store = openCaptureStore('s3://no-such-bucket/x');
    const src = join(tmp, 'up-missing');
    writeFileSync(src, 'abc');
    await expect(store.putFile('k.capture', src)).rejects.toThrow(/s3:\/\/no-such-bucket\/x\/.*NoSuchBucket/);
    await store.close();
  });
});
