import type { DemoRecord } from './demo.js';

/**
 * The demo scenario as the tyk-pump Elasticsearch pump indexes it, dumped with elasticdump: one
 * `{"_index", "_type", "_id", "_score", "_source"}` line per record, the document's keys sorted
 * (the pump builds a Go map), `extended_stats` on. Per record it keeps the time (`@timestamp`,
 * RFC 3339 with nanoseconds), the client IP as logged (`::ffff:` forms included), the method, the
 * status, the key hash (`api_key`) and the alias.
 *
 * The path: the document has `request_uri` / `request_uri_full` (the record's path and raw_path)
 * and no listen path, so behind an API that strips its listen path the client's `/elastic/…` is
 * lost (fixtures/tyk/tyk-es-pump-*.ndjson show that). Here the demo's APIs are written as if they
 * did not strip it (`strip_listen_path: false`): then both fields are the client's path, evasion
 * spellings included, which is the only way this format can carry the same requests.
 */

/** Go's RFC3339Nano: trailing zeros of the fraction are dropped. */
function rfc3339Nano(ts: string): string {
  return ts.replace(/\.(\d*?)0+Z$/, (_m, digits: string) => (digits === '' ? 'Z' : `.${digits}Z`));
}

function sorted(doc: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(doc).sort().map((k) => [k, doc[k]]));
}

export function render(records: DemoRecord[]): string {
  return records
    .map((r, i) => {
      const source = sorted({
        '@timestamp': rfc3339Nano(r.timestamp),
        http_method: r.method,
        request_uri: r.original_path,
        request_uri_full: r.original_path,
        response_code: r.response_code,
        ip_address: r.ip_address,
        api_key: r.api_key,
        api_version: 'Non Versioned',
        api_name: r.api_name,
        api_id: r.api_id,
        org_id: r.org_id,
        oauth_id: '',
        request_time_ms: r.request_time,
        alias: r.alias,
        content_length: 0,
        tags: [`key-${r.api_key}`, `org-${r.org_id}`, `api-${r.api_id}`],
        raw_request: '',
        raw_response: '',
        user_agent: r.user_agent,
      });
      const index = `tyk_analytics-${r.timestamp.slice(0, 10).replace(/-/g, '.')}`;
      return JSON.stringify({ _index: index, _type: 'tyk_analytics', _id: `demo${String(i + 1).padStart(6, '0')}`, _score: 1, _source: source });
    })
    .join('\n')
    .concat('\n');
}
