import { idOf, type DemoRecord } from './demo.js';

/**
 * The demo scenario as Azure API Management gateway logs in Log Analytics: rows of the
 * `ApiManagementGatewayLogs` table written as a JSON array, one row object per line (what a query
 * tool prints). The APIM instance `corp-apim` fronts the same upstreams; per record it keeps:
 * TimeGenerated (Log Analytics' 7 fraction digits, so the ms are exact), CallerIpAddress as Tyk
 * logged it (IPv4-mapped and IPv6 forms included), Method, Url = `https://<host>` + the client's
 * path (Tyk original_path, evasion spellings as sent), ResponseCode, TotalTime, and the identity
 * ApimSubscriptionId = the key id of DEMO_IDENTITIES ('' when the request carried no key).
 * The key's alias goes in UserId (the subscription owner), which apiguard does not read as an
 * identity. 401s without a key carry LastErrorReason SubscriptionKeyNotFound, 429s
 * RateLimitExceeded.
 */

export const RESOURCE_ID = '/subscriptions/8f6a2c1e-4b7d-4e3a-9c5f-1d2e3f4a5b6c/resourcegroups/rg-secops/providers/microsoft.apimanagement/service/corp-apim';
export const WORKSPACE_ID = 'b7e1c9a4-2f3d-4c8e-a5b6-0d1e2f3a4b5c';

/** `2026-11-19T00:02:02.620015776Z` → `2026-11-19T00:02:02.6200157Z` (100 ns ticks). */
export function timeGenerated(timestamp: string): string {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(timestamp);
  if (!m) throw new Error(`not a UTC timestamp: ${timestamp}`);
  return `${m[1]}.${(m[2] ?? '').slice(0, 7).padEnd(7, '0')}Z`;
}

function lastErrorReason(r: DemoRecord): string {
  if (r.response_code === 401 && idOf(r) === '') return 'SubscriptionKeyNotFound';
  if (r.response_code === 429) return 'RateLimitExceeded';
  return '';
}

/** One ApiManagementGatewayLogs row, columns in the table's order (a subset). */
export function gatewayLogRow(r: DemoRecord, i: number): Record<string, unknown> {
  const reason = lastErrorReason(r);
  return {
    TenantId: WORKSPACE_ID,
    TimeGenerated: timeGenerated(r.timestamp),
    OperationName: 'Microsoft.ApiManagement/GatewayLogs',
    CorrelationId: `${(i + 1).toString(16).padStart(8, '0')}-0000-4000-8000-${r.api_id.slice(0, 12)}`,
    Region: 'West Europe',
    IsRequestSuccess: r.response_code < 400,
    Category: 'GatewayLogs',
    TotalTime: r.request_time,
    CallerIpAddress: r.ip_address,
    Method: r.method,
    Url: `https://${r.host}${r.original_path}`,
    ResponseCode: r.response_code,
    ApiId: r.api_name.toLowerCase(),
    OperationId: '',
    UserId: r.alias,
    ApimSubscriptionId: idOf(r),
    LastErrorSource: reason === '' ? '' : reason === 'RateLimitExceeded' ? 'rate-limit' : 'authorization',
    LastErrorReason: reason,
    RequestHeaders: { 'User-Agent': r.user_agent },
    Type: 'ApiManagementGatewayLogs',
    _ResourceId: RESOURCE_ID,
  };
}

export function render(records: DemoRecord[]): string {
  return `[\n${records.map((r, i) => JSON.stringify(gatewayLogRow(r, i))).join(',\n')}\n]\n`;
}
