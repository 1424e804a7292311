import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatBytes, formatCount } from '../../format/index.js';
import {
  CaptureChangedError,
  PacketsError,
  planSessionPackets,
  writePlannedPackets,
} from '../../packets/index.js';
import { openStore } from '../../storage/index.js';
import { type CaptureStore, openCaptureStore, StoreError } from '../../store/index.js';
import { DB_OPTION, dbTarget, sessionIdArg, UsageError } from '../args.js';
import { type CliIo, type ErrorLine, EXIT_OK, EXIT_REJECTED } from '../io.js';

/**
 * `flowlens packets ID (--flow N | --alert N | --window K | --from T --to T | --host IP | --hosts A,B
 * | --ip/--port/--protocol) [-o FILE] [--store s3://BUCKET/PREFIX]`: the selected packets as pcap
 * (pcapng when the capture needs it), on stdout so that `| tshark -r -` and `| wireshark -k -i -`
 * work, or into FILE. A capture kept in an S3 store is read by ranged GETs, only the blocks needed.
 */
export async function run(args: string[], io: CliIo, err: ErrorLine): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      flow: { type: 'string' },
      alert: { type: 'string' },
      window: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      host: { type: 'string' },
      hosts: { type: 'string' },
      ip: { type: 'string' },
      port: { type: 'string' },
      protocol: { type: 'string' },
      output: { type: 'string', short: 'o' },
      store: { type: 'string' },
      ...DB_OPTION,
    },
  });
  const id = sessionIdArg(positionals, 'packets');
  const file = values.output;
  if (file === undefined && 'isTTY' in io.stdout && (io.stdout as NodeJS.WriteStream).isTTY)
    throw new UsageError(
      'refusing to write a binary capture to the terminal: add -o FILE, or pipe it (| tshark -r -)',
    );
  // The S3 store the uploads went to (its endpoint and credentials from the environment); without
  // it, the one a session recorded is opened from its location.
  let store: CaptureStore | null = null;
  try {
    if (values.store !== undefined) store = openCaptureStore(values.store);
  } catch (e) {
    if (e instanceof StoreError) throw new UsageError(e.message);
    throw e;
  }
  try {
    return await extract(id, values, file, io, err, store);
  } finally {
    await store?.close();
  }
}

async function extract(
  id: string,
  values: Record<string, string | undefined>,
  file: string | undefined,
  io: CliIo,
  err: ErrorLine,
  store: CaptureStore | null,
): Promise<number> {
  const db = await openStore(dbTarget(values.db));
  let plan: Awaited<ReturnType<typeof planSessionPackets>>;
  try {
    plan = await planSessionPackets(
      db,
      id,
      {
        flow: num(values.flow),
        alert: num(values.alert),
        window: num(values.window),
        from: values.from,
        to: values.to,
        host: values.host,
        hosts: values.hosts,
        ip: values.ip,
        port: num(values.port),
        protocol: values.protocol,
      },
      { store },
    );
  } catch (e) {
    if (e instanceof PacketsError) {
      err(e.message);
      return EXIT_REJECTED;
    }
    throw e;
  } finally {
    await db.close();
  }
  // A file is written under a temporary name and renamed once whole: never a partial file under its name.
  const part = file === undefined ? null : `${file}.part`;
  const out = part === null ? io.stdout : createWriteStream(part);
  try {
    const result = await writePlannedPackets(
      plan,
      out as NodeJS.WritableStream as import('node:stream').Writable,
      {
        end: part !== null,
      },
    );
    if (part !== null) renameSync(part, file!);
    err(
      `${formatCount(result.packets)} packets (${formatBytes(result.bytes)}) as ${result.format} ${file === undefined ? 'on stdout' : `in ${file}`}`,
    );
    for (const w of result.warnings) err(`warning: ${w}`);
    return EXIT_OK;
  } catch (e) {
    if (part !== null) rmSync(part, { force: true });
    if (e instanceof CaptureChangedError || e instanceof StoreError) {
      err(e.message);
      return EXIT_REJECTED;
    }
    if ((e as Error).name === 'OutputClosedError' || (e as NodeJS.ErrnoException).code === 'EPIPE') {
      err('the output was closed before every packet was written');
      return EXIT_REJECTED;
    }
    throw e;
  }
}

/** A numeric flag as the request takes it (strings that are not numbers are refused there). */
function num(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  return (/^\d+$/.test(v.trim()) ? Number(v) : v) as number;
}
