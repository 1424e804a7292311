// Where the timeline's markers go when several of one lane would cover each other (pure, tested).

const SEVERITY_RANK: Record<string, number> = { low: 0, medium: 1, high: 2, critical: 3 };

export interface Marker {
  /** Centre along the time axis, and the lane's centre, in CSS pixels. */
  x: number;
  lane: number;
  /** Radius in CSS pixels. */
  r: number;
  severity: string;
}

/**
 * Vertical offsets (CSS pixels, from the lane's centre) that keep markers of one lane which would
 * cover each other apart: markers whose discs touch form a stack, the most severe on top, spread
 * over the lane's height `laneHeight`. A marker alone stays on its lane's line.
 */
export function stackOffsets(markers: Marker[], laneHeight: number): number[] {
  const out = new Array<number>(markers.length).fill(0);
  const order = markers
    .map((_, i) => i)
    .sort((a, b) => markers[a].lane - markers[b].lane || markers[a].x - markers[b].x);
  let k = 0;
  while (k < order.length) {
    // A stack: each next marker of the lane within reach of the one before.
    let end = k + 1;
    while (end < order.length) {
      const prev = markers[order[end - 1]];
      const next = markers[order[end]];
      if (next.lane !== prev.lane || next.x - prev.x > prev.r + next.r + 1) break;
      end++;
    }
    const stack = order
      .slice(k, end)
      .sort(
        (a, b) =>
          (SEVERITY_RANK[markers[b].severity] ?? 0) - (SEVERITY_RANK[markers[a].severity] ?? 0) ||
          markers[a].x - markers[b].x,
      );
    if (stack.length > 1) {
      const widest = Math.max(...stack.map((i) => markers[i].r * 2));
      const pitch = Math.min(widest + 2, Math.max(laneHeight - 4, 0) / stack.length);
      stack.forEach((i, j) => {
        out[i] = (j - (stack.length - 1) / 2) * pitch;
      });
    }
    k = end;
  }
  return out;
}
