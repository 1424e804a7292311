import { constants, existsSync, statSync } from 'node:fs';
import { copyFile, mkdir, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Db, isPostgresUrl, keptCaptures, markCaptureFreed } from '../storage/index.js';
import { type CaptureStore, openCaptureStore } from '../store/index.js';

/** What a session row tells of its capture (the `SessionRow` fields of migration 9). */
export interface CaptureFacts {
  status: string;
  file_size: number | null;
  capture_path: string | null;
  capture_kept: boolean;
  capture_mtime_ms: number | null;
  capture_freed_at: string | null;
  packet_index: boolean;
}

export interface PacketsState {
  available: boolean;
  /** Why not, in one line (null when available). */
  note: string | null;
  /** Disk used by the session's kept copy (0 for the user's own file, or once freed). */
  keptBytes: number;
}

/**
 * Whether a session's packets can be extracted now. The user's own file is checked against the
 * size and modification time it had when analysed (a stat, no read): a moved, changed or deleted
 * file is said in one line, never read as if it were the same capture.
 */
export function packetsState(row: CaptureFacts): PacketsState {
  const keptBytes = row.capture_kept && row.capture_freed_at === null ? (row.file_size ?? 0) : 0;
  const no = (note: string): PacketsState => ({ available: false, note, keptBytes });
  if (row.status === 'failed') return no('the analysis failed: there are no packets to give');
  if (row.status !== 'completed') return no('the session is still loading');
  if (row.capture_freed_at !== null)
    return no(`packets no longer kept (the copy was freed on ${row.capture_freed_at.slice(0, 10)})`);
  if (row.capture_path === null || !row.packet_index)
    return no(
      'packets not available: the session has no packet index (analysed before Flowlens kept them, or a pcapng with too many sections or interfaces to index)',
    );
  // In an S3 store: said available without asking the store (a list of sessions makes no request
  // per row); a missing or replaced object is said when its packets are asked for.
  if (storedCaptureRef(row.capture_path) !== null) return { available: true, note: null, keptBytes };
  const changed = captureChange(row.capture_path, row.file_size, row.capture_mtime_ms, row.capture_kept);
  if (changed === null) return { available: true, note: null, keptBytes };
  // A kept copy gone from the disk uses none of it.
  return { available: false, note: changed, keptBytes: existsSync(row.capture_path) ? keptBytes : 0 };
}

/** The one line saying how the file at `path` differs from the one analysed, or null if it does not. */
export function captureChange(
  path: string,
  size: number | null,
  mtimeMs: number | null,
  kept: boolean,
): string | null {
  let st: { size: number; mtimeMs: number; isFile(): boolean };
  try {
    st = statSync(path);
  } catch {
    return kept
      ? 'packets no longer kept: the kept copy of the capture is gone'
      : `the capture behind this session changed since it was analysed: ${path} is gone (moved or deleted)`;
  }
  const parts: string[] = [];
  if (!st.isFile()) parts.push('it is not a file');
  else {
    if (size !== null && st.size !== size) parts.push(`${st.size} bytes, was ${size}`);
    if (mtimeMs !== null && Math.trunc(st.mtimeMs) !== Math.trunc(mtimeMs))
      parts.push(`modified ${new Date(st.mtimeMs).toISOString()}, was ${new Date(mtimeMs).toISOString()}`);
  }
  return parts.length === 0
    ? null
    : `the capture behind this session changed since it was analysed: ${path} (${parts.join('; ')})`;
}

/** Where a session records a capture kept in an S3 store: `s3://bucket/prefix/` and the key. */
export interface StoredCaptureRef {
  location: string;
  key: string;
}

/** `s3://bucket/prefix/key` → the store's location and the key; null for a file's path. */
export function storedCaptureRef(path: string): StoredCaptureRef | null {
  if (!path.startsWith('s3://')) return null;
  const cut = path.lastIndexOf('/');
  return { location: path.slice(0, cut + 1), key: path.slice(cut + 1) };
}

/**
 * The store holding a recorded capture: `store` when it is that one (a server's, a worker's),
 * else one opened on the recorded location (credentials and endpoint from the environment);
 * `done` closes what was opened here.
 */
export function storeOf(
  ref: StoredCaptureRef,
  store?: CaptureStore | null,
): { store: CaptureStore; done(): Promise<void> } {
  if (store && store.location === ref.location) return { store, done: async () => undefined };
  const opened = openCaptureStore(ref.location);
  return { store: opened, done: () => opened.close() };
}

/**
 * How a capture kept in a store differs from the one analysed (gone, another size or time), in
 * one line, or null when it does not.
 */
