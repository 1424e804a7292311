import { writeFileSync } from 'node:fs';
import {
  ATTACK_TYPES,
  type AttackSpec,
  type AttackTruth,
  type AttackType,
  type PlannedAttack,
  planAttack,
} from './attacks.js';
import { Background } from './background.js';
import { isLocal, LAN, Network } from './network.js';
import { PacketList, writePackets } from './packets.js';
import { Traffic } from './protocols.js';
import { Rng } from './random.js';

export interface GenerateOptions {
  /** Everything is drawn from this seed: the same options give the same bytes. Default 1. */
  seed?: number;
  /** Length of the capture, seconds (default 600). */
  durationS?: number;
  /** Capture start, seconds since the epoch (default 2026-03-02 08:00:00 UTC). */
  startTs?: number;
  /** Client machines on the LAN besides its servers (default 60, at most 220). */
  hosts?: number;
  /** Background activity multiplier (default 1). */
  scale?: number;
  /** Attacks to inject, by type (parameters drawn from the seed) or spelled out. Default: one each of
   * port scan, host sweep, SYN flood, connection burst and exfiltration. `[]` makes a quiet capture. */
  attacks?: (AttackType | AttackSpec)[];
  /** Bytes kept of each frame (default 256: headers and the start of every payload). */
  snaplen?: number;
  /** Depth of the slow rise and fall of activity, 0..0.9 (default 0.5). */
  diurnal?: number;
  /** Length of one activity cycle, seconds (default: the capture's duration). */
  cycleS?: number;
}

export const DEFAULT_ATTACKS: AttackType[] = [
  'port_scan',
  'host_sweep',
  'syn_flood',
  'connection_burst',
  'exfiltration',
];
export const DEFAULT_START_TS = 1_772_438_400;

/** The ground truth written beside every generated capture (`<name>.truth.json`). */
export interface GroundTruth {
  generator: 'flowlens-generate';
  version: 1;
  seed: number;
  options: Required<Omit<GenerateOptions, 'attacks'>> & { attacks: AttackSpec[] };
  local_network: string;
  start_ts: number;
  end_ts: number;
  packets: number;
  bytes: number;
  captured_bytes: number;
  /** In order of their start. */
  attacks: AttackTruth[];
}

/** Where the ground truth of a capture at `pcapPath` is written. */
export function truthPathFor(pcapPath: string): string {
  return `${pcapPath.replace(/\.pcap$/, '')}.truth.json`;
}

/** Least time between the end of one drawn attack and the start of the next, seconds. */
const ATTACK_GAP_S = 20;

/**
 * Writes a labelled capture: background office traffic with attacks injected at known times,
 * and its ground truth (JSON, beside the pcap). Deterministic: the seed decides everything, and
 * the background does not depend on the attacks (the same seed with `attacks: []` gives the same
 * background without them).
 */
