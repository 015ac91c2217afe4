/** One Tyk analytics record as an NDJSON line: a clean request of the demo policy's alice, with `over` on top. */
export const tykRecord = (over: Record<string, unknown>): string =>
  JSON.stringify({
    method: 'GET',
    path: '/x',
    raw_path: '/x',
    original_path: '/elastic/logs/_search',
    response_code: 200,
    api_key: '9f2c4e6a8b0d1f35',
    alias: 'alice',
    timestamp: '2026-11-19T09:00:00Z',
    ip_address: '10.20.0.15',
    org_id: 'corp',
    ...over,
  });
