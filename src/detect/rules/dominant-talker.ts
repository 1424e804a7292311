import { formatBytes, formatCount } from '../../format/index.js';
import { type Insight, type RuleContext, wholeCapture } from './context.js';

/** A summary line, not an alert: the address in the largest share of the capture's bytes. */
export function dominantTalker(ctx: RuleContext): Insight[] {
  const s = ctx.summary;
  const top = s.top_talkers[0];
  if (!(top && s.file.bytes > 0)) return [];
  return [
    {
      insight_type: 'summary',
      alert_type: 'dominant_talker',
      severity: 'low',
      // share counts a packet for its sender and for its receiver (tshark's endpoints): an address
      // talking to itself can pass 100%, so the sentence says what is counted.
      summary: `${top.ip} is the busiest address: the bytes it sent and received come to ${top.share.toFixed(1)}% of the capture's bytes (${formatBytes(top.bytes)} in ${formatCount(top.packets)} packets).`,
      details: { ip: top.ip, bytes: top.bytes, packets: top.packets, share: top.share, addresses: [top.ip] },
      ...wholeCapture(ctx),
    },
  ];
}
