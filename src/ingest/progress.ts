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
