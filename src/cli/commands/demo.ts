import { parseArgs } from 'node:util';
import { formatBytes, formatCount, formatDuration, formatTimestampText } from '../../format/index.js';
import { DEMO_DURATION_S, loadDemo } from '../../generate/index.js';
import { openStore } from '../../storage/index.js';
import { DB_OPTION, dbTarget, UsageError } from '../args.js';
import { type CliIo, type ErrorLine, EXIT_OK, wantsProgressBar } from '../io.js';
import { ProgressBar } from '../progress.js';

/** `flowlens demo`: the labelled demo capture, generated and stored as a session. */
export async function run(args: string[], io: CliIo, _err: ErrorLine): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...DB_OPTION,
      json: { type: 'boolean', default: false },
      seed: { type: 'string', default: '1' },
      duration: { type: 'string', default: String(DEMO_DURATION_S) },
      hosts: { type: 'string', default: '40' },
      dir: { type: 'string' },
    },
  });
  const seed = Number(values.seed);
  const durationS = Number(values.duration);
  if (!/^\d+$/.test(values.seed ?? '') || seed > 0xffffffff)
    throw new UsageError(`--seed must be a whole number from 0 to 4294967295, not '${values.seed}'`);
  if (!/^\d+(\.\d+)?$/.test(values.duration ?? '') || durationS < 600 || durationS > 7200)
    throw new UsageError(`--duration must be seconds from 600 to 7200, not '${values.duration}'`);
  const hosts = Number(values.hosts);
  if (!/^\d+$/.test(values.hosts ?? '') || hosts < 1 || hosts > 220)
    throw new UsageError(`--hosts must be a number of clients from 1 to 220, not '${values.hosts}'`);
  const db = await openStore(dbTarget(values.db));
  const tty = wantsProgressBar(io, values.json);
  const bar = tty ? new ProgressBar('demo capture', io.stderr as NodeJS.WriteStream) : null;
  bar?.update({ bytesRead: 0, bytesTotal: null, packets: 0, phase: 'generating' });
  try {
    const r = await loadDemo(db, {
      seed,
      durationS,
      hosts,
      dir: values.dir,
      onProgress: bar ? (p) => bar.update(p) : undefined,
    });
    bar?.done();
    if (values.json) {
      io.stdout.write(
        `${JSON.stringify({ session_id: r.sessionId, capture: r.path, truth: r.truthPath }, null, 2)}\n`,
      );
      return EXIT_OK;
    }
    const t = r.truth;
    const lines = [
      `demo capture ${r.path}`,
      `  ${formatCount(t.packets)} packets, ${formatBytes(t.bytes)} over ${formatDuration(t.end_ts - t.start_ts)}; ground truth in ${r.truthPath}`,
      ...t.attacks.map((a) => `  ${formatTimestampText(a.start_ts.toFixed(6))}  ${a.description}`),
      `stored as session ${r.sessionId} in ${db.location}`,
    ];
    io.stdout.write(`${lines.join('\n')}\n`);
    return EXIT_OK;
  } finally {
    bar?.done();
    await db.close();
  }
}
