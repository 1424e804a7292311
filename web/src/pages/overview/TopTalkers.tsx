import { Link } from 'react-router';
import { formatBytes, formatCount, formatPercent } from '../../../../src/format/index.js';
import { TALKER_DIRECTIONS, type TalkerDirection } from '../../api/endpoints';
import type { Talker } from '../../api/types';
import { GeoTag } from '../../components/geo';
import { type PacketsAvailability, PacketsLink } from '../../components/PacketsLink';
import { ShareBar } from '../../components/ui';
import { pageUrl } from '../../routes';

// The top talkers card's parts: the direction switch, what a share means in each direction, and
// the list with each address linked to its flows.

/** An address with a line-break opportunity after each colon: a long IPv6 address wraps whole. */
function BreakableAddress({ ip }: { ip: string }) {
  const parts = ip.split(':');
  return (
    <>
      {parts.map((part, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one address, in order
        <span key={i}>
          {part}
          {i < parts.length - 1 && (
            <>
              :<wbr />
            </>
          )}
        </span>
      ))}
    </>
  );
}

const DIRECTION_LABEL: Record<TalkerDirection, string> = {
  both: 'Both',
  sent: 'Sent',
  received: 'Received',
};

/** What a talker's share means in each direction (bytes in that direction / all bytes). */
export const TALKER_SHARE_NOTE: Record<TalkerDirection, string> = {
  both: "Bytes sent + received, as tshark's endpoints count them: a packet counts for its sender and its receiver, so the shares of all bytes add up to 200% (an address talking to itself can pass 100%).",
  sent: 'Bytes each address sent (as the source); share of all bytes in the capture.',
  received: 'Bytes each address received (as the destination); share of all bytes in the capture.',
};

export function DirectionSwitch({
  value,
  onChange,
}: {
  value: TalkerDirection;
  onChange: (d: TalkerDirection) => void;
}) {
  return (
    <fieldset className="segmented" aria-label="Talkers by direction">
      {TALKER_DIRECTIONS.map((d) => (
        <button
          key={d}
          type="button"
          className={`segmented-item${d === value ? ' active' : ''}`}
          aria-pressed={d === value}
          onClick={() => onChange(d)}
        >
          {DIRECTION_LABEL[d]}
        </button>
      ))}
    </fieldset>
  );
}

export function TalkerList({
  sessionId,
  talkers,
  direction,
  packets,
}: {
  sessionId: string;
  /** Whether the session's packets can be downloaded: each talker gets a Packets button. */
  packets?: PacketsAvailability;
  talkers: Talker[];
  direction: TalkerDirection;
}) {
  const max = Math.max(...talkers.map((t) => t.share), 1e-9);
  const verb = direction === 'sent' ? 'sent' : direction === 'received' ? 'received' : 'sent + received';
  return (
    <div className={packets ? 'talkers with-pcap' : 'talkers'}>
      <div className="talkers-head" aria-hidden="true">
        <span />
        <span>Address</span>
        <span />
        <span className="right">Bytes</span>
        <span className="right">Packets</span>
        <span className="right">Share</span>
        {packets && <span />}
      </div>
      <ol className="barlist" data-testid="top-talkers">
        {talkers.map((t, i) => (
          <li
            key={t.ip}
            title={`${t.ip}: ${formatCount(t.bytes)} bytes in ${formatCount(t.packets)} packets ${verb}`}
          >
            <span className="barlist-rank">{t.rank ?? i + 1}</span>
            <span className="barlist-label-cell">
              <Link
                className="barlist-label mono"
                to={pageUrl('protocols', sessionId, { ip: t.ip })}
                title={`${t.ip}: list its flows`}
              >
                <BreakableAddress ip={t.ip} />
              </Link>
              <GeoTag
                compact
                geo={{ country: t.country ?? null, asn: t.asn ?? null, as_name: t.as_name ?? null }}
              />
            </span>
            <span className="barlist-bar">
              <ShareBar pct={(t.share / max) * 100} />
            </span>
            <span className="barlist-value">{formatBytes(t.bytes)}</span>
            <span className="barlist-packets">
              {formatCount(t.packets)}
              <span className="barlist-unit"> {t.packets === 1 ? 'packet' : 'packets'}</span>
            </span>
            <span className="barlist-share">{formatPercent(t.share)}</span>
            {packets && (
              <span className="barlist-pcap">
                <PacketsLink
                  sessionId={sessionId}
                  packets={packets}
                  query={{ host: t.ip }}
                  what={`every packet to or from ${t.ip}`}
                  compact
                />
              </span>
            )}
          </li>
        ))}
      </ol>
    </div>
  );
}
