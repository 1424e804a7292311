import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** s3rver (an S3 API over a folder, from npm): a local S3-compatible endpoint for the store's tests. */
export interface LocalS3 {
  endpoint: string;
  bucket: string;
  /** The environment a Flowlens process needs to reach it. */
  env: Record<string, string>;
  close(): Promise<void>;
}

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}

export async function startLocalS3(bucket = 'flowlens-test'): Promise<LocalS3> {
  const S3rver = createRequire(import.meta.url)('s3rver') as new (o: object) => S3rverInstance;
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: dir,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  // s3rver's fixed credentials.
  const env = {
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_S3: endpoint,
  };
  return {
    endpoint,
    bucket,
    env,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
