import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { type IngestOptions, ingestCapture } from '../ingest/index.js';
import { compiledScript } from '../runtime/workers.js';
import type { Db } from '../storage/index.js';
import { type AttackType, FLOW_ATTACK_TYPES } from './attacks.js';
import { DEMO_DURATION_S, defaultDemoDir } from './demo-defaults.js';
import type { DemoJob } from './demo-worker.js';
import { type GenerateOptions, type GroundTruth, generateCapture, truthPathFor } from './generate.js';

export interface DemoOptions {
  /** Folder for the generated capture and its ground truth (default: Flowlens' data folder). */
  dir?: string;
  /** Default 1. */
  seed?: number;
  /** Default 1800 s (30 minutes, 2-second windows). */
  durationS?: number;
  /** Default 40 clients. */
  hosts?: number;
  /** Load into this session (created `queued` beforehand, e.g. by a server) instead of a new one. */
  sessionId?: string;
  onProgress?: IngestOptions['onProgress'];
  signal?: AbortSignal;
}

export interface DemoResult {
  sessionId: string;
  /** The generated capture and its ground truth. */
  path: string;
  truthPath: string;
  truth: GroundTruth;
}

/**
 * One attack of each kind the demo's alerts can show: the flow-level ones and those the protocol
 * logs show (DNS tunnel, DGA lookups, web scan). The odd TLS client stays out: its JA4 needs the
 * whole 517-byte ClientHello, and the demo's 256-byte snaplen (which keeps the capture small)
 * cuts it.
 */
export const DEMO_ATTACKS: AttackType[] = [...FLOW_ATTACK_TYPES, 'dns_tunnel', 'dga', 'web_scan'];
const LABELS: Record<AttackType, string> = {
  port_scan: 'port scan',
  host_sweep: 'host sweep',
  syn_flood: 'SYN flood',
  connection_burst: 'connection burst',
  exfiltration: 'exfiltration',
  rst_storm: 'RST storm',
  dns_tunnel: 'DNS tunnel',
  dga: 'DGA lookups',
  web_scan: 'web scan',
  odd_tls_client: 'odd TLS client',
};

/** The session name: "Demo capture (seed 1, 30 min: port scan, host sweep, …)". */
export function demoName(truth: GroundTruth): string {
  const minutes = Math.round(truth.options.durationS / 60);
  const kinds = truth.attacks.map((a) => LABELS[a.type]).join(', ');
  return `Demo capture (seed ${truth.seed}, ${minutes} min: ${kinds || 'no attacks'})`;
}

/**
 * Makes the demo capture (a labelled capture with one attack of every kind) and stores it as a session in `db`, so a new user sees a populated
 * dashboard. Returns the session id and where the capture and its ground truth are.
 */
export async function loadDemo(db: Db, options: DemoOptions = {}): Promise<DemoResult> {
  const dir = options.dir ?? defaultDemoDir();
  const seed = options.seed ?? 1;
  const durationS = options.durationS ?? DEMO_DURATION_S;
  const hosts = options.hosts ?? 40;
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `demo-seed${seed}-${durationS}s-${hosts}hosts.pcap`);
  const truthPath = truthPathFor(path);
  options.signal?.throwIfAborted();
  // Deterministic: making it again gives the same bytes, so an earlier copy is simply replaced.
  const truth = await writeDemoCapture(path, options.signal, { seed, durationS, hosts });
  const { sessionId } = await ingestCapture(db, path, {
    sessionName: demoName(truth),
    sessionId: options.sessionId,
    onProgress: options.onProgress,
    signal: options.signal,
  });
  return { sessionId, path, truthPath, truth };
}

/**
 * Writes the demo capture (and its ground truth beside it) to `path` — what a server calls before
 * ingesting it in its own queue. The generator is synchronous and takes seconds, so it runs in a
 * worker thread when the compiled worker is there (the caller's event loop stays free); `signal`
 * stops it.
 */
export function writeDemoCapture(
  path: string,
  signal?: AbortSignal,
  options: Pick<DemoOptions, 'seed' | 'durationS' | 'hosts'> = {},
): Promise<GroundTruth> {
  const generate: GenerateOptions = {
    seed: options.seed ?? 1,
    durationS: options.durationS ?? DEMO_DURATION_S,
    hosts: options.hosts ?? 40,
    attacks: DEMO_ATTACKS,
  };
  try {
    signal?.throwIfAborted();
  } catch (e) {
    return Promise.reject(e);
  }
  const file = compiledScript('generate/demo-worker.js');
  if (!file) {
    try {
      return Promise.resolve(generateCapture(path, generate));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  return new Promise((resolve, reject) => {
    const job: DemoJob = { path, options: generate };
    const worker = new Worker(file, { workerData: job });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    const onAbort = () => finish(() => reject(signal!.reason ?? new Error('cancelled')));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: { type: string; truth?: GroundTruth; message?: string }) => {
      if (m.type === 'done') finish(() => resolve(m.truth!));
      else finish(() => reject(new Error(m.message)));
    });
    worker.on('error', (e) => finish(() => reject(e)));
    worker.on('exit', (code) => finish(() => reject(new Error(`demo worker stopped (exit code ${code})`))));
  });
}
