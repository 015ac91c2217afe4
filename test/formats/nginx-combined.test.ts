import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseClf } from '../../src/decode/containers.js';
import { formatByName } from '../../src/formats/index.js';
import type { ApiRequest } from '../../src/model/request.js';
import { Skip } from '../../src/model/skip.js';
import { readRequests } from '../../src/pipeline/requests.js';
import { LOG_NAME, expandInputs } from '../../src/read/sources.js';

const format = formatByName('nginx-combined')!;
const DIR = 'fixtures/nginx/';
const SAMPLE = DIR + 'elastic-test-nginx-access.log';
type Rec = Record<string, unknown>;

const sampleLines = readFileSync(SAMPLE, 'utf8').trimEnd().split('\n');
const clf = (line: string): Rec => {
  const r = parseClf(line);
  if (!r) throw new Error(`not a combined line: ${line}`);
  return r;
};
const ok = (r: Rec, line = 1): ApiRequest => {
  const out = format.normalise(r, 'access.log', line);
  if (out instanceof Skip) throw new Error(`skipped: ${out.reason} ${out.detail}`);
  return out;
};

async function read(paths: string[]) {
  const requests: ApiRequest[] = [];
  const { counters } = await readRequests({ sources: expandInputs(paths) }, (r) => requests.push(r));
  return { files: counters.files, requests, examples: counters.examples };
}

const CHROME_54_59 = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_12_0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/54.0.2840.59 Safari/537.36';

describe('nginx-combined: mapping', () => {
  it('maps every canonical field of a combined line', () => {
    expect(ok(clf(sampleLines[1]!), 2)).toEqual({
      time: Date.parse('2016-10-25T12:49:34Z'),
      identity: { key: '', hash: '', id: '', alias: '' },
      ip: '67.43.156.13',
      method: 'GET',
      path: '/favicon.ico',
      status: 404,
      latencyMs: 0,
      userAgent: CHROME_54_59,
      requestId: '',
      api: '',
      tenant: '',
      authFailure: false,
      file: 'access.log',
      line: 2,
    });
  });

  it('a leading virtual host is the api; the path stays percent-encoded where it must', () => {
    expect(ok(clf(sampleLines[12]!))).toMatchObject({
      time: Date.parse('2020-06-09T19:10:39Z'),
      ip: '192.168.0.1',
      api: 'lessons.example.com',
      status: 206,
      path: '/A%20Beka%20G1%20Howe/029_AND_30/15%20reading%20elephants.mp4',
    });
  });

  it('Basic auth user is the alias; common format (no referer, no agent) is read', () => {
    const r = clf('10.20.0.15 - alice [20/Nov/2026:11:02:14 +0100] "GET /elastic/_cat/indices?api_key=abc HTTP/1.1" 401 188');
    expect(ok(r)).toMatchObject({
      time: Date.parse('2026-11-20T10:02:14Z'),
      identity: { key: '', hash: '', id: '', alias: 'alice' },
      path: '/elastic/_cat/indices',
      status: 401,
      userAgent: '',
      authFailure: true,
    });
  });

  it('IPv6 peers and absolute-form targets', () => {
    const r = clf('2001:db8:dead::7 - - [20/Nov/2026:03:10:14 +0000] "GET http://api.corp.example/rt/REST/2.0/users HTTP/1.1" 200 12 "-" "-"');
    expect(ok(r)).toMatchObject({ ip: '2001:db8:dead::7', path: '/rt/REST/2.0/users', userAgent: '' });
  });

  it('a request line nginx could not parse: no method, not skipped', () => {
    const r = clf('203.0.113.50 - - [20/Nov/2026:03:10:14 +0000] "-" 400 0 "-" "-"');
    expect(ok(r)).toMatchObject({ method: '', path: '', status: 400 });
  });
});

describe('nginx-combined: timestamps', () => {
  it('time_local is read with its offset', () => {
    expect(ok(clf(sampleLines[0]!)).time).toBe(Date.parse('2016-10-25T12:49:33Z')); // +0200
    expect(ok(clf(sampleLines[3]!)).time).toBe(Date.parse('2016-12-07T09:34:43Z')); // +0100
    expect(ok(clf(sampleLines[13]!)).time).toBe(Date.parse('2020-06-09T19:15:39Z')); // -0700
  });
  it.each([
    [{ time_local: '31/Nov/2026:10:00:00 +0000' }, 'bad-timestamp'],
    [{ time_local: '2026-11-20T10:00:00Z' }, 'bad-timestamp'],
    [{ remote_addr: 'client.example.com' }, 'bad-ip'],
  ])('%j is skipped as %s', (over, reason) => {
    const out = format.normalise({ ...clf(sampleLines[0]!), ...over }, 'x', 1);
    expect(out).toBeInstanceOf(Skip);
    expect((out as Skip).reason).toBe(reason);
  });
});

