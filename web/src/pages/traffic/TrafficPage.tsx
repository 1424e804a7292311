import { useMemo } from 'react';
import { directionPath, distributionsPath } from '../../api/endpoints';
import { useApi, useWindows } from '../../api/hooks';
import type { Direction, Distributions, Session, Summary } from '../../api/types';
import { BarChart } from '../../charts/BarChart';
import { TimeChart } from '../../charts/TimeChart';
import { directionSpec } from '../../charts/window-charts';
import { COLORS } from '../../colors';
import { Async, Card } from '../../components/ui';
import { DirectionCard } from './DirectionCard';
import { HeatmapCard } from './HeatmapCard';
import { bucketValues, DURATION_BUCKETS, SIZE_BUCKETS } from './histograms';

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
