import type { DemoRecord } from './demo.js';

/**
 * The demo scenario as the tyk-pump CSV pump (≥ 1.16) writes it: the 42-column header, then one
 * row per record through Go's encoding/csv (quoted only when a cell holds a comma, a quote or a
 * line break, or starts with a space). Per record it keeps the time (`TimeStamp` in Go's
 * `time.Time.String()` layout, nanoseconds), the client IP as logged (`::ffff:` forms included),
 * the method, the client's path (`OriginalPath` = Tyk `original_path`, evasion spellings included,
 * with `RawPath` and `ListenPath`), the status, the key hash (`APIKey`) and the alias.
 */

export const HEADER = [
  'Method', 'Host', 'Path', 'RawPath', 'ContentLength', 'UserAgent', 'Day', 'Month', 'Year', 'Hour', 'ResponseCode', 'APIKey',
  'TimeStamp', 'APIVersion', 'APIName', 'APIID', 'OrgID', 'OauthID', 'RequestTime', 'RawRequest', 'RawResponse', 'IPAddress',
  'GeoData.Country.ISOCode', 'GeoData.City.GeoNameID', 'GeoData.City.Names', 'GeoData.Location.Latitude', 'GeoData.Location.Longitude',
  'GeoData.Location.TimeZone', 'NetworkStats.OpenConnections', 'NetworkStats.ClosedConnection', 'NetworkStats.BytesIn',
  'NetworkStats.BytesOut', 'Latency.Total', 'Latency.Upstream', 'Latency.Gateway', 'Tags', 'Alias', 'TrackPath', 'ExpireAt',
  'ApiSchema', 'OriginalPath', 'ListenPath',
];

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** Go's time.Time.String() of a UTC RFC 3339 time: `2026-11-19 00:02:02.620015776 +0000 UTC`, trailing fraction zeros dropped. */
export function goString(ts: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(ts)!;
  const frac = (m[3] ?? '').replace(/0+$/, '');
  return `${m[1]} ${m[2]}${frac ? `.${frac}` : ''} +0000 UTC`;
}

/** Go encoding/csv: quote a cell holding the separator, a quote or a line break, or starting with a space. */
export function goCsvCell(value: string | number): string {
  const s = String(value);
  return /[",\r\n]/.test(s) || /^\s/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function render(records: DemoRecord[]): string {
  const rows = records.map((r) => {
    const upstream = r.response_code === 401 || r.response_code === 429 ? 0 : Math.max(0, r.request_time - 1);
    const expire = new Date(Date.parse(r.timestamp.slice(0, 19) + 'Z') + 7 * 86_400_000).toISOString().slice(0, 19) + r.timestamp.slice(19);
    const cells: Record<string, string | number> = {
      Method: r.method, Host: r.host, Path: r.raw_path, RawPath: r.raw_path, ContentLength: 0, UserAgent: r.user_agent,
      Day: Number(r.timestamp.slice(8, 10)), Month: MONTHS[Number(r.timestamp.slice(5, 7)) - 1]!, Year: Number(r.timestamp.slice(0, 4)),
      Hour: Number(r.timestamp.slice(11, 13)), ResponseCode: r.response_code, APIKey: r.api_key, TimeStamp: goString(r.timestamp),
      APIVersion: 'Non Versioned', APIName: r.api_name, APIID: r.api_id, OrgID: r.org_id, OauthID: '', RequestTime: r.request_time,
      RawRequest: '', RawResponse: '', IPAddress: r.ip_address,
      'GeoData.Country.ISOCode': '', 'GeoData.City.GeoNameID': 0, 'GeoData.City.Names': '', 'GeoData.Location.Latitude': 0,
      'GeoData.Location.Longitude': 0, 'GeoData.Location.TimeZone': '',
      'NetworkStats.OpenConnections': 0, 'NetworkStats.ClosedConnection': 0, 'NetworkStats.BytesIn': 0, 'NetworkStats.BytesOut': 0,
      'Latency.Total': r.request_time, 'Latency.Upstream': upstream, 'Latency.Gateway': r.request_time - upstream,
      Tags: `key-${r.api_key};org-${r.org_id};api-${r.api_id}`, Alias: r.alias, TrackPath: 'false', ExpireAt: goString(expire),
      ApiSchema: '', OriginalPath: r.original_path, ListenPath: r.listen_path,
    };
    return HEADER.map((h) => goCsvCell(cells[h]!)).join(',');
  });
  return [HEADER.join(','), ...rows].join('\n').concat('\n');
}
