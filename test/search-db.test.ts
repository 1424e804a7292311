import { BlockList, isIPv6 } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestCapture } from '../src/ingest/index.js';
import { compile, parse, type SearchContext } from '../src/search/index.js';
import {
  type Db,
  deleteSession,
  type FlowRow,
  formatFlows,
  openStore,
  sessionFlows,
} from '../src/storage/index.js';
import { databaseBackends } from './helpers/backends.js';
import { HOSTILE, quote, SQL_ROWS } from './helpers/search-fixtures.js';
import { hasSharedPcaps, SHARED_PCAPS } from './helpers/shared.js';

/**
 * The compiled SQL run for real: public captures stored with the project's own ingest, searched,
 * and compared with a reference filter written here in plain TypeScript over the flows as
 * `flowlens export --flows --format json` writes them. The reference shares no code with
 * src/search. On PGlite always, and on PostgreSQL when TEST_DATABASE_URL names one.
 */
const backends = databaseBackends('search');

const HOSTILE_NAME = 'O\'Brien"; DROP TABLE flows; --';
const CAPTURES: [file: string, name: string][] = [
  ['eth-dns-http-v4v6_wikipedia.pcap', 'eth-dns-http-v4v6_wikipedia.pcap'],
  ['eth-mixed-services_var-services-std-ports.pcap', 'eth-mixed-services_var-services-std-ports.pcap'],
  ['eth-teredo-mixed_Teredo.pcap', 'eth-teredo-mixed_Teredo.pcap'],
  ['eth-arp-scan-tcp-syn-rst_nmap-vsn.pcap', 'eth-arp-scan-tcp-syn-rst_nmap-vsn.pcap'],
  ['eth-tcp-retrans-dupack-rst-snaplen_retransmit-fast009.pcap', 'Retransmissions'],
  ['eth-6in4-ping6_ping6-in-ipv4.pcap', HOSTILE_NAME],
];

/** An exported flow with the session it came from. */
type Hit = FlowRow & { session_id: string; session_name: string };

// --- the reference: plain TypeScript over the exported rows ---

/** Whether `ip` lies in `cidr`; IPv4 networks hold IPv4 addresses only, IPv6 likewise. */
function inNet(ip: string, cidr: string): boolean {
  const [net, prefix] = cidr.split('/');
  if (isIPv6(ip) !== isIPv6(net)) return false;
  const list = new BlockList();
  list.addSubnet(net, Number(prefix), isIPv6(net) ? 'ipv6' : 'ipv4');
  return list.check(ip, isIPv6(ip) ? 'ipv6' : 'ipv4');
}
const either = (h: Hit, test: (ip: string) => boolean) => test(h.src_ip) || test(h.dst_ip);
const port = (h: Hit, p: number) => h.src_port === p || h.dst_port === p;
/** The responder's port on TCP or UDP: what a service name stands for. */
const service = (h: Hit, ...ports: number[]) =>
  (h.protocol === 'TCP' || h.protocol === 'UDP') && ports.includes(h.dst_port);
const sessionNamed = (h: Hit, pattern: RegExp) => pattern.test(h.session_name);
const PRIVATE = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fe80::/10'];

