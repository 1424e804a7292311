import { spawnSync } from 'node:child_process';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import {
  INDEX_BLOCK_BYTES,
  INDEX_BLOCK_RECORDS,
  PacketIndexBuilder,
  parsePacketIndex,
  readCapture,
  serializePacketIndex,
} from '../src/capture/index.js';
import { extractPackets, type FlowRef, flowRefOf, type Selection } from '../src/extract/index.js';

// `node dist/bench/extract.js [CAPTURE]`: the packet index and extraction on the bench capture, in
// fresh processes (peak RSS is per process): the read alone without and with the index
// (interleaved), the index's size, single flows, time ranges of 1, 10 and 60 minutes, and each
// block size the index could use. It only reads the capture: build it first with `npm run bench`.

const ROOT = fileURLToPath(new URL('../../', import.meta.url)); // dist/bench → project root
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

interface Measurement {
  seconds: number;
  packets: number;
  outBytes: number;
  scannedBytes: number;
  maxRssMb: number;
  indexBytes: number;
  blocks: number;
}

/** What a child process measures: `read` or `index` (the whole file), or an extraction. */
interface Job {
  mode: 'read' | 'index' | 'extract';
  path: string;
  blockBytes?: number;
  blockRecords?: number;
  indexPath?: string;
  selection?: Selection;
}

async function child(job: Job): Promise<Measurement> {
  const t0 = performance.now();
  if (job.mode === 'extract') {
    const index = parsePacketIndex(readFileSync(job.indexPath!));
    const out = createWriteStream('/dev/null');
    const r = await extractPackets(job.path, job.selection!, out, { index });
    return {
      seconds: (performance.now() - t0) / 1000,
      packets: r.packets,
      outBytes: r.capturedBytes,
      scannedBytes: r.bytesScanned,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      indexBytes: 0,
      blocks: 0,
    };
  }
  let packets = 0;
  let sink = 0;
  const builder = job.mode === 'index' ? new PacketIndexBuilder(job.blockBytes, job.blockRecords) : undefined;
  const info = await readCapture(
    job.path,
    (rec) => {
      packets++;
      sink += rec.origLen;
    },
    { index: builder },
  );
  const seconds = (performance.now() - t0) / 1000;
  const index = builder?.finish(info) ?? null;
  const bytes = index ? serializePacketIndex(index) : null;
  if (bytes && job.indexPath) writeFileSync(job.indexPath, bytes);
  return {
    seconds,
    packets: sink >= 0 ? packets : 0,
    outBytes: 0,
    scannedBytes: info.bytesRead,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    indexBytes: bytes?.length ?? 0,
    blocks: index?.blocks.count ?? 0,
  };
}

function run(job: Job): Measurement {
  const out = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', JSON.stringify(job)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (out.status !== 0) throw new Error(`child ${job.mode} failed: ${out.stderr}`);
  return JSON.parse(out.stdout);
}

