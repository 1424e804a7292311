// The country and network (AS) of a remote address, from the data the server ships
// (@ip-location-db: country CC0, AS data CC BY 4.0 by RouteViews, DB-IP and the NRO).

export interface GeoFields {
  country: string | null;
  asn: number | null;
  as_name: string | null;
}

const regions =
  typeof Intl !== 'undefined' && 'DisplayNames' in Intl
    ? new Intl.DisplayNames(['en'], { type: 'region' })
    : null;

/** "Netherlands" for "NL" (the code itself if the browser cannot name it). */
export function countryName(code: string): string {
  try {
    return regions?.of(code) ?? code;
  } catch {
    return code;
  }
}

/**
 * One line: "US AS15169 Google LLC" (compact: the country code alone, where a row has no room to
 * grow), the whole in its title; nothing for a local address or one the data lacks.
 */
export function GeoTag({ geo, compact = false }: { geo: GeoFields; compact?: boolean }) {
  if (geo.country === null && geo.asn === null) return null;
  const parts = [
    geo.country === null ? null : countryName(geo.country),
    geo.asn === null ? null : `AS${geo.asn}${geo.as_name ? ` ${geo.as_name}` : ''}`,
  ].filter((p): p is string => p !== null);
  const text = parts.join(' · ');
  if (compact)
    return (
      <span className="geo-tag geo-compact" title={text}>
        {geo.country ?? `AS${geo.asn}`}
      </span>
    );
  return (
    <span className="geo-tag" title={text}>
      {geo.country && <span className="geo-cc">{geo.country}</span>}
      {geo.asn !== null && <span className="geo-as">AS{geo.asn}</span>}
      {geo.as_name && <span className="geo-name">{geo.as_name}</span>}
    </span>
  );
}

/** Attribution the AS data's licence asks for on every page that shows it. */
export function GeoAttribution() {
  return (
    <span className="geo-attribution">
      Country data{' '}
      <a href="https://github.com/sapics/ip-location-db" target="_blank" rel="noreferrer">
        ip-location-db
      </a>{' '}
      (CC0); AS data by{' '}
      <a href="https://www.routeviews.org/" target="_blank" rel="noreferrer">
        RouteViews
      </a>
      ,{' '}
      <a href="https://db-ip.com" target="_blank" rel="noreferrer">
        IP Geolocation by DB-IP
      </a>{' '}
      and the{' '}
      <a href="https://www.nro.net/" target="_blank" rel="noreferrer">
        NRO
      </a>{' '}
      (CC BY 4.0).
    </span>
  );
}
