import { createReadStream } from 'node:fs';
import { windowAt } from '../analysis/index.js';
import { type Db, STORED_FLOW_COLUMNS } from '../storage/index.js';
import type { Prepared } from './prepare.js';

// Loading the spool files that `prepare.ts` writes: CSV, COPYed in batches of whole lines.

/** How many rows go into one COPY. */
const BATCH_ROWS = 20_000;

/** COPYs a spool file in batches of whole lines. */
export async function copyFile(
  tx: Db,
  table: string,
  columns: readonly string[],
  file: string,
  signal: AbortSignal | undefined,
): Promise<number> {
  let rows = 0;
  await forEachLineBatch(file, async (lines) => {
    signal?.throwIfAborted();
    await tx.copyCsv(table, columns, lines.join(''));
    rows += lines.length;
  });
  return rows;
}

async function forEachLineBatch(
  file: string,
  fn: (lines: string[]) => Promise<void>,
  map?: (line: string) => string,
): Promise<void> {
  let rest = '';
  let lines: string[] = [];
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 4 << 20 })) {
    const text = rest + (chunk as string);
    let at = 0;
    for (;;) {
      const nl = text.indexOf('\n', at);
      if (nl < 0) break;
      const line = text.slice(at, nl + 1);
      at = nl + 1;
      lines.push(map ? map(line) : line);
      if (lines.length === BATCH_ROWS) {
        await fn(lines);
        lines = [];
      }
    }
    rest = text.slice(at);
  }
  if (lines.length > 0) await fn(lines);
}

/** Streams the spooled CSV flows into COPY batches, putting each flow's window id in place. */
export async function loadSpooledFlows(
  tx: Db,
  flowTable: string,
  sessionId: string,
  idBlock: number,
  prepared: Prepared,
  signal: AbortSignal | undefined,
): Promise<number> {
  const { t0, lengthS, count } = prepared.windowing;
  const prefix = sessionId.length + 1;
  const base = BigInt(idBlock) << 32n;
  let rows = 0;
  await forEachLineBatch(
    prepared.files.flows ?? '',
    async (lines) => {
      signal?.throwIfAborted();
      await tx.copyCsv(flowTable, STORED_FLOW_COLUMNS, lines.join(''));
      rows += lines.length;
    },
    (line) => {
      const a = line.indexOf(',', prefix); // after flow_id
      const b = line.indexOf(',', a + 1); // after the start-time placeholder
      const id = base + BigInt(line.slice(prefix, a));
      return `${id},${line.slice(0, a + 1)}${windowAt(Number(line.slice(a + 1, b)), t0, lengthS, count)}${line.slice(b)}`;
    },
  );
  return rows;
}
