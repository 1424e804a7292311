import { useMemo } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { readTalkerDirection, type TalkerDirection, talkersPath } from '../../api/endpoints';
import { useAnomalyScores, useApi, useWindows } from '../../api/hooks';
import type { Session, Summary, Talker, WindowsResponse } from '../../api/types';
import { TimeChart } from '../../charts/TimeChart';
import { protocolMixSpec, scoreSpec, throughputSpec, windowAt } from '../../charts/window-charts';
import { packetsOf } from '../../components/PacketsLink';
import { Async, Card, Empty } from '../../components/ui';
import { pageUrl } from '../../routes';
import { cannotFlagText, modelCannotFlag } from '../anomalies/model-note';
import { CaptureNotes } from './CaptureNotes';
import { Headline } from './Headline';
import { RemoteCard } from './RemoteCard';
import { DirectionSwitch, TALKER_SHARE_NOTE, TalkerList } from './TopTalkers';

export function OverviewPage({ session, summary }: { session: Session; summary: Summary }) {
  const id = session.session_id;
  const windows = useWindows(id);
  const [search, setSearch] = useSearchParams();
  const direction = readTalkerDirection(search);
  const setDirection = (d: TalkerDirection) => {
    const q = new URLSearchParams(search);
    if (d === 'both') q.delete('talkers');
    else q.set('talkers', d);
    setSearch(q, { replace: true });
  };
  const talkers = useApi<{ talkers: Talker[] }>(talkersPath(id, direction));
  const anomalies = useAnomalyScores(id);
  const navigate = useNavigate();
  const lengthS = windows.data?.length_s ?? summary.windows.length_s;

  const mix = useMemo(
    () => windows.data && protocolMixSpec(windows.data.windows, lengthS),
    [windows.data, lengthS],
  );
  const through = useMemo(
    () => windows.data && throughputSpec(windows.data.windows, lengthS),
    [windows.data, lengthS],
  );
  const score = useMemo(
    () => anomalies.data && scoreSpec(anomalies.data.anomalies, anomalies.data.threshold, lengthS),
    [anomalies.data, lengthS],
  );
  const noWindows = (d: WindowsResponse) => d.windows.length === 0;

  return (
    <div className="page overview">
      <CaptureNotes summary={summary} />
      <Headline session={session} summary={summary} />
      <div className="grid grid-2-1">
        <Card
          title="Protocol mix over time"
          subtitle={`Packets per ${lengthS} s window by transport (the effective packet's first transport header)`}
        >
          <Async
            state={windows}
            height={300}
            empty={noWindows}
            emptyText="The capture has no timestamped packets."
          >
            {() =>
              mix && <TimeChart spec={mix} height={300} syncKey={id} ariaLabel="Protocol mix over time" />
            }
          </Async>
        </Card>
        <Card
          title="Top talkers"
          actions={<DirectionSwitch value={direction} onChange={setDirection} />}
          className="talkers-card"
        >
          <p className="card-sub talkers-note">{TALKER_SHARE_NOTE[direction]}</p>
          <Async
            state={talkers}
            height={250}
            empty={(d) => d.talkers.length === 0}
            emptyText="No IP addresses in this capture."
          >
            {(d) => (
              <TalkerList
                sessionId={id}
                talkers={d.talkers}
                direction={direction}
                packets={packetsOf(session)}
              />
            )}
          </Async>
        </Card>
      </div>
      <div className="grid grid-1-1">
        <Card
          title="Throughput"
          subtitle={`Bytes per second and packets per second, per ${lengthS} s window`}
        >
          <Async state={windows} height={230} empty={noWindows} emptyText="No windows.">
            {() =>
              through && (
                <TimeChart spec={through} height={230} syncKey={id} ariaLabel="Throughput over time" />
              )
            }
          </Async>
        </Card>
        <Card
          title="Anomaly score"
          subtitle="Per window, 0–1; red: anomalous. Click a window to see why."
          actions={
            <Link to={pageUrl('anomalies', id)} className="btn btn-small">
              Anomalies
            </Link>
          }
        >
          {anomalies.data && modelCannotFlag(anomalies.data) && (
            <p className="card-note" data-testid="cannot-flag">
              {cannotFlagText(anomalies.data)}
            </p>
          )}
          <Async
            state={anomalies}
            height={230}
            empty={(d) => d.anomalies.length === 0}
            emptyText="No windows scored."
          >
            {(d) =>
              score ? (
                <TimeChart
                  spec={score}
                  height={230}
                  syncKey={id}
                  ariaLabel="Anomaly score per window"
                  onPlotClick={(sec) => {
                    const a = windowAt(d.anomalies, lengthS, sec);
                    if (a) navigate(pageUrl('anomalies', id, { window: String(a.window_id) }));
                  }}
                />
              ) : (
                <Empty>—</Empty>
              )
            }
          </Async>
        </Card>
      </div>
      <RemoteCard sessionId={id} />
    </div>
  );
}
