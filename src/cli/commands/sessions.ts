import { parseArgs } from 'node:util';
import { formatBytes, formatCount, formatDuration } from '../../format/index.js';
import {
  applyRetention,
  capturesFolder,
  keptCaptureBytes,
  packetsState,
  parseRetention,
} from '../../packets/index.js';
import { listSessions, openStore } from '../../storage/index.js';
import { DB_OPTION, dbTarget, UsageError } from '../args.js';
import { type CliIo, type ErrorLine, EXIT_OK } from '../io.js';

/**
 * `flowlens sessions`: the stored sessions, newest first, with whether their packets can be
 * extracted, and the disk the kept captures use. `--keep-captures` applies retention first.
 */
export async function run(args: string[], io: CliIo, err: ErrorLine): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...DB_OPTION,
      json: { type: 'boolean', default: false },
      'keep-captures': { type: 'string' },
    },
  });
  const retention = values['keep-captures'] === undefined ? null : parseRetention(values['keep-captures']);
  if (values['keep-captures'] !== undefined && retention === null)
    throw new UsageError(
      `--keep-captures takes days (30, 30d) or a size (20GB), not '${values['keep-captures']}'`,
    );
  const target = dbTarget(values.db);
  const db = await openStore(target);
  try {
    if (retention) {
      const freed = await applyRetention(db, retention);
      if (freed.length > 0)
        err(
          `--keep-captures: freed ${freed.length} kept ${freed.length === 1 ? 'capture' : 'captures'} (${formatBytes(freed.reduce((s, f) => s + f.bytes, 0))}); their packets are no longer kept`,
        );
    }
    const rows = (await listSessions(db)).map((r) => {
      const p = packetsState(r);
      return { ...r, packets_available: p.available, packets_note: p.note, kept_capture_bytes: p.keptBytes };
    });
    const kept = await keptCaptureBytes(db);
    if (values.json) {
      io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return EXIT_OK;
    }
    if (rows.length === 0) {
      io.stdout.write(`no sessions in ${db.location}\n`);
      return EXIT_OK;
    }
    for (const r of rows) {
      const size =
        r.packets === null ? '' : `${formatCount(r.packets)} packets, ${formatBytes(r.bytes ?? 0)}`;
      const span = r.duration_s === null ? '' : `, ${formatDuration(r.duration_s)}`;
      const packets =
        r.status !== 'completed'
          ? ''
          : r.packets_available
            ? `  [packets: ${r.capture_kept ? 'kept copy' : 'from the original file'}]`
            : `  [${r.packets_note}]`;
      io.stdout.write(
        `${r.session_id}  ${r.status.padEnd(10)} ${r.created_at.slice(0, 19).replace('T', ' ')}  ${r.name}  ${size}${span}${packets}${r.error ? `  (${r.error})` : ''}\n`,
      );
    }
    io.stdout.write(`kept captures: ${formatBytes(kept)} in ${capturesFolder(target)}\n`);
    return EXIT_OK;
  } finally {
    await db.close();
  }
}