export function generateCapture(path: string, options: GenerateOptions = {}): GroundTruth {
  const seed = (options.seed ?? 1) >>> 0;
  const durationS = options.durationS ?? 600;
  if (!(durationS >= 10)) throw new RangeError(`duration must be at least 10 s, not ${durationS}`);
  const specs: AttackSpec[] = (options.attacks ?? DEFAULT_ATTACKS).map((a) =>
    typeof a === 'string' ? { type: a } : { ...a },
  );
  for (const s of specs)
    if (!ATTACK_TYPES.includes(s.type))
      throw new RangeError(`unknown attack '${s.type}' (one of ${ATTACK_TYPES.join(', ')})`);
  const o = {
    seed,
    durationS,
    startTs: Math.floor(options.startTs ?? DEFAULT_START_TS),
    hosts: options.hosts ?? 60,
    scale: options.scale ?? 1,
    snaplen: options.snaplen ?? 256,
    diurnal: Math.min(0.9, Math.max(0, options.diurnal ?? 0.5)),
    cycleS: options.cycleS ?? durationS,
  };
  const list = new PacketList();
  // Separate streams: the network, the background and the attacks each draw from their own.
  const net = new Network(new Rng(seed ^ 0x6e6574), o.hosts);
  const bg = new Background(new Traffic(list, new Rng(seed ^ 0x626b67), isLocal), net, new Rng(seed), o);
  bg.run();
  const attackRng = new Rng((seed ^ 0x61747461) >>> 0);
  const tr = new Traffic(list, attackRng, isLocal);
  const planned = specs.map((s) => planAttack(tr, net, attackRng, s));
  const starts = schedule(planned, durationS, attackRng);
  const attacks: AttackTruth[] = planned.map((p, k) => {
    const { start, end, ...rest } = p.emit(starts[k]);
    return {
      ...rest,
      start_ts: captureTime(o.startTs, start),
      end_ts: captureTime(o.startTs, end),
    };
  });
  attacks.sort((a, b) => a.start_ts - b.start_ts);
  // Nothing may spill past the end of the capture.
  const written = writePackets(trim(list, durationS), path, {
    startSec: o.startTs,
    snaplen: o.snaplen,
    isLocal,
  });
  const truth: GroundTruth = {
    generator: 'flowlens-generate',
    version: 1,
    seed,
    options: { ...o, attacks: specs },
    local_network: LAN,
    start_ts: written.firstTs,
    end_ts: written.lastTs,
    packets: written.packets,
    bytes: written.bytes,
    captured_bytes: written.capturedBytes,
    attacks,
  };
  writeFileSync(truthPathFor(path), `${JSON.stringify(truth, null, 2)}\n`);
  return truth;
}

/** Capture time of an offset, to the microsecond the pcap records (the writer rounds the same way). */
export function captureTime(startSec: number, offset: number): number {
  return (startSec * 1e6 + Math.round(offset * 1e6)) / 1e6;
}

/**
 * Start times: attacks with `at` start there; the others are spread at random over the capture,
 * in a random order, apart from each other and from its first and last 5%.
 */
function schedule(planned: PlannedAttack[], D: number, r: Rng): number[] {
  const starts = planned.map((p) => p.spec.at ?? Number.NaN);
  const free = planned.map((_, k) => k).filter((k) => Number.isNaN(starts[k]));
  if (free.length === 0) return starts;
  const margin = Math.max(5, 0.05 * D);
  const busy = free.reduce((a, k) => a + planned[k].durationS, 0) + ATTACK_GAP_S * (free.length - 1);
  const room = D - 2 * margin - busy;
  if (room < 0)
    throw new RangeError(
      `a ${D} s capture is too short for these attacks: they need ${Math.ceil(busy + 2 * margin)} s`,
    );
  for (let i = free.length - 1; i > 0; i--) {
    const j = r.int(0, i);
    [free[i], free[j]] = [free[j], free[i]];
  }
  const breaks = free.map(() => r.float()).sort((a, b) => a - b);
  let t = margin;
  let used = 0;
  free.forEach((k, i) => {
    const slack = breaks[i] * room - used;
    used += slack;
    t += slack;
    starts[k] = t;
    t += planned[k].durationS + ATTACK_GAP_S;
  });
  return starts;
}

/** The packets at or after the capture's end are dropped (connections still open are cut there). */
function trim(list: PacketList, D: number): PacketList {
  let keep = 0;
  for (let i = 0; i < list.size; i++) {
    if (list.ts[i] >= D || list.ts[i] < 0) continue;
    if (keep !== i) {
      list.ts[keep] = list.ts[i];
      list.src[keep] = list.src[i];
      list.dst[keep] = list.dst[i];
      list.sport[keep] = list.sport[i];
      list.dport[keep] = list.dport[i];
      list.proto[keep] = list.proto[i];
      list.flags[keep] = list.flags[i];
      list.seq[keep] = list.seq[i];
      list.ack[keep] = list.ack[i];
      list.len[keep] = list.len[i];
      list.payload[keep] = list.payload[i];
    }
    keep++;
  }
  list.size = keep;
  return list;
}
