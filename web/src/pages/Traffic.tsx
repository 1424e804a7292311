import { useMemo } from 'react';
import { useApi } from '../api';
import { Chart, type ChartOption } from '../charts/Chart';
import { dot, TOOLTIP_BASE, timeAxis, timeZoom, valueAxis, windowTitle } from '../charts/common';
import { stepData, windowBounds } from '../charts/options';
import { COLORS, HEAT_RAMP } from '../colors';
import { Async, Card, Dot, ShareBar } from '../components/ui';
import { directionPath, distributionsPath } from '../endpoints';
import {
  formatBitRate,
  formatByteRate,
  formatBytes,
  formatBytesAxis,
  formatCount,
  formatCountAxis,
  formatPercent,
  formatTimeRange,
} from '../format';
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

// SPEC §2's buckets with their JSON keys (inclusive upper bounds in bytes; durations in seconds).
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

/** The buckets in SPEC order; keys the table does not know are appended as they come. */
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

function histogramOption(
  rows: { label: string; range: string; count: number }[],
  xName: string,
  unit: string,
  color: string,
): ChartOption {
  const total = rows.reduce((s, r) => s + r.count, 0);
  return {
    grid: { left: 64, right: 16, top: 36, bottom: 62 },
    tooltip: {
      ...TOOLTIP_BASE,
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (ps: { dataIndex: number }[]) => {
        const r = rows[ps[0]?.dataIndex ?? -1];
        if (!r) return '';
        return `<b>${r.range}</b><br>${formatCount(r.count)} ${unit} (${formatPercent(total ? (r.count / total) * 100 : 0)})`;
      },
    },
    xAxis: {
      type: 'category',
      name: xName,
      nameLocation: 'middle',
      nameGap: 40,
      nameTextStyle: { color: COLORS.axis },
      data: rows.map((r) => r.label),
      axisLabel: { color: COLORS.axis, interval: 0, fontSize: 11, lineHeight: 13 },
      axisTick: { alignWithLabel: true },
    },
    yAxis: valueAxis(unit, formatCountAxis),
    series: [
      {
        type: 'bar',
        color,
        barMaxWidth: 56,
        data: rows.map((r) => r.count),
        label: {
          show: true,
          position: 'top',
          color: COLORS.axis,
          fontSize: 11,
          formatter: (p: { value: number }) =>
            p.value ? formatPercent(total ? (p.value / total) * 100 : 0) : '',
        },
      },
    ],
  };
}

function HeatmapCard({ windows, lengthS }: { windows: TrafficWindow[]; lengthS: number }) {
  const model = useMemo(() => {
    if (windows.length === 0) return null;
    const start = windows[0].start_ts;
    const end = windows[windows.length - 1].end_ts ?? windows[windows.length - 1].start_ts + lengthS;
    const layout = heatmapLayout(lengthS, start, end);
    const cells = heatmapCells(layout, windows);
    const max = Math.max(0, ...cells.map((c) => c.bytesPerSec ?? 0));
    // Colour on a log scale: throughput is heavy-tailed, and a linear ramp leaves all but the
    // busiest cells white. Tooltips give the exact figure.
    const heat = (v: number) => Math.log10(1 + v);
    const withDate =
      new Date(start * 1000).toISOString().slice(0, 10) !== new Date(end * 1000).toISOString().slice(0, 10);
    const rowLabels = Array.from({ length: layout.rows }, (_, r) => heatmapRowLabel(layout, r, withDate));
    const colLabels = Array.from({ length: layout.columns }, (_, c) => heatmapColumnLabel(layout, c));
    const rowH = layout.rows <= 3 ? 40 : layout.rows <= 8 ? 30 : layout.rows <= 16 ? 22 : 17;
    const height = layout.rows * rowH + 110;
    const option: ChartOption = {
      grid: { left: withDate ? 96 : 60, right: 16, top: 12, bottom: 76 },
      tooltip: {
        ...TOOLTIP_BASE,
        formatter: (p: { dataIndex: number }) => {
          const c = cells[p.dataIndex];
          if (!c) return '';
          const head = `<b>${formatTimeRange(c.start, c.end, layout.cell < 1 ? 3 : 0)}</b>`;
          if (c.bytesPerSec === null) return `${head}<br>not in the capture`;
          const part =
            c.covered + 1e-9 < layout.cell
              ? `<br>(capture covers ${c.covered.toFixed(c.covered < 10 ? 1 : 0)} s of it)`
              : '';
          return `${head}<br>${formatByteRate(c.bytesPerSec)} · ${formatBitRate(c.bytesPerSec)}<br>${formatBytes(Math.round(c.bytes))} in ${formatCount(c.packets)} packets${part}`;
        },
      },
      xAxis: {
        type: 'category',
        data: colLabels,
        splitArea: { show: false },
        axisLabel: { color: COLORS.axis, hideOverlap: true },
        axisTick: { show: false },
      },
      yAxis: {
        type: 'category',
        data: rowLabels,
        inverse: true,
        axisLabel: { color: COLORS.axis, hideOverlap: true },
        axisTick: { show: false },
      },
      visualMap: {
        type: 'continuous',
        min: 0,
        max: max > 0 ? heat(max) : 1,
        calculable: true,
        orient: 'horizontal',
        left: 'center',
        bottom: 4,
        itemHeight: 240,
        itemWidth: 12,
        inRange: { color: HEAT_RAMP },
        textStyle: { color: COLORS.axis },
        formatter: (v: number) => formatByteRate(10 ** v - 1),
      },
      series: [
        {
          type: 'heatmap',
          data: cells.map((c) => [c.column, c.row, c.bytesPerSec === null ? '-' : heat(c.bytesPerSec)]),
          itemStyle: { borderColor: '#fff', borderWidth: layout.columns > 30 ? 0.5 : 1.5 },
          emphasis: { itemStyle: { borderColor: '#1d2533', borderWidth: 1 } },
          progressive: 0,
        },
      ],
    };
    return { layout, option, height };
  }, [windows, lengthS]);
  if (!model) return null;
  const { layout, option, height } = model;
  return (
    <>
      <p className="card-sub heat-sub">
        Mean bytes per second in each {spanName(layout.cell)} cell (colour on a log scale); one row per{' '}
        {spanName(layout.row)} (UTC), {formatCount(layout.rows)} {layout.rows === 1 ? 'row' : 'rows'} ×{' '}
        {formatCount(layout.columns)}. Empty cells are outside the capture.
      </p>
      <Chart option={option} height={height} ariaLabel="Throughput heatmap" />
    </>
  );
}

