import { parentPort, workerData } from 'node:worker_threads';
import type { Db } from './db.js';
import { openPgliteUnlocked } from './pglite.js';
import type { ThreadReply, ThreadRequest } from './pglite-thread.js';

/** The PGlite thread: one database, statements in arrival order, transactions held open by id. */
const { dir } = workerData as { dir: string };
const opened = openPgliteUnlocked(dir);
const open = new Map<number, { db: Db; end: (commit: boolean) => void; done: Promise<void> }>();
let nextTx = 1;
const ROLLBACK = Symbol('rollback');

function reply(m: ThreadReply): void {
  parentPort!.postMessage(m);
}

parentPort!.on('message', (m: ThreadRequest) => {
  void handle(m).then(
    (value) => reply({ id: m.id, ok: true, value }),
    (err: Error) => reply({ id: m.id, ok: false, message: err?.message ?? String(err) }),
  );
});

async function handle(m: ThreadRequest): Promise<unknown> {
  const db = await opened;
  switch (m.op) {
    case 'query':
      return target(db, m.tx).query(m.sql, m.params);
    case 'queryRows':
      return target(db, m.tx).queryRows(m.sql, m.params);
    case 'exec':
      return target(db, m.tx).exec(m.sql);
    case 'copy':
      return target(db, m.tx).copyCsv(m.table, m.columns, m.csv);
    case 'copyBinary':
      return (await target(db, m.tx).copyBinary(m.table, m.columns)).write(m.rows);
    case 'copyFramed':
      return (await target(db, m.tx).copyBinary(m.table, m.columns)).writeFramed(m.rows);
    case 'begin': {
      const id = nextTx++;
      return new Promise<number>((began, failed) => {
        let end!: (commit: boolean) => void;
        const decided = new Promise<boolean>((r) => {
          end = r;
        });
        const done = db
          .transaction(async (tx) => {
            open.set(id, { db: tx, end, done });
            began(id);
            if (!(await decided)) throw ROLLBACK;
          })
          .catch((err) => {
            if (err !== ROLLBACK) throw err;
          });
        done.catch(failed);
      });
    }
    case 'end': {
      const t = open.get(m.tx);
      if (!t) throw new Error(`no open transaction ${m.tx}`);
      open.delete(m.tx);
      t.end(m.commit);
      await t.done;
      return undefined;
    }
    case 'close':
      await db.close();
      return undefined;
  }
}

function target(db: Db, tx: number | null): Db {
  if (tx === null) return db;
  const t = open.get(tx);
  if (!t) throw new Error(`no open transaction ${tx}`);
  return t.db;
}
