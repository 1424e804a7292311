import { formatBytes, formatCount } from '../format/index.js';
import { terminalText } from '../format/text.js';

export interface ProgressUpdate {
  bytesRead: number;
  bytesTotal: number | null;
  packets: number;
  /** reading (the default), detecting, storing or done. */
  phase?: string;
  /** Rows stored so far (flows are stored while the capture is read). */
  rows?: number;
}

/**
 * A one-line progress display on a terminal's stderr, redrawn at most every 100 ms (at once when
 * the phase changes): the phase, a bar of bytes read of the total, packets, and rows stored.
 *
 *   capture.pcap  reading   [###########...................] 37% 372 MB of 1.01 GB, 3,240,112 packets, 610,000 rows stored
 *   capture.pcap  detecting [##############################] 8,778,396 packets
 *   capture.pcap  storing   [##############################] 2,010,561 rows stored
 */
export class ProgressBar {
  private last = 0;
  private drawn = false;
  private phase = '';

  private readonly label: string;

  constructor(
    label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    // A file's name may hold escapes of its own: only the bar's are let through.
    this.label = terminalText(label);
  }

  update(p: ProgressUpdate): void {
    const phase = p.phase ?? 'reading';
    const now = Date.now();
    if (phase === 'done') return;
    if (now - this.last < 100 && phase === this.phase) return;
    this.last = now;
    this.phase = phase;
    this.stream.write(`\r${this.line(phase, p)}\x1b[K`);
    this.drawn = true;
  }

  /** The text of one update (without the carriage return and the erase-to-end). */
  line(phase: string, p: ProgressUpdate): string {
    const width = 30;
    const reading = phase === 'reading';
    const frac = reading ? (p.bytesTotal ? Math.min(1, p.bytesRead / p.bytesTotal) : 0) : 1;
    const filled = Math.round(frac * width);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    const rows = p.rows ? `${formatCount(p.rows)} rows stored` : '';
    let detail: string;
    if (reading) {
      const of = p.bytesTotal ? ` of ${formatBytes(p.bytesTotal)}` : '';
      const pct = p.bytesTotal ? `${Math.floor(frac * 100)}% ` : '';
      detail = `${pct}${formatBytes(p.bytesRead)}${of}, ${formatCount(p.packets)} packets${rows ? `, ${rows}` : ''}`;
    } else if (phase === 'storing') detail = rows || `${formatCount(p.packets)} packets`;
    else detail = `${formatCount(p.packets)} packets`;
    return `${this.label}  ${phase.padEnd(9)} ${bar} ${detail}`;
  }

  done(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}
