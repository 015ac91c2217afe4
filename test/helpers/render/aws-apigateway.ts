import { idOf, type DemoRecord } from './demo.js';

/**
 * The demo scenario as an AWS API Gateway JSON access log: one record per line, every value a
 * string and `-` for missing ones, as $context templates write them. The stage's template is the
 * REST console preset with `$context.path` instead of `$context.resourcePath` (the client's path,
 * evasion spellings included: the API is called through a custom domain, so no /{stage} prefix)
 * plus requestTimeEpoch, responseLatency, identity.userAgent, identity.apiKeyId and
 * error.responseType. requestTime has whole seconds only; requestTimeEpoch keeps the milliseconds.
 * The identity is the key id of DEMO_IDENTITIES (`-` when the request carried no key).
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `$context.requestTime`: `19/Nov/2026:00:02:02 +0000`. */
export function clfTimeOf(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** What API Gateway reports as error.responseType for the statuses the demo has. */
function responseType(status: number): string {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 429) return 'THROTTLED';
  return '-';
}

export function render(records: DemoRecord[]): string {
  return records
    .map((r, i) => {
      const t = Date.parse(r.timestamp);
      const n = (i + 1).toString(16).padStart(12, '0');
      return JSON.stringify({
        requestId: `${r.api_key.slice(0, 8).padEnd(8, '0')}-0000-4000-8000-${n}`,
        ip: r.ip_address,
        caller: '-',
        user: '-',
        requestTime: clfTimeOf(t),
        requestTimeEpoch: String(t),
        httpMethod: r.method,
        path: r.original_path,
        status: String(r.response_code),
        protocol: 'HTTP/1.1',
        responseLength: '-',
        responseLatency: String(r.request_time),
        userAgent: r.user_agent || '-',
        apiKeyId: idOf(r) || '-',
        responseType: responseType(r.response_code),
        apiId: 'c0rpsec7gw',
        stage: 'prod',
      });
    })
    .join('\n')
    .concat('\n');
}