describe.skipIf(!hasSharedPcaps).each(backends)('search over captures stored in %s', (_backend, target) => {
  let db: Db;
  const ids: string[] = [];
  let hits: Hit[] = [];
  /** Relative times count from here: ten seconds after the latest flow starts. */
  let now = 0;

  beforeAll(async () => {
    db = await openStore(target());
    for (const [file, name] of CAPTURES) {
      const { sessionId } = await ingestCapture(db, `${SHARED_PCAPS}/real/${file}`, { sessionName: name });
      ids.push(sessionId);
      // The export's JSON Lines, read back as a user of `flowlens export --format json` would.
      const out = formatFlows('json', sessionId);
      let text = out.header;
      for await (const page of sessionFlows(db, sessionId)) text += out.page(page);
      for (const line of text.split('\n')) {
        if (line !== '')
          hits.push({ ...(JSON.parse(line) as FlowRow), session_id: sessionId, session_name: name });
      }
    }
    now = Math.max(...hits.map((h) => h.start_timestamp)) + 10;
  }, 240_000);

  afterAll(async () => {
    for (const id of ids) await deleteSession(db, id);
    await db?.close();
    hits = [];
  });

  function compiled(text: string, context: SearchContext = {}) {
    const r = parse(text);
    if (!r.ok) throw new Error(r.error.message);
    return compile(r.query, { sessions: ids, now, limit: 100_000, countCap: null, ...context });
  }

  async function search(text: string, context: SearchContext = {}) {
    const c = compiled(text, context);
    const rows = await db.query<Hit>(c.page.sql, c.page.params);
    const [{ n }] = await db.query<{ n: number }>(c.count.sql, c.count.params);
    return { rows, count: n };
  }

  const key = (h: { session_id: string; flow_id: number }) => `${h.session_id}/${h.flow_id}`;

  const REFERENCE: [expression: string, reference: (h: Hit) => boolean][] = [
    ['proto == udp', (h) => h.protocol === 'UDP'],
    ['port == 53', (h) => port(h, 53)],
    ['dst_port == 80 and proto == tcp', (h) => h.dst_port === 80 && h.protocol === 'TCP'],
    ['src_port > 1024 and dst_port < 1024', (h) => h.src_port > 1024 && h.dst_port < 1024],
    ['ip in 208.80.152.0/22', (h) => either(h, (ip) => inNet(ip, '208.80.152.0/22'))],
    ['ip in fe80::/10', (h) => either(h, (ip) => inNet(ip, 'fe80::/10'))],
    [
      'src in 192.168.0.0/16 and not dst in 192.168.0.0/16',
      (h) => inNet(h.src_ip, '192.168.0.0/16') && !inNet(h.dst_ip, '192.168.0.0/16'),
    ],
    ['ip == 141.142.220.118', (h) => either(h, (ip) => ip === '141.142.220.118')],
    ['ip != 192.168.2.16', (h) => h.src_ip !== '192.168.2.16' && h.dst_ip !== '192.168.2.16'],
    [
      'dst in (224.0.0.251, FF02:0::FB, 192.168.2.255)',
      (h) => ['224.0.0.251', 'ff02::fb', '192.168.2.255'].includes(h.dst_ip),
    ],
    ['ip in ::/0', (h) => either(h, isIPv6)],
    [
      'ip not in (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fe80::/10)',
      (h) => !either(h, (ip) => PRIVATE.some((n) => inNet(ip, n))),
    ],
    [
      'ip in (141.142.2.2, 172.16.0.0/12)',
      (h) => either(h, (ip) => ip === '141.142.2.2' || inNet(ip, '172.16.0.0/12')),
    ],
    ['bytes >= 1k', (h) => h.total_bytes >= 1000],
    ['packets > 10 and duration > 1s', (h) => h.packet_count > 10 && h.duration_seconds > 1],
    ['duration < 10ms', (h) => h.duration_seconds < 0.01],
    ['duration == 0', (h) => h.duration_seconds === 0],
    ['state in (S0, rej)', (h) => h.conn_state === 'S0' || h.conn_state === 'REJ'],
    ['state != SF', (h) => h.conn_state !== 'SF'],
    ['service == https or service == http', (h) => service(h, 80, 443)],
    ['service == dns', (h) => service(h, 53)],
    [
      'port in (5353, 5355, 137) and not service == mdns',
      (h) => [5353, 5355, 137].some((p) => port(h, p)) && !service(h, 5353),
    ],
    ['session ~ "eth-*-v4v6*"', (h) => sessionNamed(h, /^eth-.*-v4v6/)],
    ['session ~ /^ETH-(teredo|arp)/', (h) => sessionNamed(h, /^eth-(teredo|arp)/i)],
    ['session == retransmissions', (h) => h.session_name === 'Retransmissions'],
    [`session == ${quote(HOSTILE_NAME.toLowerCase())}`, (h) => h.session_name === HOSTILE_NAME],
    [
      'start >= 2011-03-18T19:06:08Z and start < 2011-03-18T19:06:09.5Z',
      (h) => h.start_timestamp >= 1300475168 && h.start_timestamp < 1300475169.5,
    ],
    ['start > -20s', (h) => h.start_timestamp > now - 20],
    ['end < 1300000000', (h) => h.end_timestamp < 1300000000],
    ['retrans > 0', (h) => h.retransmissions > 0],
    ['flow in (1, 2, 3) and proto == tcp', (h) => [1, 2, 3].includes(h.flow_id) && h.protocol === 'TCP'],
    ['not (proto == tcp or proto == udp)', (h) => h.protocol !== 'TCP' && h.protocol !== 'UDP'],
    ['proto == icmpv6 or proto == 1', (h) => h.protocol === 'ICMPv6' || h.protocol === 'ICMP'],
    [
      '!(bytes < 500) && packets >= 2 || state == S0',
      (h) => (!(h.total_bytes < 500) && h.packet_count >= 2) || h.conn_state === 'S0',
    ],
  ];

  it.each(REFERENCE)('%s returns exactly the flows the reference selects', async (expression, reference) => {
    const expected = hits.filter(reference).map(key).sort();
    // A row that selects nothing, or everything, would not tell a wrong compiler from a right one.
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(hits.length);
    const { rows, count } = await search(expression);
    expect(rows.map(key).sort()).toEqual(expected);
    expect(count).toBe(expected.length);
    for (let i = 1; i < rows.length; i++)
      expect(rows[i].start_timestamp).toBeLessThanOrEqual(rows[i - 1].start_timestamp);
  });

  it('the same session is found by its id in capitals', async () => {
    const { rows } = await search(`session == ${ids[2].toUpperCase()}`);
    expect(rows.map(key).sort()).toEqual(
      hits
        .filter((h) => h.session_id === ids[2])
        .map(key)
        .sort(),
    );
  });

  it('a search of chosen sessions keeps to them', async () => {
    const { rows } = await search('proto == udp', { sessions: [ids[0], ids[2]] });
    const expected = hits.filter(
      (h) => h.protocol === 'UDP' && (h.session_id === ids[0] || h.session_id === ids[2]),
    );
    expect(rows.map(key).sort()).toEqual(expected.map(key).sort());
  });

  it.each([
    ['start', 'desc'],
    ['bytes', 'asc'],
    ['duration', 'desc'],
  ] as const)('paging by %s %s with the cursor gives every hit once, in order', async (sort, order) => {
    const all = (await search('proto == udp or proto == tcp', { sort, order })).rows;
    const paged: Hit[] = [];
    let after: SearchContext['after'] = null;
    for (let pages = 0; pages < 100; pages++) {
      const { rows } = await search('proto == udp or proto == tcp', { sort, order, limit: 7, after });
      paged.push(...rows);
      if (rows.length < 7) break;
      const last = rows[rows.length - 1];
      const value =
        sort === 'start' ? last.start_timestamp : sort === 'bytes' ? last.total_bytes : last.duration_seconds;
      after = { value, session_id: last.session_id, flow_id: last.flow_id };
    }
    expect(paged.map(key)).toEqual(all.map(key));
    expect(paged.length).toBe(hits.filter((h) => h.protocol === 'UDP' || h.protocol === 'TCP').length);
  });

  it('the count stops at its cap', async () => {
    const { count } = await search('proto == udp', { countCap: 5 });
    expect(count).toBe(5);
  });

  /** The reference's group-by: each flow counted once per distinct key of its sides. */
  function groups(rows: Hit[], keys: (h: Hit) => (string | number)[]) {
    const out = new Map<string, { flows: number; bytes: number; packets: number }>();
    for (const h of rows) {
      for (const k of new Set(keys(h))) {
        const g = out.get(String(k)) ?? { flows: 0, bytes: 0, packets: 0 };
        g.flows++;
        g.bytes += h.total_bytes;
        g.packets += h.packet_count;
        out.set(String(k), g);
      }
    }
    return out;
  }

  it.each([
    [
      'proto == tcp | top 1000 src by bytes',
      (h: Hit) => h.protocol === 'TCP',
      (h: Hit) => [h.src_ip],
      'bytes',
    ],
    ['| top 1000 ip by packets', () => true, (h: Hit) => [h.src_ip, h.dst_ip], 'packets'],
    [
      'proto == udp | top 1000 port',
      (h: Hit) => h.protocol === 'UDP',
      (h: Hit) => [h.src_port, h.dst_port],
      'flows',
    ],
    ['| top 1000 session by bytes', () => true, (h: Hit) => [h.session_id], 'bytes'],
    ['bytes > 100 | top 1000 state', (h: Hit) => h.total_bytes > 100, (h: Hit) => [h.conn_state], 'flows'],
  ] as const)('%s sums as the reference does, largest first', async (expression, filter, keys, metric) => {
    const c = compiled(expression);
    const rows = await db.query<{ key: string | number; flows: number; bytes: number; packets: number }>(
      c.group!.sql,
      c.group!.params,
    );
    const expected = groups(hits.filter(filter), keys);
    expect(
      new Map(rows.map((r) => [String(r.key), { flows: r.flows, bytes: r.bytes, packets: r.packets }])),
    ).toEqual(expected);
    for (let i = 1; i < rows.length; i++) expect(rows[i][metric]).toBeLessThanOrEqual(rows[i - 1][metric]);
  });

  it('`| top 3` keeps the three largest', async () => {
    const c = compiled('| top 3 dst by bytes');
    const rows = await db.query<{ key: string; bytes: number }>(c.group!.sql, c.group!.params);
    const sums = [...groups(hits, (h) => [h.dst_ip]).values()].map((g) => g.bytes).sort((a, b) => b - a);
    expect(rows.map((r) => r.bytes)).toEqual(sums.slice(0, 3));
  });

  it('hostile values run as parameters and match nothing, in every statement', async () => {
    for (const hostile of HOSTILE) {
      for (const expression of [
        `session == ${quote(hostile)}`,
        `session ~ ${quote(hostile)} | top session`,
        `session in (${quote(hostile)}, "x") or not session != ${quote(hostile)}`,
      ]) {
        const c = compiled(expression);
        expect(await db.query(c.page.sql, c.page.params), expression).toEqual([]);
        expect(await db.query(c.count.sql, c.count.params)).toEqual([{ n: 0 }]);
        if (c.group) expect(await db.query(c.group.sql, c.group.params)).toEqual([]);
      }
    }
    // The flows are all still there.
    expect((await search('')).count).toBe(hits.length);
  });

  it.each([
    '^eth-(dns|icmp)',
    '[^a-z0-9_\\-]+$',
    '(?:ab){2,5}x+?',
    '\\d\\.pcap$',
    '^(a{10}){100}$',
    '\\u0065th',
  ])('the accepted regular expression /%s/ runs in the database as in JavaScript', async (re) => {
    const { rows } = await search(`session ~ /${re}/`);
    const expected = hits.filter(
      (h) => new RegExp(re, 'i').test(h.session_name) || new RegExp(re, 'i').test(h.session_id),
    );
    expect(rows.map(key).sort()).toEqual(expected.map(key).sort());
  });

  it("every fixture's SQL runs on the migrated schema (the flows' history columns, the logs' and geography tables)", async () => {
    for (const [input, sql, params] of SQL_ROWS) {
      const rows = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM flows f WHERE ${sql}`,
        params,
      );
      expect(rows, input).toHaveLength(1);
    }
    for (const [input] of SQL_ROWS) {
      const c = compiled(input);
      await db.query(c.page.sql, c.page.params);
      await db.query(c.count.sql, c.count.params);
      if (c.group) await db.query(c.group.sql, c.group.params);
    }
  });
});
