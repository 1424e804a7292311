import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** The name a capture read from standard input goes by (in messages, the summary, the session). */
export const STDIN_NAME = 'stdin';

/**
 * Copies standard input to a private temporary file (under $TMPDIR) and returns its path and a
 * function that removes it: the analysis reads a capture twice (facts, then flows) and in worker
 * threads, which a pipe cannot give it. `onBytes` reports the bytes copied so far.
 */
export async function spoolStdin(
  input: NodeJS.ReadableStream,
  onBytes?: (bytes: number) => void,
): Promise<{ path: string; remove: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-stdin-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const path = join(dir, 'capture');
  let bytes = 0;
  try {
    await pipeline(
      input as NodeJS.ReadableStream & AsyncIterable<Buffer>,
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          bytes += chunk.length;
          onBytes?.(bytes);
          yield chunk;
        }
      },
      createWriteStream(path, { mode: 0o600 }),
    );
  } catch (e) {
    remove();
    throw e;
  }
  return { path, remove };
}
