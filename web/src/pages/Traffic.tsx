import { useMemo } from 'react';
import { formatBytes, formatCount, formatPercent } from '../../../src/format/index.js';
import { useApi } from '../api';
import { BarChart } from '../charts/BarChart';
import { HeatmapChart } from '../charts/HeatmapChart';
import { TimeChart } from '../charts/TimeChart';
import { directionSpec } from '../charts/window-charts';
import { COLORS } from '../colors';
import { Async, Card, Dot, ShareBar } from '../components/ui';
import { boundaryNote } from '../direction-note';
import { directionPath, distributionsPath } from '../endpoints';
import { heatmapCells, heatmapColumnLabel, heatmapLayout, heatmapRowLabel, spanName } from '../heatmap';
import type { Direction, Distributions, Session, Summary, TrafficWindow } from '../types';
import { useWindows } from './Overview';

interface Bucket {
  key: string;
  /** Other spellings of the key a server may use. */
  aliases: string[];
  label: string;
  range: string;
}

// The summary's buckets with their JSON keys (inclusive upper bounds in bytes; durations in seconds).
const SIZE_BUCKETS: Bucket[] = [
  { key: '64', aliases: ['0-64', '<=64'], label: '≤64', range: 'up to 64 bytes' },
  { key: '128', aliases: ['65-128'], label: '65–128', range: '65 to 128 bytes' },
  { key: '256', aliases: ['129-256'], label: '129–256', range: '129 to 256 bytes' },
  { key: '512', aliases: ['257-512'], label: '257–512', range: '257 to 512 bytes' },
  { key: '1024', aliases: ['513-1024'], label: '513–1024', range: '513 to 1024 bytes' },
  { key: '1518', aliases: ['1025-1518'], label: '1025–1518', range: '1025 to 1518 bytes' },
  { key: '1519+', aliases: ['>1518', '1519-'], label: '>1518', range: 'over 1518 bytes (jumbo, offloaded)' },
];

const DURATION_BUCKETS: Bucket[] = [
  { key: '0.01', aliases: ['<0.01', '<10ms'], label: '<10\nms', range: 'under 10 ms' },
  { key: '0.1', aliases: ['0.01-0.1'], label: '10–100\nms', range: '10 ms to 100 ms' },
  { key: '1', aliases: ['0.1-1', '<1s'], label: '0.1–1\ns', range: '100 ms to 1 s' },
  { key: '5', aliases: ['1-5'], label: '1–5\ns', range: '1 s to 5 s' },
  { key: '10', aliases: ['5-10'], label: '5–10\ns', range: '5 s to 10 s' },
  { key: '30', aliases: ['10-30'], label: '10–30\ns', range: '10 s to 30 s' },
  { key: '60', aliases: ['30-60'], label: '30–60\ns', range: '30 s to 1 min' },
  { key: '300', aliases: ['60-300'], label: '1–5\nmin', range: '1 min to 5 min' },
  { key: '300+', aliases: ['>=300', '>300'], label: '≥5\nmin', range: '5 min or longer' },
];

/** The buckets in the summary's order; keys the table does not know are appended as they come. */
function bucketValues(dist: Record<string, number>, buckets: Bucket[]) {
  const seen = new Set<string>();
  const out = buckets.map((b) => {
    const k = [b.key, ...b.aliases].find((x) => x in dist);
    if (k !== undefined) seen.add(k);
    return { label: b.label, range: b.range, count: k === undefined ? 0 : dist[k] };
  });
  for (const [k, v] of Object.entries(dist)) if (!seen.has(k)) out.push({ label: k, range: k, count: v });
  return out;
}

