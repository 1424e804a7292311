import { describe, expect, it } from 'vitest';
import { ByteBudget, type StreamSink, TcpReassembly } from '../src/protocols/index.js';

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;

/** What the reassembly delivered, as text: bytes as they are, absent bytes as `<n>`, a close as `|`. */
function stream(budget = new ByteBudget(1 << 20)) {
  const clock = new Float64Array(1);
  const out = ['', ''];
  const times: number[][] = [[], []];
  const sink: StreamSink = {
    bytes(side, buf, off, len) {
      out[side] += Buffer.from(buf.subarray(off, off + len)).toString('latin1');
      times[side].push(r.at[0]);
    },
    absent(side, len) {
      out[side] += `<${len}>`;
    },
    closed(side) {
      out[side] += '|';
    },
  };
  const r = new TcpReassembly(clock, sink, budget);
  return {
    r,
    out,
    times,
    budget,
    send(side: number, seq: number, text: string, t = 0, flags = ACK, captured = text.length) {
      clock[0] = t;
      const bytes = Buffer.from(text, 'latin1');
      r.segment(side, seq, flags, bytes.length, bytes, 0, captured);
    },
  };
}

describe('TCP reassembly for the protocol parsers', () => {
  it('delivers in sequence order: repeated bytes once, an overlap from where it is new', () => {
    const s = stream();
    s.send(0, 99, '', 0, SYN);
    s.send(0, 100, 'abcd');
    s.send(0, 100, 'abcd');
    s.send(0, 102, 'cdefg');
    expect(s.out[0]).toBe('abcdefg');
    expect(s.r.retransmitted).toBe(2);
  });

  it('holds early segments and delivers each with the time it came at once the hole fills', () => {
    const s = stream();
    s.send(0, 99, '', 0, SYN);
    s.send(0, 105, 'fgh', 2);
    s.send(0, 103, 'de', 1);
    expect(s.out[0]).toBe('');
    s.send(0, 100, 'abc', 3);
    expect(s.out[0]).toBe('abcdefgh');
    expect(s.times[0]).toEqual([3, 1, 2]);
  });

  it('a hole that does not fill is declared after eight early segments: its bytes are absent', () => {
    const s = stream();
    s.send(0, 99, '', 0, SYN);
    s.send(0, 100, 'a');
    for (let i = 0; i < 9; i++) s.send(0, 105 + i, String(i));
    expect(s.out[0]).toBe('a<4>012345678');
    expect(s.r.holes).toBe(1);
  });

  it('early bytes beyond 64 KiB are held as lengths only, and come out as absent', () => {
    const s = stream();
    s.send(0, 99, '', 0, SYN);
    s.send(0, 40100, 'y'.repeat(40000));
    s.send(0, 80100, 'z'.repeat(40000));
    expect(s.r.heldBytes).toBe(40000);
    s.send(0, 100, 'x'.repeat(40000));
    expect(s.out[0]).toBe(`${'x'.repeat(40000)}${'y'.repeat(40000)}<40000>`);
    expect(s.budget.used).toBe(0);
  });

  it('sequence numbers wrap around 2^32', () => {
    const s = stream();
    s.send(1, -3, '', 0, SYN | ACK); // 0xfffffffd
    s.send(1, 0, 'cd');
    s.send(1, -2, 'ab');
    s.send(1, 0, 'cd');
    expect(s.out[1]).toBe('abcd');
  });

  it('a snaplen cut delivers the captured bytes, then the rest as absent', () => {
    const s = stream();
    s.send(0, 100, 'abcdef', 0, ACK, 2);
    expect(s.out[0]).toBe('ab<4>');
  });

  it('a FIN closes its side once the bytes before it are in; a reset flushes and closes', () => {
    const s = stream();
    s.send(0, 99, '', 0, SYN);
    s.send(0, 103, 'd', 0, FIN | ACK);
    expect(s.out[0]).toBe('');
    s.send(0, 100, 'abc');
    expect(s.out[0]).toBe('abcd|');
    s.send(1, 499, '', 0, SYN | ACK);
    s.send(1, 510, 'late');
    s.send(1, 514, '', 0, RST);
    expect(s.out[1]).toBe('<10>late|');
    s.send(1, 500, 'ignored after the reset');
    expect(s.out[1]).toBe('<10>late|');
  });

  it('the end of the flow delivers what is held and closes both sides', () => {
    const s = stream();
    s.send(0, 99, '', 0, SYN);
    s.send(0, 110, 'k');
    s.r.end();
    expect(s.out).toEqual(['<10>k|', '|']);
    expect(s.budget.used).toBe(0);
  });
});
