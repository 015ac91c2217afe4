import type { DemoRecord } from './demo.js';

/**
 * The demo scenario as Tyk Gateway 5.14+ access-log text lines (logrus TextFormatter): `time` and
 * `level` first, the other keys sorted, values quoted (Go `%q`) only when they hold characters
 * outside `A-Za-z0-9-._/@^+`, and `prefix=access-log`. Per record it keeps the client IP as logged
 * (`client_ip`, `::ffff:` forms included; `remote_addr` with a port), the method, the client's path
 * (`original_path`, evasion spellings included; `path` is the stripped one), the status and the
 * key hash (`api_key`, hash_keys on). The access log has no alias.
 *
 * One deviation from Tyk: `time` is written with milliseconds (`2026-11-19T00:02:02.620Z`) where
 * Tyk writes whole seconds, so that the rate checks see the same instants as the Tyk original.
 */

export function logfmtValue(value: string | number): string {
  const s = String(value);
  return /^[A-Za-z0-9\-._/@^+]*$/.test(s) ? s : JSON.stringify(s);
}

/** `2026-11-19T00:02:02.620015776Z` → `2026-11-19T00:02:02.620Z` (truncated, as Tyk's reader does). */
export function msTime(ts: string): string {
  const m = /^(.{19})(?:\.(\d+))?Z$/.exec(ts)!;
  return `${m[1]}.${(m[2] ?? '').padEnd(3, '0').slice(0, 3)}Z`;
}

/** The access-log fields of one demo record, keys sorted as logrus writes them. */
export function accessFields(r: DemoRecord, i: number): Record<string, string | number> {
  const byGateway = r.response_code === 401 || r.response_code === 429;
  const upstream = byGateway ? 0 : Math.max(0, r.request_time - 1);
  const remote = r.ip_address.includes(':') ? `[${r.ip_address}]:${40000 + (i % 20000)}` : `${r.ip_address}:${40000 + (i % 20000)}`;
  const fields: Record<string, string | number> = {
    api_id: r.api_id,
    api_key: r.api_key,
    api_name: r.api_name,
    client_ip: r.ip_address,
    host: r.host,
    latency_gateway: r.request_time - upstream,
    latency_total: r.request_time,
    method: r.method,
    org_id: r.org_id,
    original_path: r.original_path,
    path: r.raw_path,
    prefix: 'access-log',
    protocol: 'HTTP/1.1',
    remote_addr: remote,
    status: r.response_code,
    upstream_addr: byGateway ? r.original_path : `https://upstream.corp.internal${r.raw_path}`,
    upstream_latency: upstream,
    user_agent: r.user_agent,
  };
  if (r.response_code === 401) Object.assign(fields, { error_source: 'AuthKey', response_code_details: 'auth_field_missing', response_flag: 'AMF' });
  if (r.response_code === 429) Object.assign(fields, { error_source: 'RateLimitAndQuotaCheck', response_code_details: 'rate_limited', response_flag: 'RLT' });
  return Object.fromEntries(Object.keys(fields).sort().map((k) => [k, fields[k]!]));
}

export function render(records: DemoRecord[]): string {
  return records
    .map((r, i) => {
      const pairs = Object.entries(accessFields(r, i)).map(([k, v]) => `${k}=${logfmtValue(v)}`);
      return [`time=${logfmtValue(msTime(r.timestamp))}`, 'level=info', ...pairs].join(' ');
    })
    .join('\n')
    .concat('\n');
}
