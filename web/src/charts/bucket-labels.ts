/** Width of a digit of the axis' 11 px labels, in CSS pixels, with room to spare. */
const LABEL_CHAR_PX = 7;

/**
 * The buckets' labels as they fit slots `slot` CSS pixels wide (a phone's are narrow): one-line
 * ranges break after their dash, and when even that is too wide every other label is left to the
 * tooltip, so that labels never run into each other.
 */
export function bucketLabels(labels: string[], slot: number): string[] {
  const widest = (ls: string[]) => Math.max(0, ...ls.flatMap((l) => l.split('\n').map((x) => x.length)));
  const fits = (ls: string[], room: number) => widest(ls) * LABEL_CHAR_PX + 4 <= room;
  if (fits(labels, slot)) return labels;
  const broken = labels.map((l) => (l.includes('\n') ? l : l.replace(/([–-])/, '$1\n')));
  if (fits(broken, slot)) return broken;
  return broken.map((l, i) => (i % 2 === 0 ? l : ''));
}
