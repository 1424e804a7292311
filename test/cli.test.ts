import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  arpFrame,
  dnsQuery,
  ethernet,
  ipv4,
  TCP,
  tcpFrame,
  udpFrame,
  writeCapture,
} from './helpers/packets.js';

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
    [['analyze', '--no-store', '--threads', '0', 'x'], /--threads takes a whole number from 1 to 64/],
    [['analyze', '--no-store', '--threads', 'many', 'x'], /--threads takes a whole number/],
    [['show', 'not-an-id'], /not a session ID/],
    [['export', '00000000-0000-0000-0000-000000000000', '--format', 'xml'], /--flows/],
    [['sessions', '--db', 'mysql://app@db.example/x'], /neither a folder nor a postgres:\/\/ URL/],
    [['sessions', '--db', 'postgress://flowlens@127.0.0.1/x'], /neither a folder nor a postgres:\/\/ URL/],
    [['export', '00000000-0000-0000-0000-000000000000', '--flows', '--format'], /argument missing/],
  ])('bad usage %j exits 2 and says why in one line', (args, message) => {
    const r = flowlens(...(args as string[]));
    expect(r.code).toBe(2);
    expect(`${r.stdout}${r.stderr}`).toMatch(message);
    if (args.length > 0) expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a URL of another kind than postgres:// never becomes an embedded database folder', () => {
    flowlens('sessions', '--db', 'mysql://app@db.example/x');
    expect(existsSync('mysql:')).toBe(false);
    expect(existsSync(join(ROOT, 'mysql:'))).toBe(false);
  });

  it.each(['analyze', 'sessions', 'show', 'export', 'search', 'delete', 'serve', 'demo'])(
    "'%s --help' prints that command's usage and exits 0",
    (command) => {
      const r = flowlens(command, '--help');
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout.startsWith(`Usage: flowlens ${command}`)).toBe(true);
      expect(r.stdout).toContain('--db');
      // Its own part only: no other command's line.
      const others = [
        'analyze FILE',
        'sessions [--json]',
        'show ID',
        'export ID',
        'search EXPR',
        'delete ID',
        'demo [--seed',
      ];
      expect(others.filter((o) => r.stdout.includes(o) && !o.startsWith(command))).toEqual([]);
    },
  );

  it('a PostgreSQL URL without the password the server asks for is refused in one line, not a hang', (ctx) => {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) {
      console.warn('skipped: password-less PostgreSQL URL (TEST_DATABASE_URL not set)');
      return ctx.skip();
    }
    const bare = new URL(url);
    bare.password = '';
    const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0', XDG_DATA_HOME: DATA_HOME };
    delete env.PGPASSWORD;
    delete env.DATABASE_URL;
    const r = spawnSync(process.execPath, [BIN, 'sessions', '--db', bare.href], {
      encoding: 'utf8',
      env,
      timeout: 30_000,
    });
    expect(r.signal).toBeNull();
    if (r.status === 0) {
      console.warn('skipped: password-less PostgreSQL URL (this server does not ask for a password)');
      return ctx.skip();
    }
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot connect to .*: the server asks for a password and none was given/);
  }, 40_000);

  it('a folder of other files is not made into a database', () => {
    const folder = join(DATA_HOME, 'documents');
    mkdirSync(folder);
    writeFileSync(join(folder, 'notes.txt'), 'mine');
    const r = flowlens('sessions', '--db', folder);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(
      `cannot open the database in ${folder}: the folder holds other files and no database`,
    );
    expect(readdirSync(folder)).toEqual(['notes.txt']);
  });

  it('a database path that is a file is refused in one line', () => {
    const file = join(DATA_HOME, 'not-a-folder');
    writeFileSync(file, 'x');
    const r = flowlens('sessions', '--db', file);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`flowlens: cannot open the database in ${file}: it is a file, not a folder`);
  });

  it('a folder or a missing file given to analyze is refused before any session is stored', () => {
    const db = join(DATA_HOME, 'not-files-db');
    for (const [bad, why] of [
      [DATA_HOME, 'is a folder, not a capture file'],
      [join(DATA_HOME, 'missing.pcap'), 'no such file'],
    ]) {
      const r = flowlens('analyze', '--db', db, bad);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`flowlens: ${bad}: ${why}`);
    }
    expect(JSON.parse(flowlens('sessions', '--db', db, '--json').stdout)).toEqual([]);
  }, 60_000);

  it('export of a failed session says so and writes nothing on stdout', () => {
    const db = join(DATA_HOME, 'failed-db');
    const bad = join(DATA_HOME, 'not-a-capture.pcap');
    writeFileSync(bad, Buffer.from('this is plain text, not a capture\n'.repeat(4)));
    expect(flowlens('analyze', '--db', db, bad).code).toBe(1);
    const [failed] = JSON.parse(flowlens('sessions', '--db', db, '--json').stdout);
    expect(failed.status).toBe('failed');
    const r = flowlens('export', failed.session_id, '--flows', '--db', db);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^flowlens: session ${failed.session_id} is failed: `));
  }, 60_000);

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
    // A session ID pasted in capitals is the same session.
    expect(flowlens('show', summary.session_id.toUpperCase(), '--db', db, '--json').code).toBe(0);
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

describe('flowlens export --format zeek', () => {
  // A TCP handshake, a lone DNS query and a GRE packet (IP protocol 47, neither TCP, UDP nor ICMP).
  const path = writeCapture(
    [
      ...frames.slice(0, 3),
      { sec: T + 3, nsec: 0, data: ethernet(0x0800, ipv4('10.0.0.5', '10.9.9.9', 47, new Uint8Array(8))) },
    ],
    'zeek.pcap',
  );

  it("writes Zeek's conn.log conventions: C uids unique per session, transport_proto values, unset zero durations", () => {
    const db = join(DATA_HOME, 'zeek-db');
    const ids = [1, 2].map((n) => {
      const r = flowlens('analyze', '--db', db, '--json', '--name', `z${n}`, path);
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout).session_id as string;
    });
    const logs = ids.map((id) => flowlens('export', id, '--flows', '--format', 'zeek', '--db', db).stdout);
    const header = logs[0].split('\n');
    const fields = header
      .find((l) => l.startsWith('#fields'))!
      .split('\t')
      .slice(1);
    const rows = logs.map((log) =>
      log
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#'))
        .map((l) => Object.fromEntries(l.split('\t').map((v, i) => [fields[i], v]))),
    );
    expect(rows[0]).toHaveLength(3);
    const byProto = Object.fromEntries(rows[0].map((r) => [r.proto, r]));
    expect(Object.keys(byProto).sort()).toEqual(['tcp', 'udp', 'unknown_transport']);
    expect(byProto.tcp.duration).toBe('0.020000');
    expect(byProto.udp.duration).toBe('-');
    expect(byProto.udp.service).toBe('dns');
    expect(byProto.unknown_transport['id.resp_h']).toBe('10.9.9.9');
    // By the default local networks (10.0.0.0/8 is one, 93.184.216.34 is in none).
    expect([byProto.tcp.local_orig, byProto.tcp.local_resp]).toEqual(['T', 'F']);
    expect([byProto.udp.local_orig, byProto.udp.local_resp]).toEqual(['T', 'T']);
    for (const r of rows.flat()) expect(r.uid).toMatch(/^C[0-9a-f]{8}f\d+$/);
    const uids = rows.flat().map((r) => r.uid);
    expect(new Set(uids).size).toBe(uids.length);
  }, 60_000);
});
