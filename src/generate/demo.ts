import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Db, defaultDbDir, type IngestOptions, ingestCapture } from '../storage/index.js';
import { ATTACK_TYPES, type AttackType } from './attacks.js';
import { type GroundTruth, generateCapture, truthPathFor } from './generate.js';

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

/** Every attack the generator knows, so the demo's timeline shows each kind of alert. */
export const DEMO_ATTACKS: AttackType[] = [...ATTACK_TYPES];
export const DEMO_DURATION_S = 1800;

/** Where the demo capture goes by default: beside the embedded database, in Flowlens' data folder. */
export function defaultDemoDir(): string {
  return join(dirname(defaultDbDir()), 'demo');
}

const LABELS: Record<AttackType, string> = {
  port_scan: 'port scan',
  host_sweep: 'host sweep',
  syn_flood: 'SYN flood',
  connection_burst: 'connection burst',
  exfiltration: 'exfiltration',
  rst_storm: 'RST storm',
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
  const truth = generateCapture(path, { seed, durationS, hosts, attacks: DEMO_ATTACKS });
  const { sessionId } = await ingestCapture(db, path, {
    sessionName: demoName(truth),
    sessionId: options.sessionId,
    onProgress: options.onProgress,
    signal: options.signal,
  });
  return { sessionId, path, truthPath, truth };
}
