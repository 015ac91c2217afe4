import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import tyk from '../../src/formats/tyk-analytics.js';
import type { ApiRequest } from '../../src/model/request.js';
import { Skip } from '../../src/model/skip.js';

const base = {
  method: 'get',
  host: 'gw.corp.example',
  path: '/_security/user',
  raw_path: '/_security/user',
  original_path: '/elastic/_security/user',
  listen_path: '/elastic/',
  response_code: 403,
  api_key: '9f2c4e6a8b0d1f35',
  alias: 'alice',
  timestamp: '2026-11-19T09:00:12.123456789Z',
  api_name: 'Elastic',
  api_id: '0123456789abcdef0123456789abcdef',
  org_id: '5e9d9544a1dcd60001d0ed20',
  request_time: 143,
  user_agent: 'curl/8.5.0',
  ip_address: '10.20.0.15',
};

const normalise = (over: Record<string, unknown> = {}, line = 7): ApiRequest | Skip => tyk.normalise({ ...base, ...over }, 'f.ndjson', line);
const ok = (over: Record<string, unknown> = {}): ApiRequest => {
  const r = normalise(over);
  if (r instanceof Skip) throw new Error(`skipped: ${r.reason}`);
  return r;
};

describe('tyk-analytics: mapping to the canonical request', () => {
  it('maps every field', () => {
    expect(ok()).toEqual({
      time: Date.parse('2026-11-19T09:00:12.123Z'),
      identity: { key: '', hash: '9f2c4e6a8b0d1f35', id: '', alias: 'alice' },
      ip: '10.20.0.15',
      method: 'GET',
      path: '/elastic/_security/user',
      status: 403,
      latencyMs: 143,
      userAgent: 'curl/8.5.0',
      requestId: '',
      api: 'Elastic',
      tenant: '5e9d9544a1dcd60001d0ed20',
      authFailure: false,
      file: 'f.ndjson',
      line: 7,
    });
  });

  it.each([
    ['8-hex murmur32', 'a1b2c3d4', 'hash'],
    ['16-hex murmur64', 'a1b2c3d4e5f60718', 'hash'],
    ['32-hex murmur128', 'a1b2c3d4e5f60718a1b2c3d4e5f60718', 'hash'],
    ['64-hex sha256', 'a'.repeat(64), 'hash'],
    ['a legacy raw key (org id + uuid, 56 hex)', '5e9d9544a1dcd60001d0ed20' + 'b'.repeat(32), 'key'],
    ['a base64 raw key', 'eyJvcmciOiI1ZTlkOTU0NGExZGNkNjAwMDFkMGVkMjAiLCJpZCI6ImFiYyIsImgiOiJtdXJtdXI2NCJ9', 'key'],
    ['upper-case hex is not how Tyk writes hashes', 'A1B2C3D4E5F60718', 'key'],
  ])('api_key as %s fills identity.%s', (_name, apiKey, field) => {
    const id = ok({ api_key: apiKey }).identity;
    expect(id[field as 'key' | 'hash']).toBe(apiKey);
    expect(id[field === 'key' ? 'hash' : 'key']).toBe('');
  });

  it('reads the path the client asked for', () => {
    // pump ≥ 1.16: original_path as logged (normalised)
    expect(ok({ original_path: '/elastic/logs/../_security//user?x=1' }).path).toBe('/elastic/_security/user');
    // older pumps: listen_path + raw_path, because raw_path is after listen-path stripping
    expect(ok({ original_path: undefined }).path).toBe('/elastic/_security/user');
    expect(ok({ original_path: undefined, listen_path: '/elastic' }).path).toBe('/elastic/_security/user');
    // listen path not stripped by the gateway: not prefixed twice
    expect(ok({ original_path: undefined, raw_path: '/elastic/_security/user' }).path).toBe('/elastic/_security/user');
    // no listen path at all: raw_path, else path
    expect(ok({ original_path: undefined, listen_path: undefined }).path).toBe('/_security/user');
    expect(ok({ original_path: undefined, listen_path: undefined, raw_path: undefined }).path).toBe('/_security/user');
  });

  it('unwraps the stdout pump record', () => {
    const line = readFileSync('fixtures/tyk/tyk-pump-stdout-pump-docs.ndjson', 'utf8').trim();
    const record = JSON.parse(line) as Record<string, unknown>;
    expect(tyk.detect(record)).toBe(true);
    const r = tyk.normalise(record, 'x', 1);
    expect(r).toMatchObject({
      time: Date.parse('2023-02-23T16:29:27.533Z'),
      identity: { key: '', hash: '00000000', id: '', alias: '' },
      ip: '192.168.0.1',
      method: 'GET',
      path: '/get',
      status: 200,
      latencyMs: 1128,
      api: 'httpbin',
    });
  });

  it('unwraps IPv4-mapped IPv6 and strips nothing else', () => {
    expect(ok({ ip_address: '::ffff:10.20.0.15' }).ip).toBe('10.20.0.15');
    expect(ok({ ip_address: '2001:DB8:42::1A' }).ip).toBe('2001:db8:42::1a');
  });

  it.each([
    [401, '00000000', '', true],
    [401, '9f2c4e6a8b0d1f35', 'alice', true],
    [403, '00000000', '', true],
    [403, '', '', true],
    [403, '9f2c4e6a8b0d1f35', 'alice', false], // quota or ACL: the key was known
    [429, '00000000', '', false],
    [200, '00000000', '', false],
  ])('status %i with api_key %j and alias %j: authFailure %s', (status, apiKey, alias, failure) => {
    expect(ok({ response_code: status, api_key: apiKey, alias }).authFailure).toBe(failure);
  });

  it('takes numbers written as strings', () => {
    expect(ok({ response_code: '429', request_time: '12' })).toMatchObject({ status: 429, latencyMs: 12 });
  });
});

