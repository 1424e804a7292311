import { parseArgs } from 'node:util';
import { formatBytes, formatCount, formatDuration } from '../../format/index.js';
import { listSessions, openStore } from '../../storage/index.js';
import { DB_OPTION, dbTarget } from '../args.js';
import { type CliIo, type ErrorLine, EXIT_OK } from '../io.js';

/** `flowlens sessions`: the stored sessions, newest first. */
export async function run(args: string[], io: CliIo, _err: ErrorLine): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...DB_OPTION, json: { type: 'boolean', default: false } },
  });
  const db = await openStore(dbTarget(values.db));
  try {
    const rows = await listSessions(db);
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
      io.stdout.write(
        `${r.session_id}  ${r.status.padEnd(10)} ${r.created_at.slice(0, 19).replace('T', ' ')}  ${r.name}  ${size}${span}${r.error ? `  (${r.error})` : ''}\n`,
      );
    }
    return EXIT_OK;
  } finally {
    await db.close();
  }
}
