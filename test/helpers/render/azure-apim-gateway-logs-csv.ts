import { gatewayLogRow } from './azure-apim-gateway-logs.js';
import type { DemoRecord } from './demo.js';

/**
 * The demo scenario as the CSV export of the same `ApiManagementGatewayLogs` rows as
 * ./azure-apim-gateway-logs.ts: a header with the datetime column decorated `TimeGenerated [UTC]`,
 * every cell holding a character outside [A-Za-z0-9] quoted (inner quotes doubled), the dynamic
 * RequestHeaders column as JSON text in its cell, booleans `true`/`false`, CRLF line ends.
 * TimeGenerated is ISO 8601 with milliseconds. (Today's portal writes the grid's locale display
 * form, `11/19/2026, 12:02:02.620 AM`, which apiguard cannot read: see
 * rules/mappings/azure-apim-gateway-logs-csv.yml.) Per record it keeps the same values: time (ms),
 * client IP as logged, method, full URL with the client's path, status, ApimSubscriptionId = the
 * key id ('' without a key).
 */

function cell(v: unknown): string {
  const text = typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
  return /[^A-Za-z0-9]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function render(records: DemoRecord[]): string {
  const rows = records.map((r, i) => {
    const row = gatewayLogRow(r, i);
    row.TimeGenerated = new Date(Date.parse(r.timestamp)).toISOString();
    return row;
  });
  const columns = Object.keys(rows[0] ?? {});
  const header = columns.map((c) => (c === 'TimeGenerated' ? cell('TimeGenerated [UTC]') : cell(c))).join(',');
  return [header, ...rows.map((row) => columns.map((c) => cell(row[c])).join(','))].join('\r\n') + '\r\n';
}
