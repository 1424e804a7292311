import { formatBytes, formatCount } from '../../format/index.js';
import { type Insight, type RuleContext, wholeCapture } from './context.js';

/** A summary line, not an alert: the service port that carried the most bytes. */
export function dominantService(ctx: RuleContext): Insight[] {
  const s = ctx.summary;
  const port = [...s.ports].sort((a, b) => b.bytes - a.bytes || b.packets - a.packets)[0];
  if (!port) return [];
  const transportBytes = s.ports.reduce((a, p) => a + p.bytes, 0);
  const share = transportBytes ? (port.bytes / transportBytes) * 100 : 0;
  return [
    {
      insight_type: 'summary',
      alert_type: 'dominant_service',
      severity: 'low',
      summary: `${port.label}/${port.protocol} carried the most traffic: ${formatBytes(port.bytes)} in ${formatCount(port.flows)} flows (${share.toFixed(1)}% of the bytes of the listed services).`,
      details: {
        protocol: port.protocol,
        port: port.port,
        service: port.service,
        bytes: port.bytes,
        flows: port.flows,
        packets: port.packets,
        addresses: [],
      },
      ...wholeCapture(ctx),
    },
  ];
}
