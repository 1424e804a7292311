import { describe, expect, it } from 'vitest';
import { analyzeCapture, buildSummary } from '../src/analysis/index.js';
import { detect, RULE_LIST } from '../src/detect/index.js';
import { dnsTunnels } from '../src/detect/rules/dns-tunnel.js';
import { httpScans } from '../src/detect/rules/http-scan.js';
import { nxdomainBursts } from '../src/detect/rules/nxdomain-burst.js';
import { rareJa4Clients } from '../src/detect/rules/rare-ja4.js';
import { realCaptures, SHARED_PCAPS } from './helpers/shared.js';

/**
 * The rules that read the protocol logs stay quiet on ordinary traffic: on every public capture
 * (browsing, DNS, mail, file shares, floods and scans of other kinds) none raises more than a low
 * alert. The logs are the ones the analysis pass hands over (`report.logRows`), as every caller
 * of the detection gets them.
 */
const LOG_RULES = new Set([dnsTunnels, nxdomainBursts, rareJa4Clients, httpScans]);
const TYPES = new Set(['dns_tunnel', 'nxdomain_burst', 'rare_tls_client', 'http_scan']);

describe.skipIf(realCaptures().length === 0)('log rules on the public captures', () => {
  it.each(realCaptures())(
    '%s: no log rule alert above low',
    async (name) => {
      const path = `${SHARED_PCAPS}/real/${name}`;
      let result: Awaited<ReturnType<typeof analyzeCapture>>;
      try {
        result = await analyzeCapture(path);
      } catch {
        return; // a capture the analysis refuses (tested elsewhere) has no logs either
      }
      const logs = result.report.logRows;
      expect(logs).not.toBeNull();
      const summary = buildSummary(result);
      const detection = detect(
        result,
        summary,
        undefined,
        RULE_LIST.filter((r) => LOG_RULES.has(r)),
        { logs },
      );
      const loud = detection.insights.filter((i) => TYPES.has(i.alert_type) && i.severity !== 'low');
      expect(loud.map((i) => i.summary)).toEqual([]);
    },
    60_000,
  );
});
