import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PcapWriter } from '../../src/capture/index.js';
import { multipart } from './http.js';

const BIN = fileURLToPath(new URL('../../bin/flowlens.js', import.meta.url));

export interface ServerProcess {
  proc: ChildProcess;
  url: string;
  output: () => string;
  /** Ends it with a signal and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `flowlens serve` as its own process on a free port and waits until it listens. */
export async function startServerProcess(
  args: string[],
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const proc = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  proc.stderr!.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start:\n${out}`)), 60_000);
    const check = () => {
      const m = /dashboard on (http:\/\/\S+?)\/? /.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    proc.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before listening:\n${out}`));
    });
  });
  return {
    proc,
    url,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

export const CSRF = { 'x-flowlens-request': '1' };

/** Uploads a capture over HTTP and returns the status and JSON answer. */
export async function uploadFile(
  base: string,
  path: string,
  fields: Record<string, string> = {},
): Promise<{ status: number; body: { session_id?: string; error?: string } }> {
  const body = multipart(fields, { name: path.split('/').pop()!, data: readFileSync(path) });
  const res = await fetch(`${base}/api/sessions`, {
    method: 'POST',
    headers: { ...body.headers, ...CSRF },
    body: body.payload,
  });
  return { status: res.status, body: (await res.json()) as { session_id?: string; error?: string } };
}

export async function getJson<T = Record<string, unknown>>(base: string, path: string): Promise<T> {
  const res = await fetch(`${base}${path}`);
  return (await res.json()) as T;
}

/** Polls a session until `done` says so (or the time runs out). */
export async function waitForSession(
  base: string,
  id: string,
  done: (s: { status: string; phase: string; progress: number }) => boolean = (s) =>
    s.status === 'completed' || s.status === 'failed',
  timeoutMs = 120_000,
): Promise<{
  status: string;
  phase: string;
  progress: number;
  error: string | null;
  packets: number | null;
}> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { session } = await getJson<{
      session: Parameters<typeof done>[0] & { error: string | null; packets: number | null };
    }>(base, `/api/sessions/${id}`);
    if (done(session)) return session;
    if (Date.now() > until) throw new Error(`session ${id} still ${session.status}/${session.phase}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A capture with many small UDP flows (one a few packets each, addresses and ports varying), big
 * enough that reading and loading it take a few seconds: for killing things mid-ingest.
 */
export function writeBusyCapture(path: string, packets: number): void {
  const w = new PcapWriter(path, { linkType: 1, nanosecond: false });
  const frame = Buffer.alloc(14 + 20 + 8 + 60);
  frame.writeUInt16BE(0x0800, 12);
  frame[14] = 0x45;
  frame.writeUInt16BE(20 + 8 + 60, 16);
  frame[22] = 64;
  frame[23] = 17;
  frame.writeUInt16BE(8 + 60, 38);
  const t0 = 1_700_000_000;
  for (let i = 0; i < packets; i++) {
    const flow = Math.floor(i / 3);
    frame.writeUInt32BE(((10 << 24) | (flow & 0xffff)) >>> 0, 26); // 10.0.x.y
    frame.writeUInt32BE(((198 << 24) | (51 << 16) | (100 << 8) | (flow % 200)) >>> 0, 30);
    frame.writeUInt16BE(1024 + (flow % 60000), 34);
    frame.writeUInt16BE(53 + (flow % 7), 36);
    w.write(t0 + Math.floor(i / 2000), (i % 2000) * 500_000, frame);
  }
  w.close();
}

/** Starts `flowlens worker` as its own process and waits until it takes jobs. */
export async function startWorkerProcess(
  args: string[],
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const proc = spawn(process.execPath, [BIN, 'worker', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  proc.stderr!.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the worker did not start:\n${out}`)), 60_000);
    const check = () => {
      if (out.includes('taking ingest jobs')) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the worker exited (${code}) before taking jobs:\n${out}`));
    });
  });
  return {
    proc,
    url: '',
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}