function HeatmapCard({ windows, lengthS }: { windows: TrafficWindow[]; lengthS: number }) {
  const model = useMemo(() => {
    if (windows.length === 0) return null;
    const start = windows[0].start_ts;
    const end = windows[windows.length - 1].end_ts ?? windows[windows.length - 1].start_ts + lengthS;
    const layout = heatmapLayout(lengthS, start, end);
    const cells = heatmapCells(layout, windows);
    const withDate =
      new Date(start * 1000).toISOString().slice(0, 10) !== new Date(end * 1000).toISOString().slice(0, 10);
    const rowLabels = Array.from({ length: layout.rows }, (_, r) => heatmapRowLabel(layout, r, withDate));
    const colLabels = Array.from({ length: layout.columns }, (_, c) => heatmapColumnLabel(layout, c));
    const rowH = layout.rows <= 3 ? 40 : layout.rows <= 8 ? 30 : layout.rows <= 16 ? 22 : 17;
    const height = layout.rows * rowH + 70;
    return { layout, cells, rowLabels, colLabels, height, labelWidth: withDate ? 96 : 60 };
  }, [windows, lengthS]);
  if (!model) return null;
  const { layout } = model;
  return (
    <>
      <p className="card-sub heat-sub">
        Mean bytes per second in each {spanName(layout.cell)} cell (colour on a log scale); one row per{' '}
        {spanName(layout.row)} (UTC), {formatCount(layout.rows)} {layout.rows === 1 ? 'row' : 'rows'} ×{' '}
        {formatCount(layout.columns)}. Hatched cells are outside the capture.
      </p>
      <HeatmapChart {...model} />
    </>
  );
}

const DIRECTIONS = [
  { key: 'inbound', label: 'Inbound', text: 'remote → local', color: COLORS.inbound },
  { key: 'outbound', label: 'Outbound', text: 'local → remote', color: COLORS.outbound },
  { key: 'internal', label: 'Internal', text: 'local → local', color: COLORS.internal },
  { key: 'external', label: 'External', text: 'remote → remote', color: COLORS.external },
] as const;

const NOTE_STYLE = {
  background: '#fff6e0',
  border: '1px solid #f0d48a',
  borderRadius: 6,
  padding: '8px 10px',
  margin: '10px 0',
  fontSize: 13,
} as const;

