import { protocolColor } from '../../colors';

/** A transport's name in its colour (TCP, UDP, ICMP, other), in the port list and the flows table. */
export function ProtoTag({ protocol }: { protocol: string }) {
  return (
    <span className="proto" style={{ borderColor: protocolColor(protocol), color: protocolColor(protocol) }}>
      {protocol.toUpperCase()}
    </span>
  );
}
