// The packet-size and flow-duration histograms' buckets: the summary's keys, the chart's labels.

interface Bucket {
  key: string;
  /** Other spellings of the key a server may use. */
  aliases: string[];
  label: string;
  range: string;
}

// The summary's buckets with their JSON keys (inclusive upper bounds in bytes; durations in seconds).
export const SIZE_BUCKETS: Bucket[] = [
  { key: '64', aliases: ['0-64', '<=64'], label: '≤64', range: 'up to 64 bytes' },
  { key: '128', aliases: ['65-128'], label: '65–128', range: '65 to 128 bytes' },
  { key: '256', aliases: ['129-256'], label: '129–256', range: '129 to 256 bytes' },
  { key: '512', aliases: ['257-512'], label: '257–512', range: '257 to 512 bytes' },
  { key: '1024', aliases: ['513-1024'], label: '513–1024', range: '513 to 1024 bytes' },
  { key: '1518', aliases: ['1025-1518'], label: '1025–1518', range: '1025 to 1518 bytes' },
  { key: '1519+', aliases: ['>1518', '1519-'], label: '>1518', range: 'over 1518 bytes (jumbo, offloaded)' },
];

export const DURATION_BUCKETS: Bucket[] = [
  { key: '0.01', aliases: ['<0.01', '<10ms'], label: '<10\nms', range: 'under 10 ms' },
  { key: '0.1', aliases: ['0.01-0.1'], label: '10–100\nms', range: '10 ms to 100 ms' },
  { key: '1', aliases: ['0.1-1', '<1s'], label: '0.1–1\ns', range: '100 ms to 1 s' },
  { key: '5', aliases: ['1-5'], label: '1–5\ns', range: '1 s to 5 s' },
  { key: '10', aliases: ['5-10'], label: '5–10\ns', range: '5 s to 10 s' },
  { key: '30', aliases: ['10-30'], label: '10–30\ns', range: '10 s to 30 s' },
  { key: '60', aliases: ['30-60'], label: '30–60\ns', range: '30 s to 1 min' },
  { key: '300', aliases: ['60-300'], label: '1–5\nmin', range: '1 min to 5 min' },
  { key: '300+', aliases: ['>=300', '>300'], label: '≥5\nmin', range: '5 min or longer' },
];

/** The buckets in the summary's order; keys the table does not know are appended as they come. */
export function bucketValues(dist: Record<string, number>, buckets: Bucket[]) {
  const seen = new Set<string>();
  const out = buckets.map((b) => {
    const k = [b.key, ...b.aliases].find((x) => x in dist);
    if (k !== undefined) seen.add(k);
    return { label: b.label, range: b.range, count: k === undefined ? 0 : dist[k] };
  });
  for (const [k, v] of Object.entries(dist)) if (!seen.has(k)) out.push({ label: k, range: k, count: v });
  return out;
}
