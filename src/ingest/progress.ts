// What an ingest reports while it runs (the CLI's progress bar, the server's event stream).

export type IngestPhase = 'reading' | 'detecting' | 'storing' | 'done';

export interface IngestProgress {
  phase: IngestPhase;
  bytesRead: number;
  bytesTotal: number | null;
  packets: number;
  /** Rows stored so far (flows are stored while the capture is read). */
  rows?: number;
}

/** Where a session stands while it waits or is analysed (the API's live view, and what workers publish). */
export interface LiveState {
  status: 'queued' | 'processing';
  phase: 'queued' | IngestPhase;
  /** 0..1 over the whole job: reading is most of it, then detection and storing. */
  progress: number;
  bytes_read: number;
  bytes_total: number | null;
  packets: number;
  /** The process analysing it, once one has it. */
  worker?: { host: string; pid: number } | null;
}

export const QUEUED_STATE: LiveState = {
  status: 'queued',
  phase: 'queued',
  progress: 0,
  bytes_read: 0,
  bytes_total: null,
  packets: 0,
};

// Reading takes most of an ingest; the phases after it get the last tenth of the bar.
const PHASE_PROGRESS: Record<IngestPhase, number> = { reading: 0, detecting: 0.9, storing: 0.93, done: 1 };

export function progressOf(p: IngestProgress): number {
  if (p.phase !== 'reading') return PHASE_PROGRESS[p.phase];
  if (!p.bytesTotal) return 0;
  return Math.min(0.9, (0.9 * p.bytesRead) / p.bytesTotal);
}

/** The live state of a running ingest from its latest progress report. */
export function liveStateOf(p: IngestProgress, worker: LiveState['worker'] = null): LiveState {
  return {
    status: 'processing',
    phase: p.phase,
    progress: progressOf(p),
    bytes_read: p.bytesRead,
    bytes_total: p.bytesTotal,
    packets: p.packets,
    worker,
  };
}
