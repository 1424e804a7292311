// What Zeek's history letters mean, for the flows table's tooltip (pure, tested).

/** Each letter's meaning as Zeek's conn.log documents it (upper case: the initiator sent it). */
export const HISTORY_LETTERS: Record<string, string> = {
  s: 'SYN without ACK',
  h: 'SYN-ACK',
  a: 'pure ACK',
  d: 'data (payload)',
  f: 'FIN',
  r: 'RST',
  c: 'bad checksum',
  g: 'content gap',
  i: 'inconsistent packet (FIN and RST)',
  q: 'multi-flag packet (SYN with FIN or RST)',
  t: 'retransmission (again at the 10th, 100th …)',
  w: 'zero window (again at the 10th, 100th …)',
  '^': 'direction flipped',
};

/** One line per letter, in the order they happened: "S initiator: SYN without ACK". */
export function historyLines(history: string): string[] {
  return [...history].map((ch) => {
    const low = ch.toLowerCase();
    const meaning = HISTORY_LETTERS[low] ?? 'unknown letter';
    if (ch === '^') return `^ ${meaning}`;
    return `${ch} ${ch === low ? 'responder' : 'initiator'}: ${meaning}`;
  });
}

/** The history cell's tooltip: the letters' meanings, then the Community ID when there is one. */
export function historyTooltip(history: string | null | undefined, communityId?: string | null): string {
  const lines = history ? historyLines(history) : ['no history kept for this flow'];
  lines.push('Upper case: sent by the initiator; lower case: by the responder (Zeek’s conn.log).');
  if (communityId) lines.push(`Community ID ${communityId}`);
  return lines.join('\n');
}
