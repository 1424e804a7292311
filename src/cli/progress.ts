import { formatBytes, formatCount } from './format.js';

/** A one-line progress bar on a terminal's stderr, redrawn at most every 100 ms. */
export class ProgressBar {
  private last = 0;
  private drawn = false;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  update(p: { bytesRead: number; bytesTotal: number | null; packets: number; phase?: string }): void {
    const now = Date.now();
    if (now - this.last < 100 && (p.phase ?? 'reading') === 'reading') return;
    this.last = now;
    const width = 30;
    const frac = p.bytesTotal ? Math.min(1, p.bytesRead / p.bytesTotal) : 0;
    const filled = Math.round(frac * width);
    const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
    const of = p.bytesTotal ? ` of ${formatBytes(p.bytesTotal)}` : '';
    const phase = p.phase && p.phase !== 'reading' ? ` ${p.phase}…` : '';
    this.stream.write(
      `\r${this.label} [${bar}] ${Math.floor(frac * 100)}% ${formatBytes(p.bytesRead)}${of}, ${formatCount(p.packets)} packets${phase}\x1b[K`,
    );
    this.drawn = true;
  }

  done(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
  }
}
