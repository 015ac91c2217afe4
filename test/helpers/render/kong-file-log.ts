import { DEMO_IDENTITIES, type DemoRecord } from './demo.js';

/**
 * The demo scenario as Kong's file-log writes it: one compact `kong.log.serialize()` object per
 * line, with lua-cjson's `\/` escaping. Per record it keeps the time (ms), the client IP as
 * logged, the method, the client's path (`request.uri` = Tyk `original_path`, evasion spellings
 * included), the status, and the identity: the key's consumer (`username` = the alias, `id` = the
 * key id of DEMO_IDENTITIES), and no consumer when the request carried no key.
 */

/** A stable UUID-shaped id made from a 16-hex key hash (for the credential's authenticated_entity.id). */
function credentialId(hash: string): string {
  return `${hash.slice(0, 8)}-${hash.slice(8, 12)}-4${hash.slice(12, 15)}-8${hash.slice(15, 16)}00-000000000000`;
}

const cjson = (value: unknown): string => JSON.stringify(value).replace(/\//g, '\\/');

export function render(records: DemoRecord[]): string {
  return records
    .map((r, i) => {
      const started = Date.parse(r.timestamp);
      const known = DEMO_IDENTITIES[r.api_key];
      const byGateway = r.response_code === 401 || r.response_code === 429;
      const upstream = byGateway ? 0 : Math.max(0, r.request_time - 1);
      const record: Record<string, unknown> = {
        request: {
          id: (i + 1).toString(16).padStart(32, '0'),
          uri: r.original_path,
          url: `https://${r.host}${r.original_path}`,
          querystring: {},
          method: r.method,
          headers: { host: r.host, 'user-agent': r.user_agent, accept: '*/*' },
          size: 120 + r.original_path.length,
        },
        upstream_uri: byGateway ? '' : r.raw_path,
        response: { status: r.response_code, headers: { 'content-type': 'application/json' }, size: 310 },
        latencies: { kong: r.request_time - upstream, proxy: byGateway ? -1 : upstream, request: r.request_time, receive: 0 },
        route: { id: `${r.api_id.slice(0, 8)}-0000-4000-8000-000000000001`, name: `${r.api_name.toLowerCase()}-route`, paths: [r.listen_path.replace(/\/$/, '')] },
        service: { id: `${r.api_id.slice(0, 8)}-0000-4000-8000-000000000002`, name: r.api_name, host: 'upstream.corp.internal', port: 443, protocol: 'https' },
        client_ip: r.ip_address,
        started_at: started,
        source: byGateway ? 'kong' : 'upstream',
        workspace: '54baa5a9-23d6-41e0-9c9a-02434b010b25',
        workspace_name: 'default',
      };
      if (known) {
        record.authenticated_entity = { id: credentialId(r.api_key) };
        // Kong consumers need a username or a custom_id; the shadow key has no alias.
        record.consumer = known.alias ? { id: known.id, username: known.alias, username_lower: known.alias } : { id: known.id, custom_id: 'shadow' };
      }
      return cjson(record);
    })
    .join('\n')
    .concat('\n');
}
