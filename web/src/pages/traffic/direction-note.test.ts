import { describe, expect, it } from 'vitest';
import type { Direction } from '../../api/types.js';
import { boundaryNote } from './direction-note.js';

describe('traffic direction', () => {
  const dir = (inbound: number, outbound: number, internal: number, external: number): Direction =>
    ({
      local_networks: ['10.0.0.0/8'],
      inbound_bytes: inbound,
      outbound_bytes: outbound,
      internal_bytes: internal,
      external_bytes: external,
      inbound_packets: 0,
      outbound_packets: 0,
      internal_packets: 0,
      external_packets: 0,
    }) as Direction;
  it('says so when nearly all IP bytes are remote → remote, instead of a bare "100% outbound"', () => {
    const note = boundaryNote(dir(0, 593, 0, 24_420));
    expect(note).toContain('Only 2.4%');
    expect(note).toContain('external');
    expect(boundaryNote(dir(0, 10, 5_000, 0))).toContain('internal');
  });
  it('no note when in + out is a fair share, or there are no IP bytes', () => {
    expect(boundaryNote(dir(500, 400, 1000, 2000))).toBeNull();
    expect(boundaryNote(dir(0, 0, 0, 0))).toBeNull();
  });
});
