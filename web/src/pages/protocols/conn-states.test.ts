import { describe, expect, it } from 'vitest';
import { connStateTable } from './conn-states.js';

describe('TCP health connection states', () => {
  const flows = { count: 43 + 10, tcp: 8, udp: 40, icmp: 5, other: 0 };

  it('counts TCP flows only when the summary keeps them apart, shares out of the TCP flows', () => {
    const t = connStateTable({
      ...flows,
      conn_states: { SF: 43, S0: 10 },
      tcp_conn_states: { SF: 6, REJ: 2, S0: 0 },
    });
    expect(t?.scope).toBe('tcp');
    expect(t?.total).toBe(8);
    expect(t?.rows).toEqual([
      { state: 'SF', flows: 6, share: 75 },
      { state: 'REJ', flows: 2, share: 25 },
    ]);
  });

  it('falls back to every transport for sessions analysed before, and says so', () => {
    const t = connStateTable({ ...flows, conn_states: { S0: 10, SF: 43 } });
    expect(t?.scope).toBe('all');
    expect(t?.total).toBe(53);
    expect(t?.rows.map((r) => r.state)).toEqual(['SF', 'S0']);
    expect(t?.rows[0].share).toBeCloseTo((43 / 53) * 100);
  });

  it('has no table without any counts, and an empty one for a capture without TCP flows', () => {
    expect(connStateTable(flows)).toBeNull();
    expect(connStateTable({ ...flows, conn_states: { SF: 3 }, tcp_conn_states: {} })?.rows).toEqual([]);
  });
});
