import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeCapture, type FlowRecord } from '../src/analysis/index.js';
import { ingestCapture } from '../src/ingest/index.js';
import { type Db, type FlowRow, formatFlows, openStore, sessionFlows } from '../src/storage/index.js';
import { databaseBackends } from './helpers/backends.js';
import { type Frame, TCP, tcpFrame, writeCapture } from './helpers/packets.js';

// Zeek's conn.log fields on hand-built TCP flows, one for each conn_state of the README's table:
// the history letters Zeek writes for the same packets (its rules: one letter per kind of segment,
// the first time; a segment with SYN, FIN or RST gives only that letter; upper case from the
// originator), payload bytes by sequence space, and the Community ID.

const T = 1_700_000_000;
const C = '10.0.0.5';
const S = '192.0.2.80';
const { SYN, ACK, FIN, RST, PSH } = TCP;
const data = (n: number) => Buffer.alloc(n, 0x61);

type Step = [from: 'c' | 's', flags: number, seq: number, ack: number, len?: number, gapMs?: number];

/** A flow's packets; the client's numbers start at 1000, the server's at 5000. */
interface Case {
  state: string;
  history: string;
  steps: Step[];
}

const HANDSHAKE: Step[] = [
  ['c', SYN, 999, 0],
  ['s', SYN | ACK, 4999, 1000],
  ['c', ACK, 1000, 5000],
];

const CASES: Case[] = [
  { state: 'S0', history: 'S', steps: [['c', SYN, 999, 0]] },
  { state: 'S1', history: 'ShA', steps: HANDSHAKE },
  {
    state: 'SF',
    history: 'ShADadFf',
    steps: [
      ...HANDSHAKE,
      ['c', PSH | ACK, 1000, 5000, 100],
      ['s', ACK, 5000, 1100],
      ['s', PSH | ACK, 5000, 1100, 300],
      ['c', ACK, 1100, 5300],
      ['c', FIN | ACK, 1100, 5300],
      ['s', FIN | ACK, 5300, 1101],
      ['c', ACK, 1101, 5301],
    ],
  },
  {
    state: 'REJ',
    history: 'Sr',
    steps: [
      ['c', SYN, 999, 0],
      ['s', RST | ACK, 0, 1000],
    ],
  },
  { state: 'S2', history: 'ShAF', steps: [...HANDSHAKE, ['c', FIN | ACK, 1000, 5000]] },
  { state: 'S3', history: 'ShAf', steps: [...HANDSHAKE, ['s', FIN | ACK, 5000, 1000]] },
  { state: 'RSTO', history: 'ShAR', steps: [...HANDSHAKE, ['c', RST | ACK, 1000, 5000]] },
  {
    state: 'RSTR',
    history: 'ShADr',
    steps: [...HANDSHAKE, ['c', PSH | ACK, 1000, 5000, 20], ['s', RST | ACK, 5000, 1020]],
  },
  {
    state: 'RSTOS0',
    history: 'SR',
    steps: [
      ['c', SYN, 999, 0],
      ['c', RST, 1000, 0],
    ],
  },
  {
    state: 'RSTRH',
    history: 'Ahr',
    steps: [
      ['c', ACK, 1000, 5000],
      ['s', SYN | ACK, 4999, 1000],
      ['s', RST, 5000, 0],
    ],
  },
  {
    state: 'SH',
    history: 'SF',
    steps: [
      ['c', SYN, 999, 0],
      ['c', FIN, 1000, 0],
    ],
  },
  {
    state: 'SHR',
    history: 'Ahf',
    steps: [
      ['c', ACK, 1000, 5000],
      ['s', SYN | ACK, 4999, 1000],
      ['s', FIN | ACK, 5000, 1000],
    ],
  },
  {
    state: 'OTH',
    history: 'Da',
    steps: [
      ['c', PSH | ACK, 1000, 5000, 10],
      ['s', ACK, 5000, 1010],
    ],
  },
];

/**
 * A transfer with a retransmission: 100 bytes, the same 100 again 300 ms later, 50 more; the
 * server answers 30. Zeek counts each side's bytes by sequence numbers: 150 and 30, not 250.
 */
const RETRANSMITTED: Case = {
  state: 'SF',
  history: 'ShADTadFf',
  steps: [
    ...HANDSHAKE,
    ['c', PSH | ACK, 1000, 5000, 100],
    ['c', PSH | ACK, 1000, 5000, 100, 300],
    ['s', ACK, 5000, 1100],
    ['c', PSH | ACK, 1100, 5000, 50],
    ['s', PSH | ACK, 5000, 1150, 30],
    ['c', ACK, 1150, 5030],
    ['c', FIN | ACK, 1150, 5030],
    ['s', FIN | ACK, 5030, 1151],
    ['c', ACK, 1151, 5031],
  ],
};