const DIRECTIONS = [
  { key: 'inbound', label: 'Inbound', text: 'remote → local', color: COLORS.inbound },
  { key: 'outbound', label: 'Outbound', text: 'local → remote', color: COLORS.outbound },
  { key: 'internal', label: 'Internal', text: 'local → local', color: COLORS.internal },
  { key: 'external', label: 'External', text: 'remote → remote', color: COLORS.external },
] as const;

function DirectionCard({ d }: { d: Direction }) {
  const bytes = (k: string) => d[`${k}_bytes` as keyof Direction] as number;
  const packets = (k: string) => d[`${k}_packets` as keyof Direction] as number;
  const inOut = d.inbound_bytes + d.outbound_bytes;
  const all = DIRECTIONS.reduce((s, x) => s + bytes(x.key), 0);
  const inPct = inOut ? (d.inbound_bytes / inOut) * 100 : 0;
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

function directionOverTime(windows: TrafficWindow[], lengthS: number): ChartOption | null {
  if (windows.length === 0 || windows[0].inbound_bytes === undefined) return null;
  const span = windows[windows.length - 1].start_ts + lengthS - windows[0].start_ts;
  const series = DIRECTIONS.map((x) => ({
    name: x.label,
    type: 'line',
    stack: 'dir',
    step: 'end',
    color: x.color,
    showSymbol: false,
    sampling: 'average',
    areaStyle: { opacity: 0.7 },
    lineStyle: { width: 0.6 },
    data: stepData(
      windows,
      lengthS,
      (w) => ((w[`${x.key}_bytes` as keyof TrafficWindow] as number) ?? 0) / lengthS,
    ),
  }));
  return {
    useUTC: true,
    legend: { top: 4, right: 8, itemWidth: 14, itemHeight: 10 },
    grid: { left: 64, right: 24, top: 40, bottom: 56 },
    tooltip: {
      ...TOOLTIP_BASE,
      trigger: 'axis',
      formatter: (
        ps: { dataIndex: number; seriesName: string; color: string; value: [number, number] }[],
      ) => {
        const w = windows[Math.min(ps[0]?.dataIndex ?? -1, windows.length - 1)];
        if (!w) return '';
        const rows = ps
          .map(
            (p) =>
              `<tr><td>${dot(p.color)}${p.seriesName}</td><td class="tt-num">${formatByteRate(p.value[1])}</td></tr>`,
          )
          .join('');
        return `<b>${windowTitle(w.start_ts, lengthS)}</b><table class="tt">${rows}</table>`;
      },
    },
    xAxis: timeAxis(span, windowBounds(windows, lengthS)),
    yAxis: valueAxis('bytes/s', formatBytesAxis),
    dataZoom: timeZoom(),
    series,
  };
}

export function TrafficPage({ session, summary }: { session: Session; summary: Summary }) {
  const id = session.session_id;
  const dist = useApi<Distributions>(distributionsPath(id));
  const direction = useApi<Direction>(directionPath(id));
  const windows = useWindows(id);
  const lengthS = windows.data?.length_s ?? summary.windows.length_s;
  const sizeOption = useMemo(
    () =>
      dist.data &&
      histogramOption(
        bucketValues(dist.data.packet_size, SIZE_BUCKETS),
        'packet size on the wire (bytes)',
        'packets',
        COLORS.bar,
      ),
    [dist.data],
  );
  const durationOption = useMemo(
    () =>
      dist.data &&
      histogramOption(
        bucketValues(dist.data.flow_duration, DURATION_BUCKETS),
        'flow duration',
        'flows',
        '#7b5cd6',
      ),
    [dist.data],
  );
  const dirTime = useMemo(
    () => windows.data && directionOverTime(windows.data.windows, lengthS),
    [windows.data, lengthS],
  );
  const sum = (r: Record<string, number>) => Object.values(r).reduce((s, v) => s + v, 0);

  return (
    <div className="page traffic">
      <div className="grid grid-1-1">
        <Card title="Packet sizes" subtitle="Packets by length on the wire (frame.len), whole capture">
          <Async state={dist} height={250} empty={(d) => sum(d.packet_size) === 0} emptyText="No packets.">
            {() => sizeOption && <Chart option={sizeOption} height={250} ariaLabel="Packet-size histogram" />}
          </Async>
        </Card>
        <Card title="Flow durations" subtitle="Flows by duration (last − first packet), whole capture">
          <Async state={dist} height={250} empty={(d) => sum(d.flow_duration) === 0} emptyText="No flows.">
            {() =>
              durationOption && (
                <Chart option={durationOption} height={250} ariaLabel="Flow-duration histogram" />
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
          <Chart option={dirTime} height={240} ariaLabel="Traffic direction over time" />
        </Card>
      )}
    </div>
  );
}