export async function storedCaptureChange(
  path: string,
  ref: StoredCaptureRef,
  store: CaptureStore,
  size: number | null,
  mtimeMs: number | null,
): Promise<string | null> {
  const opened = await store.open(ref.key);
  if (opened === null) return `packets no longer kept: the kept copy of the capture is gone (${path})`;
  let st: { size: number; mtimeMs: number };
  try {
    st = await opened.stat();
  } finally {
    await opened.close();
  }
  const parts: string[] = [];
  if (size !== null && st.size !== size) parts.push(`${st.size} bytes, was ${size}`);
  if (mtimeMs !== null && Math.trunc(st.mtimeMs) !== Math.trunc(mtimeMs))
    parts.push(`modified ${new Date(st.mtimeMs).toISOString()}, was ${new Date(mtimeMs).toISOString()}`);
  return parts.length === 0
    ? null
    : `the capture behind this session changed since it was analysed: ${path} (${parts.join('; ')})`;
}

/** Removes a kept capture wherever it is: a file, or an object in its S3 store. */
async function removeKept(path: string, store?: CaptureStore | null): Promise<void> {
  const ref = storedCaptureRef(path);
  if (ref === null) {
    await rm(path, { force: true });
    return;
  }
  const s = storeOf(ref, store);
  try {
    await s.store.delete(ref.key);
  } finally {
    await s.done();
  }
}

/**
 * The folder of kept captures (uploads and `analyze --keep` copies): beside an embedded database
 * (`<folder>.uploads`), else in the user's data folder.
 */
export function capturesFolder(dbTarget: string): string {
  if (!isPostgresUrl(dbTarget)) return `${resolve(dbTarget)}.uploads`;
  const base = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'flowlens', 'uploads');
}

/** Where a session's kept copy goes: `<folder>/<session id>.capture`, as uploads are kept. */
export function keptCapturePath(folder: string, sessionId: string): string {
  return join(folder, `${sessionId}.capture`);
}

/** Copies a capture into the kept-captures folder (`analyze --keep`); a clone where the file system can. */
export async function keepCaptureCopy(source: string, folder: string, sessionId: string): Promise<string> {
  await mkdir(folder, { recursive: true });
  const dest = keptCapturePath(folder, sessionId);
  await copyFile(source, dest, constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL);
  return dest;
}

/**
 * Removes a session's kept copy (never a user's own file: only a path the session marks kept),
 * an object in an S3 store too (through `store` when it is that store).
 */
export async function removeKeptCopy(
  row: { capture_path: string | null; capture_kept: boolean },
  store?: CaptureStore | null,
): Promise<void> {
  if (row.capture_kept && row.capture_path !== null) await removeKept(row.capture_path, store);
}

/** `--keep-captures`: keep copies at most this many days old, or this many bytes in all. */
export type Retention = { days: number } | { bytes: number };

/** Parses `30d`, `30` (days) or a size such as `20GB`; null when the text is neither. */
export function parseRetention(text: string): Retention | null {
  const t = text.trim();
  const d = /^(\d+(?:\.\d+)?)\s*(?:d|days?)?$/i.exec(t);
  if (d) {
    const days = Number(d[1]);
    return days > 0 ? { days } : null;
  }
  const m = /^(\d+(?:\.\d+)?)\s*(B|kB|KB|MB|GB|TB)$/i.exec(t);
  if (!m) return null;
  const unit = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12 }[m[2].toLowerCase() as 'b'];
  return { bytes: Math.round(Number(m[1]) * unit) };
}

export interface Freed {
  session_id: string;
  bytes: number;
}

/**
 * Frees the oldest kept copies the rule does not allow: older than its days, or, for a size,
 * the oldest until the rest fit. Their sessions stay, marked "packets no longer kept".
 */
export async function applyRetention(
  db: Db,
  rule: Retention,
  now = Date.now(),
  store?: CaptureStore | null,
): Promise<Freed[]> {
  const kept = await keptCaptures(db);
  const freed: Freed[] = [];
  let total = kept.reduce((s, k) => s + k.size, 0);
  for (const k of kept) {
    const free =
      'days' in rule ? now - Date.parse(k.created_at) > rule.days * 86_400_000 : total > rule.bytes;
    if (!free) continue;
    await markCaptureFreed(db, k.session_id);
    await removeKept(k.path, store);
    total -= k.size;
    freed.push({ session_id: k.session_id, bytes: k.size });
  }
  return freed;
}

/** Disk used by the kept copies, as the file system reports them (a freed or missing copy counts 0). */
export async function keptCaptureBytes(db: Db): Promise<number> {
  let sum = 0;
  for (const k of await keptCaptures(db)) {
    // An object in an S3 store: its recorded size (no request per object).
    if (storedCaptureRef(k.path) !== null) {
      sum += k.size;
      continue;
    }
    try {
      sum += (await stat(k.path)).size;
    } catch {
      // gone: uses no disk
    }
  }
  return sum;
}
