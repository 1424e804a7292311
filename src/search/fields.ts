import { CONN_STATES } from '../analysis/conn-states.js';
import { protocolName } from '../analysis/flow-stage.js';

/**
 * What a field's values are, which decides the operators it takes and how its values are read:
 * - address: an IPv4/IPv6 address or network (`10.0.0.1`, `10.0.0.0/8`, `2001:db8::/32`);
 * - port: a whole number from 0 to 65535;
 * - number: a whole number, with SI multipliers (`1.5k` = 1,500, `2M`, `1G`, `1T`);
 * - duration: seconds, or with a unit (`500ms`, `1.5s`, `5m`, `2h`, `1d`);
 * - time: ISO 8601 (`2024-05-01T12:00:00Z`), relative to now (`-24h`), or epoch seconds;
 * - text: a string, matched exactly, by glob (`"*.example.com"`) or by regular expression (`/^www/`);
 * - enum: one of a fixed set of words (`tcp`, `SF`);
 * - service: a service name from the IANA registry (`https`, `dns`), matched on the responder's port.
 */
export type FieldType = 'address' | 'port' | 'number' | 'duration' | 'time' | 'text' | 'enum' | 'service';

export interface FieldSpec {
  /** As typed in an expression (always lower case; field names are read case-insensitively). */
  name: string;
  type: FieldType;
  /**
   * The SQL columns or expressions it reads: one, or two for a field that matches either side of
   * the flow (`ip`, `port`): a comparison holds when it holds for any of them. Over `flows f`, or
   * over `t` when the field lives in another table (see `table`).
   */
  columns: readonly string[];
  /** Whether a column can be NULL (a comparison with NULL is false, and `not` must say so in SQL). */
  nullable: boolean;
  /**
   * A field kept in another table (a log, the sessions): its comparisons become
   * `EXISTS (SELECT 1 FROM <from> WHERE <on> AND …)`, so a flow matches once whatever number of
   * rows it has there. `from` names the table with the alias `t`; `on` ties `t` to the flow `f`.
   */
  table?: { from: string; on: string };
  /** Text compared without regard to case (names a person types): both sides go through lower(). */
  caseless?: boolean;
  /** Enum fields: the stored value for what the user typed (case-insensitive), or null. */
  enumValue?: (word: string) => string | null;
  /** Enum fields: the values to list in an error and the documentation. */
  enumValues?: readonly string[];
  /**
   * The SQL keys of `| top FIELD`: one per side, a flow counting once for each distinct value.
   * Absent for a field that cannot be grouped by (numbers, times, durations, services).
   */
  group?: readonly string[];
  /** One line for the documentation and for tools that list the fields. */
  about: string;
}

const PROTOCOL_WORDS: Record<string, string> = { tcp: 'TCP', udp: 'UDP', icmp: 'ICMP', icmpv6: 'ICMPv6' };

/** `tcp`, `udp`, `icmp`, `icmpv6` (any case), or an IP protocol number (`47` is stored as `IP-47`). */
function protocolValue(word: string): string | null {
  const named = PROTOCOL_WORDS[word.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^\d{1,3}$/.test(word) || Number(word) > 255) return null;
  return protocolName(Number(word));
}

function connStateValue(word: string): string | null {
  const upper = word.toUpperCase();
  return (CONN_STATES as readonly string[]).includes(upper) ? upper : null;
}

/**
 * Every field an expression can name. A field that needs a table or a column that does not exist
 * yet stays out until it does, so that naming it gives the ordinary "unknown field" error. A log
 * field is one row, e.g. once `dns_log` exists:
 *
 *   { name: 'dns.query', type: 'text', columns: ['t.query'], nullable: true, caseless: true,
 *     table: { from: 'dns_log t', on: 't.session_id = f.session_id AND t.flow_id = f.flow_id' }, about: … }
 */
