import { describe, expect, it } from 'vitest';
import { LogRowCollector, settleLogRows } from '../src/analysis/log-rows.js';
import type { DnsTransaction } from '../src/protocols/index.js';

/**
 * The detection reads at most `cap` log rows of each kind. Which ones must not depend on the order
 * the parsers happened to write them (flows end in a different order in each flow shard): the
 * earliest by time, then by content.
 */
function dnsRow(ts: number, query: string): DnsTransaction {
  return { ts, flowId: 1, query, rcode: 0 } as unknown as DnsTransaction;
}

function collector(cap: number): LogRowCollector {
  return new LogRowCollector(
    (_flowId, out) => {
      out[0] = 0;
      out[1] = 1;
      out[2] = 53;
      return true;
    },
    (id) => `10.0.0.${id}`,
    cap,
  );
}

describe('the log rows the detection keeps', () => {
  it('are the earliest `cap` by time, however late an early row arrives', () => {
    const c = collector(3);
    const times = [50, 10, 40, 90, 20, 70, 5, 60, 30, 80];
    for (const t of times) c.dns(dnsRow(t, `q${t}.example`));
    settleLogRows(c.rows);
    expect(c.rows.dns.map((r) => r.ts)).toEqual([5, 10, 20]);
    expect(c.rows.dropped.dns).toBe(7);
  });

  it('are the same rows whichever order they came in', () => {
    const times = Array.from({ length: 200 }, (_, i) => (i * 7919) % 1000);
    const a = collector(50);
    const b = collector(50);
    for (const t of times) a.dns(dnsRow(t, `a${t}`));
    for (const t of [...times].reverse()) b.dns(dnsRow(t, `a${t}`));
    settleLogRows(a.rows);
    settleLogRows(b.rows);
    expect(a.rows).toEqual(b.rows);
    expect(a.rows.dns.map((r) => r.ts)).toEqual([...times].sort((x, y) => x - y).slice(0, 50));
  });
});