describe('nginx-combined: keys in the clear', () => {
  it('api_key / apikey / api-key in the request target', () => {
    const r = clf('10.20.0.15 - - [20/Nov/2026:11:02:14 +0100] "GET /elastic/_search?apikey=s3cr3t&q=x HTTP/1.1" 200 10 "-" "curl/8.5.0"');
    expect(format.exposures!(r)).toEqual([{ where: 'query apikey', value: 's3cr3t' }]);
    expect(format.exposures!(clf(sampleLines[0]!))).toEqual([]);
  });
});

describe('nginx-combined: detection', () => {
  it('recognises every line of the sample', () => {
    for (const l of sampleLines) expect(format.detect(clf(l))).toBe(true);
  });
  it('refuses records without the combined fields', () => {
    expect(format.detect({ remote_addr: '1.2.3.4', request_method: 'GET', status: '200' })).toBe(false);
    expect(format.detect({ time_local: 'x', remote_addr: '1.2.3.4' })).toBe(false);
  });
});

describe('nginx-combined: reading files', () => {
  it('reads the shared combined sample with zero records skipped', async () => {
    const { files, examples } = await read([SAMPLE]);
    expect(files.map((f) => [f.format, f.framing, f.records, f.parsed, f.skipped, f.error])).toEqual([['nginx-combined', 'clf', 14, 14, 0, '']]);
    expect(examples).toEqual([]);
  });

  it('every request of the sample, in order', async () => {
    const { requests } = await read([SAMPLE]);
    expect(requests.map((r) => [r.line, new Date(r.time).toISOString(), r.ip, r.method, r.path, r.status, r.api])).toEqual([
      [1, '2016-10-25T12:49:33.000Z', '67.43.156.13', 'GET', '/', 200, ''],
      [2, '2016-10-25T12:49:34.000Z', '67.43.156.13', 'GET', '/favicon.ico', 404, ''],
      [3, '2016-10-25T12:50:44.000Z', '67.43.156.13', 'GET', '/adsasd', 404, ''],
      [4, '2016-12-07T09:34:43.000Z', '67.43.156.13', 'GET', '/', 200, ''],
      [5, '2016-12-07T09:34:43.000Z', '67.43.156.13', 'GET', '/favicon.ico', 404, ''],
      [6, '2016-12-07T09:43:18.000Z', '67.43.156.13', 'GET', '/test', 404, ''],
      [7, '2016-12-07T09:43:21.000Z', '67.43.156.13', 'GET', '/test', 404, ''],
      [8, '2016-12-07T09:43:23.000Z', '67.43.156.13', 'GET', '/test1', 404, ''],
      [9, '2016-12-07T10:04:37.000Z', '127.0.0.1', 'GET', '/test1', 404, ''],
      [10, '2016-12-07T10:04:58.000Z', '127.0.0.1', 'GET', '/', 304, ''],
      [11, '2016-12-07T10:04:59.000Z', '127.0.0.1', 'GET', '/', 304, ''],
      [12, '2016-12-07T10:05:07.000Z', '127.0.0.1', 'GET', '/taga', 404, ''],
      [13, '2020-06-09T19:10:39.000Z', '192.168.0.1', 'GET', '/A%20Beka%20G1%20Howe/029_AND_30/15%20reading%20elephants.mp4', 206, 'lessons.example.com'],
      [14, '2020-06-09T19:15:39.000Z', '192.168.0.1', 'GET', '/%D0%A0%D1%83%D1%81%D1%81%D0%BA%D0%B0%D1%8F%20%D1%88%D0%BA%D0%BE%D0%BB%D0%B0%20-%20InternetUrok%201%D0%BA%D0%BB%D0%B0%D1%81%D1%81/', 206, 'lessons.example.com'],
    ]);
  });

  it('the whole nginx folder: combined text and JSON files each get their format', async () => {
    const { files } = await read([DIR]);
    expect(files.map((f) => [f.file.slice(DIR.length), f.format, f.skipped])).toEqual([
      ['elastic-test-nginx-access.log', 'nginx-combined', 0],
      ['nginx-json-msec.log', 'nginx-json', 0],
      ['nginx-json-time-iso8601.log', 'nginx-json', 0],
    ]);
  });

  it('no file in another fixture folder is taken for this format', async () => {
    const others = readdirSync('fixtures')
      .filter((d) => d !== 'nginx' && readdirSync(`fixtures/${d}`).some((f) => LOG_NAME.test(f)))
      .map((d) => `fixtures/${d}`);
    const { files } = await read(others);
    expect(files.filter((f) => f.format === 'nginx-combined')).toEqual([]);
  });
});