export const FIELDS: readonly FieldSpec[] = [
  {
    name: 'src',
    type: 'address',
    columns: ['f.src_ip'],
    nullable: false,
    group: ['f.src_ip'],
    about: "the initiator's address (the sender of the first SYN, else of the first packet)",
  },
  {
    name: 'dst',
    type: 'address',
    columns: ['f.dst_ip'],
    nullable: false,
    group: ['f.dst_ip'],
    about: "the responder's address",
  },
  {
    name: 'ip',
    type: 'address',
    columns: ['f.src_ip', 'f.dst_ip'],
    nullable: false,
    group: ['f.src_ip', 'f.dst_ip'],
    about: 'either address',
  },
  {
    name: 'port',
    type: 'port',
    columns: ['f.src_port', 'f.dst_port'],
    nullable: true,
    group: ['f.src_port', 'f.dst_port'],
    about: 'either port',
  },
  {
    name: 'src_port',
    type: 'port',
    columns: ['f.src_port'],
    nullable: true,
    group: ['f.src_port'],
    about: "the initiator's port",
  },
  {
    name: 'dst_port',
    type: 'port',
    columns: ['f.dst_port'],
    nullable: true,
    group: ['f.dst_port'],
    about: "the responder's port",
  },
  {
    name: 'service',
    type: 'service',
    columns: ['f.dst_port'],
    nullable: true,
    about: "the responder's TCP or UDP port, by its IANA service name (https, domain or dns, ssh …)",
  },
  {
    name: 'proto',
    type: 'enum',
    columns: ['f.protocol'],
    nullable: false,
    enumValue: protocolValue,
    enumValues: ['tcp', 'udp', 'icmp', 'icmpv6', '0 to 255'],
    group: ['f.protocol'],
    about: 'the transport: tcp, udp, icmp, icmpv6, or an IP protocol number',
  },
  {
    name: 'bytes',
    type: 'number',
    columns: ['f.total_bytes'],
    nullable: false,
    about: 'bytes on the wire, both directions',
  },
  {
    name: 'packets',
    type: 'number',
    columns: ['f.packet_count'],
    nullable: false,
    about: 'packets, both directions',
  },
  {
    name: 'orig_bytes',
    type: 'number',
    columns: ['f.orig_bytes'],
    nullable: true,
    about: "the initiator's payload bytes by sequence space, as Zeek counts them",
  },
  {
    name: 'resp_bytes',
    type: 'number',
    columns: ['f.resp_bytes'],
    nullable: true,
    about: "the responder's payload bytes by sequence space, as Zeek counts them",
  },
  {
    name: 'duration',
    type: 'duration',
    columns: ['f.duration_seconds'],
    nullable: false,
    about: 'last packet minus first, in seconds',
  },
  {
    name: 'state',
    type: 'enum',
    columns: ['f.conn_state'],
    nullable: false,
    enumValue: connStateValue,
    enumValues: CONN_STATES,
    group: ['f.conn_state'],
    about: "Zeek's connection state (S0, SF, REJ …)",
  },
  {
    name: 'history',
    type: 'text',
    columns: ['f.history'],
    nullable: true,
    group: ['f.history'],
    about: "Zeek's history letters (ShADadFf …; upper case from the initiator), case-sensitive",
  },
  {
    name: 'retrans',
    type: 'number',
    columns: ['f.retransmissions'],
    nullable: false,
    about: 'retransmitted TCP segments',
  },
  {
    name: 'start',
    type: 'time',
    columns: ['f.start_timestamp'],
    nullable: false,
    about: "the flow's first packet (capture time)",
  },
  {
    name: 'end',
    type: 'time',
    columns: ['f.end_timestamp'],
    nullable: false,
    about: "the flow's last packet (capture time)",
  },
  {
    name: 'community_id',
    type: 'text',
    columns: ['f.community_id'],
    nullable: true,
    group: ['f.community_id'],
    about: 'the Community ID flow hash (1:…), as Zeek, Suricata and Arkime write it',
  },
  {
    name: 'session',
    type: 'text',
    columns: ['t.session_id', 't.name'],
    nullable: false,
    caseless: true,
    table: { from: 'pcap_sessions t', on: 't.session_id = f.session_id' },
    group: ['f.session_id'],
    about: "the session's id or its name",
  },
  {
    name: 'country',
    type: 'text',
    columns: ['t.country'],
    nullable: true,
    caseless: true,
    table: {
      from: 'host_geo t',
      on: 't.session_id = f.session_id AND (t.address = f.src_ip OR t.address = f.dst_ip)',
    },
    about:
      "either side's country (ISO 3166 two-letter code) from the shipped data; local addresses have none",
  },
  {
    name: 'asn',
    type: 'number',
    columns: ['t.asn'],
    nullable: true,
    table: {
      from: 'host_geo t',
      on: 't.session_id = f.session_id AND (t.address = f.src_ip OR t.address = f.dst_ip)',
    },
    about: "either side's autonomous system number from the shipped data; local addresses have none",
  },
  {
    name: 'flow',
    type: 'number',
    columns: ['f.flow_id'],
    nullable: false,
    about: "the flow's id within its session (as the dashboard and the exports show it)",
  },
];

/** The fields by name, for the parser. */
export type FieldRegistry = ReadonlyMap<string, FieldSpec>;

export function fieldRegistry(fields: readonly FieldSpec[] = FIELDS): FieldRegistry {
  return new Map(fields.map((f) => [f.name, f]));
}

export const DEFAULT_REGISTRY: FieldRegistry = fieldRegistry();

/** Edit distance (insertions, deletions, substitutions, swaps of neighbours), for "did you mean". */
function distance(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    d.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        d[0].push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2][j - 2] + 1);
      d[i].push(v);
    }
  }
  return d[a.length][b.length];
}

/** The `count` names nearest to `word` (edit distance, then alphabetical). */
export function nearestNames(word: string, names: Iterable<string>, count = 3): string[] {
  const w = word.toLowerCase();
  return [...names]
    .map((name) => ({ name, d: distance(w, name) }))
    .sort((x, y) => x.d - y.d || (x.name < y.name ? -1 : 1))
    .slice(0, count)
    .map((x) => x.name);
}
