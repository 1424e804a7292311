import { ANOMALY_BURST, anomalyBursts } from './anomaly-burst.js';
import { ARP_SWEEP, arpSweeps } from './arp-sweep.js';
import { CONNECTION_BURST, connectionBursts } from './connection-burst.js';
import { createContext, type Insight, type Rule, type RuleInputs } from './context.js';
import { DNS_TUNNEL, dnsTunnels } from './dns-tunnel.js';
import { dominantService } from './dominant-service.js';
import { dominantTalker } from './dominant-talker.js';
import { HOST_SWEEP, hostSweeps } from './host-sweep.js';
import { HTTP_SCAN, httpScans } from './http-scan.js';
import { INTEL_MATCH, intelMatches } from './intel-match.js';
import { NXDOMAIN_BURST, nxdomainBursts } from './nxdomain-burst.js';
import { PACKET_FLOOD, packetFloods } from './packet-flood.js';
import { PORT_SCAN, portScans } from './port-scan.js';
import { RARE_JA4, rareJa4Clients } from './rare-ja4.js';
import { RETRANSMISSION_SPIKE, retransmissionSpikes } from './retransmission-spike.js';
import { RST_STORM, rstStorms } from './rst-storm.js';
import { SYN_FLOOD, synFloods } from './syn-flood.js';
import { TRAFFIC_BURST, trafficBursts } from './traffic-burst.js';

export type { AnomalyView, Insight, Rule, RuleContext, RuleInputs, Severity } from './context.js';

/**
 * Every rule, in the order the detector runs them. The order matters where a rule reads what an
 * earlier one left in the context: `rstStorms` reads the scan victims `portScans` found.
 */
export const RULE_LIST: readonly Rule[] = [
  portScans,
  hostSweeps,
  arpSweeps,
  synFloods,
  packetFloods,
  rstStorms,
  trafficBursts,
  connectionBursts,
  retransmissionSpikes,
  anomalyBursts,
  intelMatches,
  dnsTunnels,
  nxdomainBursts,
  rareJa4Clients,
  httpScans,
  dominantTalker,
  dominantService,
];

/** Every rule's thresholds (per window unless said otherwise), as each rule's file defines them. */
export const RULES = {
  portScan: PORT_SCAN,
  hostSweep: HOST_SWEEP,
  arpSweep: ARP_SWEEP,
  synFlood: SYN_FLOOD,
  packetFlood: PACKET_FLOOD,
  rstStorm: RST_STORM,
  trafficBurst: TRAFFIC_BURST,
  connectionBurst: CONNECTION_BURST,
  retransmissionSpike: RETRANSMISSION_SPIKE,
  anomalyBurst: ANOMALY_BURST,
  intelMatch: INTEL_MATCH,
  dnsTunnel: DNS_TUNNEL,
  nxdomainBurst: NXDOMAIN_BURST,
  rareJa4: RARE_JA4,
  httpScan: HTTP_SCAN,
} as const;

/** Runs the rules in list order on one context and returns their insights by capture time. */
export function detectInsights(inputs: RuleInputs, rules: readonly Rule[] = RULE_LIST): Insight[] {
  const ctx = createContext(inputs);
  const out: Insight[] = [];
  for (const rule of rules) {
    const found = rule(ctx);
    out.push(...found);
    ctx.raised.push(...found);
  }
  // A stable sort: insights of one time keep the list's order.
  return out.sort(
    (a, b) => (a.event_ts ?? Number.POSITIVE_INFINITY) - (b.event_ts ?? Number.POSITIVE_INFINITY),
  );
}
