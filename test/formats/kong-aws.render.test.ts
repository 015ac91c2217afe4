import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FileStats } from '../../src/aggregate/counters.js';
import type { ApiRequest } from '../../src/model/request.js';
import { readRequests } from '../../src/pipeline/requests.js';
import { expandInputs } from '../../src/read/sources.js';
import { render as renderAws } from '../helpers/render/aws-apigateway.js';
import { DEMO_FILE, DEMO_IDENTITIES, demoRecords } from '../helpers/render/demo.js';
import { render as renderKong } from '../helpers/render/kong-file-log.js';

/**
 * The demo scenario written as Kong file-log and as AWS API Gateway access logs, read back:
 * every request must be the Tyk original's (time to the ms, IP, method, normalised path, status,
 * auth failure) with the identity each format carries (Kong: the consumer's username = the alias;
 * AWS: the apiKeyId), mapped through DEMO_IDENTITIES.
 */

async function read(file: string): Promise<{ stats: FileStats; requests: ApiRequest[] }> {
  const requests: ApiRequest[] = [];
  const { counters } = await readRequests({ sources: expandInputs([file]) }, (r) => requests.push(r));
  return { stats: counters.files[0]!, requests };
}

let tyk: ApiRequest[] = [];
let kong: Awaited<ReturnType<typeof read>>;
let aws: Awaited<ReturnType<typeof read>>;

beforeAll(async () => {
  const original = await read(DEMO_FILE);
  expect(original.stats).toMatchObject({ format: 'tyk-analytics', parsed: 1138, skipped: 0 });
  tyk = original.requests;
  const dir = mkdtempSync(join(tmpdir(), 'apiguard-render-'));
  writeFileSync(join(dir, 'kong-file-log.log'), renderKong(demoRecords()));
  writeFileSync(join(dir, 'aws-apigateway.log'), renderAws(demoRecords()));
  kong = await read(join(dir, 'kong-file-log.log'));
  aws = await read(join(dir, 'aws-apigateway.log'));
});

const common = (r: ApiRequest) => ({ time: r.time, ip: r.ip, method: r.method, path: r.path, status: r.status, authFailure: r.authFailure });
const known = (r: ApiRequest) => DEMO_IDENTITIES[r.identity.hash];

describe('the demo rendered as Kong file-log', () => {
  it('reads back as the Tyk original, identity by consumer', () => {
    const { stats, requests } = kong;
    expect(stats).toMatchObject({ format: 'kong-file-log', framing: 'ndjson', records: 1138, parsed: 1138, skipped: 0, error: '' });
    expect(requests.map((r) => ({ ...common(r), alias: r.identity.alias, id: r.identity.id }))).toEqual(
      tyk.map((r) => ({ ...common(r), alias: known(r)?.alias ?? '', id: known(r)?.id ?? '' })),
    );
  });

  it('keeps the scenario in it: an evasion spelling, the IPv6 attacker, the keyless scanner, the shadow key', () => {
    const { requests } = kong;
    expect(requests.filter((r) => r.ip === '2001:db8:dead::7')).toHaveLength(2);
    expect(requests.filter((r) => r.path === '/elastic/_security/api_key' && r.identity.alias === 'alice')).toHaveLength(1);
    expect(requests.filter((r) => r.status === 401 && r.identity.alias === '' && r.identity.id === '' && r.authFailure)).toHaveLength(40);
    expect(requests.filter((r) => r.identity.id === 'ak0shadow9' && r.identity.alias === '')).toHaveLength(6);
  });
});

describe('the demo rendered as AWS API Gateway access logs', () => {
  it('reads back as the Tyk original, identity by apiKeyId', () => {
    const { stats, requests } = aws;
    expect(stats).toMatchObject({ format: 'aws-apigateway', framing: 'ndjson', records: 1138, parsed: 1138, skipped: 0, error: '' });
    expect(requests.map((r) => ({ ...common(r), id: r.identity.id, alias: r.identity.alias, key: r.identity.key }))).toEqual(
      tyk.map((r) => ({ ...common(r), id: known(r)?.id ?? '', alias: '', key: '' })),
    );
  });

  it('keeps the milliseconds that requestTime alone would lose', () => {
    const { requests } = aws;
    expect(requests.filter((r) => r.time % 1000 !== 0).length).toBeGreaterThan(1100);
    expect(new Date(requests.find((r) => r.identity.id === 'ak0shadow9')!.time).toISOString()).toBe('2026-11-20T11:00:42.551Z');
  });
});
