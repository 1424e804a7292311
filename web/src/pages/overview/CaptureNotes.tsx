import { plural } from '../../../../src/format/index.js';
import type { Summary } from '../../api/types';

/** What the reader had to skip or could not read, as the CLI reports it: never hidden. */
export function CaptureNotes({ summary }: { summary: Summary }) {
  const f = summary.file;
  const notes: string[] = [...f.warnings];
  if (f.malformed_packets > 0 && !notes.some((w) => w.includes('malformed')))
    notes.push(`${plural(f.malformed_packets, 'malformed packet')} counted and skipped`);
  if ((f.unsupported_linktype_packets ?? 0) > 0 && !notes.some((w) => w.includes('link')))
    notes.push(
      `${plural(f.unsupported_linktype_packets ?? 0, 'packet')} of an unsupported link type counted`,
    );
  if ((f.packets_without_timestamp ?? 0) > 0 && !notes.some((w) => w.includes('timestamp')))
    notes.push(
      `${plural(f.packets_without_timestamp ?? 0, 'packet')} without a timestamp (left out of the windows)`,
    );
  if (notes.length === 0) return null;
  return (
    <div className="notice" role="status" data-testid="capture-notes">
      <strong>{f.truncated ? 'The capture file is truncated.' : 'Reading the capture needed care.'}</strong>
      <ul>
        {notes.map((n) => (
          <li key={n}>{n}</li>
        ))}
      </ul>
    </div>
  );
}
