import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arpFrame, dnsQuery, TCP, tcpFrame, udpFrame, writeCapture } from './helpers/packets.js';

// The command as a user runs it: the built `bin/flowlens.js` in a child process.
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = `${ROOT}bin/flowlens.js`;

// Sessions go to a temporary embedded database, never the user's own.
const DATA_HOME = mkdtempSync(join(tmpdir(), 'flowlens-cli-'));
afterAll(() => rmSync(DATA_HOME, { recursive: true, force: true }));

function flowlens(...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0', XDG_DATA_HOME: DATA_HOME };
  delete env.DATABASE_URL;
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  // `npm test` builds first; a lone `vitest` run builds here if needed.
  if (!existsSync(`${ROOT}dist/src/cli/main.js`))
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT });
}, 120_000);

const T = 1_700_000_000;
const frames = [
  {
    sec: T,
    nsec: 0,
    data: tcpFrame('10.0.0.5', '93.184.216.34', { sport: 50000, dport: 443, seq: 1, flags: TCP.SYN }),
  },
  {
    sec: T,
    nsec: 20_000_000,
    data: tcpFrame('93.184.216.34', '10.0.0.5', {
      sport: 443,
      dport: 50000,
      seq: 9,
      ack: 2,
      flags: TCP.SYN | TCP.ACK,
    }),
  },
  { sec: T + 1, nsec: 0, data: udpFrame('10.0.0.5', '10.0.0.1', 53000, 53, dnsQuery(1, 'example.org')) },
  { sec: T + 2, nsec: 500, data: arpFrame() },
];

describe('flowlens analyze', () => {
  const path = writeCapture(frames);

  it('--json prints one summary document with the file, protocols and TCP parts', () => {
    const r = flowlens('analyze', '--no-store', '--json', path);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const s = JSON.parse(r.stdout);
    expect(s.file).toMatchObject({
      path,
      format: 'pcap-ns',
      link_types: [{ id: 1, name: 'EN10MB' }],
      packets: 4,
      bytes: frames.reduce((n, f) => n + f.data.length, 0),
      first_ts: `${T}.000000000`,
      last_ts: `${T + 2}.000000500`,
      duration_s: 2.0000005,
      malformed_packets: 0,
      truncated: false,
      warnings: [],
    });
    expect(s.protocols).toMatchObject({ tcp: 2, udp: 1, icmp: 0, non_ip: 1, ipv4: 3 });
    expect(s.tcp).toMatchObject({ syn: 1, synack: 1, rst: 0, fin: 0, syn_ack_ratio: 1 });
    expect(s.flows).toMatchObject({ count: 2, tcp: 1, udp: 1 });
    expect(s.windows).toMatchObject({ length_s: 1, count: 3 });
  });

  it('a gzip-compressed copy gives the same figures', () => {
    const gz = `${path}.gz`;
    writeFileSync(gz, gzipSync(readFileSync(path)));
    const plain = JSON.parse(flowlens('analyze', '--no-store', '--json', path).stdout);
    const packed = JSON.parse(flowlens('analyze', '--no-store', '--json', gz).stdout);
    expect(packed.file.compression).toBe('gzip');
    expect({ ...packed, file: { ...packed.file, path, compression: null } }).toEqual(plain);
  });

  it('several files give an array of summaries, one per file, in order', () => {
    const other = writeCapture(frames.slice(0, 2));
    const r = flowlens('analyze', '--no-store', '--json', path, other);
    expect(r.code).toBe(0);
    const docs = JSON.parse(r.stdout);
    expect(
      docs.map((d: { file: { path: string; packets: number } }) => [d.file.path, d.file.packets]),
    ).toEqual([
      [path, 4],
      [other, 2],
    ]);
  });

  it('without --json prints a summary for people', () => {
    const r = flowlens('analyze', '--no-store', path);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('packets     4,');
    expect(r.stdout).toContain('443/tcp (HTTPS)');
  });

  it('a truncated capture still succeeds, with a warning line', () => {
    const cut = `${path}.cut`;
    const bytes = readFileSync(path);
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    const r = flowlens('analyze', '--no-store', '--json', cut);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).file).toMatchObject({ packets: 3, truncated: true });
    expect(r.stderr).toMatch(/warning: truncated/);
  });

  it('a missing file or a non-capture exits 1 with one line naming the file', () => {
    for (const bad of ['/nonexistent/capture.pcap', BIN]) {
      const r = flowlens('analyze', '--no-store', bad);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(bad);
    }
  });

  it.each([
    [[], /Usage/],
    [['frobnicate'], /unknown command/],
    [['analyze', '--no-store'], /at least one capture/],
    [['analyze', '--no-store', '--window', 'soon', 'x'], /--window/],
    [['analyze', '--no-store', '--local-net', '10.0.0.0/33', 'x'], /prefix length/],
    [['analyze', '--no-store', '--flow-timeout', 'tcp=-1', 'x'], /--flow-timeout/],
    [['show', 'not-an-id'], /not a session ID/],
    [['export', '00000000-0000-0000-0000-000000000000', '--format', 'xml'], /--flows/],
  ])('bad usage %j exits 2 and says why', (args, message) => {
    const r = flowlens(...(args as string[]));
    expect(r.code).toBe(2);
    expect(`${r.stdout}${r.stderr}`).toMatch(message);
  });

  it('stores a session by default, then lists, shows, exports and deletes it', () => {
    const db = join(DATA_HOME, 'sessions-db');
    const stored = flowlens('analyze', '--db', db, '--name', 'lab', '--json', path);
    expect(stored.code).toBe(0);
    const summary = JSON.parse(stored.stdout);
    expect(summary.session_id).toMatch(/^[0-9a-f-]{36}$/);
    const list = JSON.parse(flowlens('sessions', '--db', db, '--json').stdout);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      session_id: summary.session_id,
      name: 'lab',
      status: 'completed',
      packets: 4,
    });
    expect(JSON.parse(flowlens('show', summary.session_id, '--db', db, '--json').stdout)).toEqual(summary);
    const zeek = flowlens('export', summary.session_id, '--flows', '--format', 'zeek', '--db', db).stdout;
    expect(zeek).toMatch(/^#separator \\x09\n/);
    expect(zeek.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toHaveLength(2);
    const csv = flowlens('export', summary.session_id, '--flows', '--db', db).stdout.trim().split('\n');
    expect(csv).toHaveLength(3);
    expect(csv[0].startsWith('flow_id,window_id,')).toBe(true);
    expect(flowlens('delete', summary.session_id, '--db', db).code).toBe(0);
    expect(JSON.parse(flowlens('sessions', '--db', db, '--json').stdout)).toEqual([]);
    const missing = flowlens('show', summary.session_id, '--db', db);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no session');
  }, 60_000);
});
