import { describe, expect, it } from 'vitest';
import { historyLines, historyTooltip } from './history.js';

describe("the flows table's history tooltip", () => {
  it("reads a normal connection's letters in order, initiator's upper case", () => {
    expect(historyLines('ShADadFf')).toEqual([
      'S initiator: SYN without ACK',
      'h responder: SYN-ACK',
      'A initiator: pure ACK',
      'D initiator: data (payload)',
      'a responder: pure ACK',
      'd responder: data (payload)',
      'F initiator: FIN',
      'f responder: FIN',
    ]);
  });

  it('names retransmissions and zero windows, and ends with the Community ID', () => {
    const tip = historyTooltip('ShADTdtW', '1:LQU9qZlK+B5F3KDmev6m5PMibrg=').split('\n');
    expect(tip).toContain('T initiator: retransmission (again at the 10th, 100th …)');
    expect(tip).toContain('t responder: retransmission (again at the 10th, 100th …)');
    expect(tip).toContain('W initiator: zero window (again at the 10th, 100th …)');
    expect(tip.at(-1)).toBe('Community ID 1:LQU9qZlK+B5F3KDmev6m5PMibrg=');
  });

  it('says so when a flow has no history (stored before Flowlens kept it)', () => {
    expect(historyTooltip(null).split('\n')[0]).toBe('no history kept for this flow');
  });
});