describe('tyk-analytics: skips', () => {
  it.each([
    [{ timestamp: undefined }, 'missing-timestamp'],
    [{ timestamp: '' }, 'missing-timestamp'],
    [{ timestamp: 'yesterday' }, 'bad-timestamp'],
    [{ timestamp: 1700000000 }, 'bad-timestamp'],
    [{ ip_address: '' }, 'missing-ip'],
    [{ ip_address: '10.20.0.999' }, 'bad-ip'],
    [{ method: '' }, 'missing-method'],
    [{ original_path: '', raw_path: '', path: '' }, 'missing-path'],
  ])('%j → %s', (over, reason) => {
    const r = normalise(over);
    expect(r).toBeInstanceOf(Skip);
    expect((r as Skip).reason).toBe(reason);
  });
});

describe('tyk-analytics: detection', () => {
  it('recognises bare and wrapped records', () => {
    expect(tyk.detect(base)).toBe(true);
    expect(tyk.detect({ level: 'info', time: 'x', 'tyk-analytics-record': base })).toBe(true);
  });
  it.each([
    [{ '@timestamp': 'x', 'source.ip': '1.2.3.4', 'http.request.method': 'GET' }],
    [{ started_at: 1, client_ip: '1.2.3.4', request: {} }],
    [{ api_key: 'x', timestamp: 'y' }],
  ])('refuses %j', (record) => {
    expect(tyk.detect(record)).toBe(false);
  });
});

describe('tyk-analytics: raw keys in the record', () => {
  it('a raw api_key (hash_keys off) is an exposure; a hash or no key is not', () => {
    const raw = 'eyJvcmciOiI1ZTlkOTU0NGExZGNkNjAwMDFkMGVkMjAiLCJpZCI6ImFiYyJ9';
    expect(tyk.exposures!({ ...base, api_key: raw })).toEqual([{ where: 'api_key: the gateway logs raw keys (hash_keys off)', value: raw }]);
    expect(tyk.exposures!({ ...base, api_key: '9f2c4e6a8b0d1f35' })).toEqual([]);
    expect(tyk.exposures!({ ...base, api_key: '00000000' })).toEqual([]);
    expect(tyk.exposures!({ level: 'info', 'tyk-analytics-record': { ...base, api_key: raw } })).toHaveLength(1);
  });
});
