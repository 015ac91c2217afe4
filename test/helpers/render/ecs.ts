import { DEMO_IDENTITIES, type DemoRecord } from './demo.js';

/**
 * The demo scenario as Elastic Common Schema access documents, one nested document per line, as
 * an API gateway's ECS logger (or an Elastic Agent integration) would index them. Per record it
 * keeps the time (ms), the client IP as logged (`source.ip`), the method, the client's path
 * (`url.original` = Tyk `original_path`, evasion spellings included; `url.path` as Elasticsearch's
 * uri_parts processor writes it: without the query, percent-decoded), the status, and the
 * identity: `user.name` = the key's alias and `user.id` = its id from DEMO_IDENTITIES, each absent
 * when there is none (no key: neither; the shadow key: an id and no alias).
 */

/** `url.path` as uri_parts (java.net.URI#getPath) gives it: no query or fragment, percent-decoded. */
function decodedPath(target: string): string {
  const cut = target.search(/[?#]/);
  const path = cut >= 0 ? target.slice(0, cut) : target;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** The ECS document of one demo record (the `i`-th), nested as Elasticsearch keeps `_source`. */
export function ecsDocument(r: DemoRecord, i: number): Record<string, unknown> {
  const ms = Date.parse(r.timestamp);
  const known = DEMO_IDENTITIES[r.api_key];
  const user: Record<string, string> = {};
  if (known?.alias) user.name = known.alias;
  if (known?.id) user.id = known.id;
  const query = r.original_path.includes('?') ? r.original_path.slice(r.original_path.indexOf('?') + 1) : undefined;
  const doc: Record<string, unknown> = {
    '@timestamp': new Date(ms).toISOString(),
    ecs: { version: '8.11.0' },
    event: {
      kind: 'event',
      category: r.response_code === 401 ? ['authentication', 'web'] : ['web'],
      type: ['access'],
      outcome: r.response_code >= 400 ? 'failure' : 'success',
      duration: r.request_time * 1_000_000,
      dataset: 'apigw.access',
    },
    source: { ip: r.ip_address },
    http: {
      version: '1.1',
      request: { id: (i + 1).toString(16).padStart(16, '0'), method: r.method },
      response: { status_code: r.response_code },
    },
    url: { original: r.original_path, path: decodedPath(r.original_path), ...(query === undefined ? {} : { query }), domain: r.host },
    user_agent: { original: r.user_agent },
    service: { name: r.api_name },
    organization: { id: r.org_id },
  };
  if (Object.keys(user).length > 0) doc.user = user;
  return doc;
}

export function render(records: DemoRecord[]): string {
  return records
    .map((r, i) => JSON.stringify(ecsDocument(r, i)))
    .join('\n')
    .concat('\n');
}
