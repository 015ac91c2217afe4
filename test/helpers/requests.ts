import type { ApiRequest, Identity } from '../../src/model/request.js';

/** A canonical request with sensible defaults; override what the test is about. */
export function request(over: Partial<Omit<ApiRequest, 'identity'>> & { identity?: Partial<Identity>; at?: string } = {}): ApiRequest {
  const { identity, at, ...rest } = over;
  return {
    time: at ? Date.parse(at) : Date.parse('2026-11-19T09:00:00Z'),
    identity: { key: '', hash: '', id: '', alias: '', ...identity },
    ip: '10.20.0.15',
    method: 'GET',
    path: '/elastic/logs/_search',
    status: 200,
    latencyMs: 0,
    userAgent: '',
    requestId: '',
    api: '',
    tenant: '',
    authFailure: false,
    file: 'test.ndjson',
    line: 1,
    ...rest,
  };
}