function DirectionCard({ d }: { d: Direction }) {
  const bytes = (k: string) => d[`${k}_bytes` as keyof Direction] as number;
  const packets = (k: string) => d[`${k}_packets` as keyof Direction] as number;
  const inOut = d.inbound_bytes + d.outbound_bytes;
  const all = DIRECTIONS.reduce((s, x) => s + bytes(x.key), 0);
  const inPct = inOut ? (d.inbound_bytes / inOut) * 100 : 0;
  const note = boundaryNote(d);
  return (
    <div data-testid="direction">
      <div className="split-head">
        <div>
          <div className="split-label" style={{ color: COLORS.inbound }}>
            Inbound
          </div>
          <div className="split-value">{formatBytes(d.inbound_bytes)}</div>
          <div className="muted small">{inOut ? formatPercent(inPct) : '—'} of in + out</div>
        </div>
        <div className="right">
          <div className="split-label" style={{ color: COLORS.outbound }}>
            Outbound
          </div>
          <div className="split-value">{formatBytes(d.outbound_bytes)}</div>
          <div className="muted small">{inOut ? formatPercent(100 - inPct) : '—'} of in + out</div>
        </div>
      </div>
      {inOut > 0 ? (
        <div className="splitbar" aria-hidden="true">
          <div style={{ width: `${inPct}%`, background: COLORS.inbound }} />
          <div style={{ width: `${100 - inPct}%`, background: COLORS.outbound }} />
        </div>
      ) : (
        <p className="muted small">
          No traffic crossed the boundary of the local networks: everything was internal or external.
        </p>
      )}
      {note && (
        <div className="direction-note" role="note" data-testid="direction-note" style={NOTE_STYLE}>
          <p style={{ margin: 0, fontWeight: 600 }}>{note}</p>
          <p style={{ margin: '4px 0 0' }}>
            To split the traffic by other networks, analyse the capture again with them: on the Sessions page,
            “More options” → “Local networks” before uploading, or{' '}
            <span className="mono" style={{ whiteSpace: 'nowrap' }}>
              flowlens analyze FILE --local-net CIDR,…
            </span>{' '}
            on the command line.
          </p>
        </div>
      )}
      <table className="table table-compact">
        <thead>
          <tr>
            <th>Direction</th>
            <th className="num">Bytes</th>
            <th className="num">Packets</th>
            <th>Share of IP bytes</th>
          </tr>
        </thead>
        <tbody>
          {DIRECTIONS.map((x) => (
            <tr key={x.key}>
              <td>
                <Dot color={x.color} />
                {x.label}
                <div className="muted small dir-text">{x.text}</div>
              </td>
              <td className="num">{formatBytes(bytes(x.key))}</td>
              <td className="num">{formatCount(packets(x.key))}</td>
              <td className="cell-share">
                <ShareBar pct={all ? (bytes(x.key) / all) * 100 : 0} color={x.color} />
                <span className="share-text">{formatPercent(all ? (bytes(x.key) / all) * 100 : 0)}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small local-nets">
        Local networks: <span className="mono">{d.local_networks.join(', ')}</span>
      </p>
    </div>
  );
}

export function TrafficPage({ session, summary }: { session: Session; summary: Summary }) {
  const id = session.session_id;
  const dist = useApi<Distributions>(distributionsPath(id));
  const direction = useApi<Direction>(directionPath(id));
  const windows = useWindows(id);
  const lengthS = windows.data?.length_s ?? summary.windows.length_s;
  const sizes = useMemo(() => dist.data && bucketValues(dist.data.packet_size, SIZE_BUCKETS), [dist.data]);
  const durations = useMemo(
    () => dist.data && bucketValues(dist.data.flow_duration, DURATION_BUCKETS),
    [dist.data],
  );
  const dirTime = useMemo(
    () => windows.data && directionSpec(windows.data.windows, lengthS),
    [windows.data, lengthS],
  );
  const sum = (r: Record<string, number>) => Object.values(r).reduce((s, v) => s + v, 0);

  return (
    <div className="page traffic">
      <div className="grid grid-1-1">
        <Card title="Packet sizes" subtitle="Packets by length on the wire (frame.len), whole capture">
          <Async state={dist} height={250} empty={(d) => sum(d.packet_size) === 0} emptyText="No packets.">
            {() =>
              sizes && (
                <BarChart
                  rows={sizes}
                  xName="packet size on the wire (bytes)"
                  unit="packets"
                  color={COLORS.bar}
                  height={250}
                  ariaLabel="Packet-size histogram"
                />
              )
            }
          </Async>
        </Card>
        <Card title="Flow durations" subtitle="Flows by duration (last − first packet), whole capture">
          <Async state={dist} height={250} empty={(d) => sum(d.flow_duration) === 0} emptyText="No flows.">
            {() =>
              durations && (
                <BarChart
                  rows={durations}
                  xName="flow duration"
                  unit="flows"
                  color="#7b5cd6"
                  height={250}
                  ariaLabel="Flow-duration histogram"
                />
              )
            }
          </Async>
        </Card>
      </div>
      <div className="grid grid-3-2">
        <Card title="Throughput heatmap">
          <Async
            state={windows}
            height={300}
            empty={(d) => d.windows.length === 0}
            emptyText="No timestamped packets."
          >
            {(d) => <HeatmapCard windows={d.windows} lengthS={d.length_s} />}
          </Async>
        </Card>
        <Card
          title="Inbound vs outbound"
          subtitle="By the session's local networks; non-IP frames have no direction"
        >
          <Async state={direction} height={300}>
            {(d) => <DirectionCard d={d} />}
          </Async>
        </Card>
      </div>
      {dirTime && (
        <Card
          title="Direction over time"
          subtitle={`Bytes per second by direction, per ${lengthS} s window (stacked)`}
        >
          <TimeChart spec={dirTime} height={240} ariaLabel="Traffic direction over time" />
        </Card>
      )}
    </div>
  );
}