/** Every case as its own flow (a client port each), 10 s apart, packets 1 ms apart. */
function frames(cases: Case[]): Frame[] {
  const out: Frame[] = [];
  cases.forEach((c, i) => {
    let ms = i * 10_000;
    for (const [from, flags, seq, ack, len, gap] of c.steps) {
      ms += gap ?? 1;
      const sport = 40000 + i;
      const f =
        from === 'c'
          ? tcpFrame(C, S, { sport, dport: 80, seq, ack, flags, payload: data(len ?? 0) })
          : tcpFrame(S, C, { sport: 80, dport: sport, seq, ack, flags, payload: data(len ?? 0) });
      out.push({ sec: T + Math.floor(ms / 1000), nsec: (ms % 1000) * 1e6, data: f });
    }
  });
  return out;
}

const ALL = [...CASES, RETRANSMITTED];

describe("Zeek's history, payload bytes and Community ID on hand-built flows", async () => {
  const path = writeCapture(frames(ALL));
  const flows: Pick<FlowRecord, 'connState' | 'history' | 'origBytes' | 'respBytes' | 'retransmissions'>[] =
    [];
  await analyzeCapture(path, {
    onFlow: (f) => {
      const { connState, history, origBytes, respBytes, retransmissions } = f;
      flows[f.srcPort - 40000] = { connState, history, origBytes, respBytes, retransmissions };
    },
  });

  for (const [i, c] of CASES.entries()) {
    it(`${c.state}: the history is Zeek's ${c.history}`, () => {
      expect(flows[i]).toMatchObject({ connState: c.state, history: c.history });
    });
  }

  it('a retransmission is counted once in the payload bytes (Zeek: 150 and 30) and shows as T', () => {
    expect(flows[CASES.length]).toEqual({
      connState: 'SF',
      history: 'ShADTadFf',
      origBytes: 150,
      respBytes: 30,
      retransmissions: 1,
    });
  });

  it('a normal connection counts its payload, not its SYN and FIN: 100 and 300', () => {
    expect(flows[2]).toMatchObject({ origBytes: 100, respBytes: 300 });
  });
});

describe.each(databaseBackends('Zeek field'))('Zeek fields stored in %s and exported', (_name, target) => {
  let db: Db;
  let rows: FlowRow[] = [];
  let sessionId = '';
  beforeAll(async () => {
    db = await openStore(target());
    ({ sessionId } = await ingestCapture(db, writeCapture(frames(ALL)), { sessionName: 'zeek fields' }));
    for await (const page of sessionFlows(db, sessionId)) rows.push(...page);
    rows = rows.sort((a, b) => a.src_port - b.src_port);
  }, 120_000);
  afterAll(async () => {
    await db?.close();
  });

  it('every flow keeps its history, payload bytes and Community ID', () => {
    expect(rows.map((r) => r.history)).toEqual(ALL.map((c) => c.history));
    const last = rows[rows.length - 1];
    expect(last).toMatchObject({ orig_bytes: 150, resp_bytes: 30, retransmissions: 1 });
    // The spec's ordering: 10.0.0.5 is the lower address, so the client's end comes first.
    expect(rows[0].community_id).toMatch(/^1:[A-Za-z0-9+/]{27}=$/);
    expect(new Set(rows.map((r) => r.community_id)).size).toBe(rows.length);
  });

  it('the Zeek conn.log writes history, orig_bytes, resp_bytes and community_id in their columns', () => {
    const out = formatFlows('zeek', sessionId);
    const lines = `${out.header}${out.page(rows)}`.split('\n');
    const fields = lines
      .find((l) => l.startsWith('#fields'))!
      .split('\t')
      .slice(1);
    const last = lines
      .filter((l) => l !== '' && !l.startsWith('#'))
      .at(-1)!
      .split('\t');
    const get = (name: string) => last[fields.indexOf(name)];
    expect(get('history')).toBe('ShADTadFf');
    expect(get('orig_bytes')).toBe('150');
    expect(get('resp_bytes')).toBe('30');
    expect(get('community_id')).toBe(rows[rows.length - 1].community_id);
    expect(lines.find((l) => l.startsWith('#types'))!.split('\t').length).toBe(fields.length + 1);
  });

  it('the CSV and JSON exports carry the same four fields', () => {
    const csv = formatFlows('csv', sessionId);
    const header = csv.header.trim().split(',');
    const line = csv
      .page([rows[rows.length - 1]])
      .trim()
      .split(',');
    for (const [name, value] of [
      ['history', 'ShADTadFf'],
      ['orig_bytes', '150'],
      ['resp_bytes', '30'],
    ])
      expect(line[header.indexOf(name)]).toBe(value);
    const json = JSON.parse(formatFlows('json', sessionId).page([rows[0]]));
    expect(json).toMatchObject({ history: 'S', orig_bytes: 0, community_id: rows[0].community_id });
  });
});