function runFlows(path: string): FlowRef[] {
  const out = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--flows', path], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (out.status !== 0) throw new Error(`the analysis for flows failed: ${out.stderr}`);
  return JSON.parse(out.stdout);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const f3 = (x: number) => x.toFixed(3);
const mb = (x: number) => `${(x / 1e6).toFixed(1)} MB`;

/** A few flows of the capture as the analysis reports them: the largest, and some spread by id. */
async function someFlows(path: string): Promise<FlowRef[]> {
  // Imported here: the child processes measure extraction alone, with only its own modules loaded.
  const { analyzeCapture } = await import('../src/analysis/index.js');
  const spread: (FlowRef & { id: number })[] = [];
  let largest: (FlowRef & { packets: number }) | null = null;
  await analyzeCapture(path, {
    onFlow: (f, a) => {
      const ref = () => flowRefOf(f, a.addresses);
      if (largest === null || f.packets > largest.packets) largest = ref();
      if (f.flowId % 400_000 === 1) spread.push({ ...ref(), id: f.flowId });
    },
  });
  return [largest!, ...spread];
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    process.stdout.write(JSON.stringify(await child(JSON.parse(args[1]))));
    return;
  }
  if (args[0] === '--flows') {
    process.stdout.write(JSON.stringify(await someFlows(args[1])));
    return;
  }
  const path = args[0] ?? `${ROOT}.bench/bench.pcap`;
  if (!existsSync(path)) throw new Error(`no capture at ${path}: run \`npm run bench\` once to build it`);
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-bench-extract-'));
  try {
    // The read alone, without and with the index, interleaved so that load changes hit both.
    const times: Record<'read' | 'index', number[]> = { read: [], index: [] };
    const indexPath = join(dir, 'index');
    let indexed: Measurement | null = null;
    for (let i = 0; i < RUNS; i++) {
      for (const mode of ['read', 'index'] as const) {
        const m = run({ mode, path, indexPath });
        times[mode].push(m.seconds);
        if (mode === 'index') indexed = m;
      }
    }
    const size = indexed!.scannedBytes;
    console.log(`capture: ${mb(size)}, ${indexed!.packets.toLocaleString('en-US')} packets`);
    for (const mode of ['read', 'index'] as const) {
      const s = median(times[mode]);
      console.log(
        `${mode === 'read' ? 'read alone        ' : 'read + index      '} median ${f3(s)} s, ${(size / s / 1e9).toFixed(2)} GB/s (runs ${times[mode].map(f3).join(', ')})`,
      );
    }
    console.log(
      `index (${INDEX_BLOCK_BYTES / 1048576} MiB or ${INDEX_BLOCK_RECORDS} records a block): ${indexed!.blocks} blocks, ${indexed!.indexBytes.toLocaleString('en-US')} bytes serialised`,
    );

    // Single flows.
    // In a child of its own: a child's peak RSS starts at its parent's size when it was spawned
    // (Linux carries the high-water mark across fork and exec), so the parent stays small.
    const flows = runFlows(path);
    for (const flow of flows) {
      const ms = Array.from({ length: 3 }, () =>
        run({ mode: 'extract', path, indexPath, selection: { kind: 'flow', flow } }),
      );
      const m = ms[ms.length - 1];
      const ok =
        m.packets === (flow as { packets: number }).packets ? 'all its packets' : `MISMATCH: ${m.packets}`;
      console.log(
        `flow ${flow.protocol} ${flow.src_ip}:${flow.src_port} → ${flow.dst_ip}:${flow.dst_port}: ${m.packets} packets (${ok}), median ${f3(median(ms.map((x) => x.seconds)))} s, read ${mb(m.scannedBytes)}, peak RSS ${Math.round(m.maxRssMb)} MB`,
      );
    }

    // Time ranges from the start of the busiest block (the shortest time span): bytes out per
    // second, and memory as they grow.
    const index = parsePacketIndex(readFileSync(indexPath));
    const b = index.blocks;
    let busiest = 0;
    for (let i = 1; i < b.count; i++) {
      if (b.maxSec[i] - b.minSec[i] < b.maxSec[busiest] - b.minSec[busiest]) busiest = i;
    }
    const start = b.minSec[busiest];
    for (const minutes of [1, 10, 60, 600]) {
      const selection: Selection = { kind: 'time', from: start, to: start + minutes * 60 };
      const ms = Array.from({ length: 3 }, () => run({ mode: 'extract', path, indexPath, selection }));
      const s = median(ms.map((x) => x.seconds));
      const m = ms[ms.length - 1];
      console.log(
        `${minutes} min from ${start}: ${m.packets.toLocaleString('en-US')} packets, ${mb(m.outBytes)} out in ${f3(s)} s (${(m.outBytes / s / 1e9).toFixed(2)} GB/s; read ${mb(m.scannedBytes)}), peak RSS ${Math.round(m.maxRssMb)} MB`,
      );
    }

    // gzip: the small bench capture compressed; a range at its end inflates all of it.
    const small = path.replace(/\.pcap$/, '-small.pcap');
    if (existsSync(small)) {
      const gz = join(dir, 'small.pcap.gz');
      await pipeline(createReadStream(small), createGzip({ level: 1 }), createWriteStream(gz));
      const gzIndex = join(dir, 'small.index');
      const built = run({ mode: 'index', path: gz, indexPath: gzIndex });
      const last = parsePacketIndex(readFileSync(gzIndex)).blocks;
      const end = last.maxSec[last.count - 1];
      const m = run({
        mode: 'extract',
        path: gz,
        indexPath: gzIndex,
        selection: { kind: 'time', from: end - 60, to: end },
      });
      console.log(
        `gzip (${mb(statSync(gz).size)} of ${mb(built.scannedBytes)}): indexed in ${f3(built.seconds)} s; the last minute (${m.packets.toLocaleString('en-US')} packets) in ${f3(m.seconds)} s, inflating ${mb(m.scannedBytes)}, peak RSS ${Math.round(m.maxRssMb)} MB`,
      );
    }

    // Block sizes: the index's size and cost, and the largest flow's extraction with each.
    for (const [blockBytes, blockRecords] of [
      [256 * 1024, 1e9],
      [1 << 20, 16384],
      [4 << 20, 65536],
    ]) {
      const p = join(dir, `index-${blockBytes}`);
      const runs = Array.from({ length: 3 }, () =>
        run({ mode: 'index', path, blockBytes, blockRecords, indexPath: p }),
      );
      const flow = run({ mode: 'extract', path, indexPath: p, selection: { kind: 'flow', flow: flows[1] } });
      console.log(
        `blocks of ${blockBytes / 1024} KiB or ${blockRecords} records: ${runs[0].blocks} blocks, ${runs[0].indexBytes.toLocaleString('en-US')} bytes; read + index median ${f3(median(runs.map((r) => r.seconds)))} s; a flow in ${f3(flow.seconds)} s reading ${mb(flow.scannedBytes)}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
