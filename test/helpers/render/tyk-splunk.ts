import type { DemoRecord } from './demo.js';

/**
 * The demo scenario as the tyk-pump Splunk pump posts it to a HEC: one `{"time", "event"}` object
 * per line, `time` in epoch seconds, the event a Go map (keys sorted) with a `fields` list that
 * adds host, raw_path, user_agent and alias to the defaults. Per record it keeps the time
 * (`time_stamp`, RFC 3339 with nanoseconds), the client IP as logged (`::ffff:` forms included),
 * the method, the status, the key hash (`api_key`, not obfuscated) and the alias.
 *
 * The path: the event has `path` / `raw_path` and no listen path, so behind an API that strips its
 * listen path the client's `/elastic/…` is lost (fixtures/tyk/tyk-splunk-*.ndjson show that).
 * Here the demo's APIs are written as if they did not strip it (`strip_listen_path: false`): then
 * both fields are the client's path, evasion spellings included, which is the only way this format
 * can carry the same requests.
 */

function rfc3339Nano(ts: string): string {
  return ts.replace(/\.(\d*?)0+Z$/, (_m, digits: string) => (digits === '' ? 'Z' : `.${digits}Z`));
}

function sorted(doc: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(doc).sort().map((k) => [k, doc[k]]));
}

export function render(records: DemoRecord[]): string {
  return records
    .map((r) => {
      const event = sorted({
        method: r.method,
        host: r.host,
        path: r.original_path,
        raw_path: r.original_path,
        user_agent: r.user_agent,
        response_code: r.response_code,
        api_key: r.api_key,
        time_stamp: rfc3339Nano(r.timestamp),
        api_version: 'Non Versioned',
        api_name: r.api_name,
        api_id: r.api_id,
        org_id: r.org_id,
        oauth_id: '',
        request_time: r.request_time,
        ip_address: r.ip_address,
        alias: r.alias,
      });
      return JSON.stringify({ time: Math.floor(Date.parse(r.timestamp.slice(0, 19) + 'Z') / 1000), event });
    })
    .join('\n')
    .concat('\n');
}
