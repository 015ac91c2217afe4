import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiRequest } from '../../src/model/request.js';
import { readRequests } from '../../src/pipeline/requests.js';
import { expandInputs } from '../../src/read/sources.js';
import { DEMO_FILE, demoRecords, type DemoRecord } from '../helpers/render/demo.js';
import { render as accessLog } from '../helpers/render/tyk-access-log.js';
import { render as accessLogJson } from '../helpers/render/tyk-access-log-json.js';
import { render as csvPump } from '../helpers/render/tyk-csv-pump.js';
import { render as esPump } from '../helpers/render/tyk-es-pump.js';
import { render as mongo } from '../helpers/render/tyk-mongo.js';
import { render as splunk } from '../helpers/render/tyk-splunk.js';

/**
 * The same requests in every Tyk export: the demo scenario (fixtures/demo/tyk-analytics.ndjson, read
 * by tyk-analytics) written in each format and read back must give the same requests, field for
 * field, where the format logs the field at all.
 */

async function readFile(file: string) {
  const requests: ApiRequest[] = [];
  const { counters } = await readRequests({ sources: expandInputs([file]) }, (r) => requests.push(r));
  return { stats: counters.files[0]!, requests };
}

interface Case {
  name: string;
  file: string;
  render: (records: DemoRecord[]) => string;
  framing: string;
  /** Whether the format logs the key's alias. */
  alias: boolean;
}

const CASES: Case[] = [
  { name: 'tyk-mongo', file: 'tyk_analytics.json', render: mongo, framing: 'ndjson', alias: true },
  { name: 'tyk-es-pump', file: 'tyk_analytics-dump.ndjson', render: esPump, framing: 'ndjson', alias: true },
  { name: 'tyk-splunk', file: 'hec.ndjson', render: splunk, framing: 'ndjson', alias: true },
  { name: 'tyk-csv-pump', file: '2026-November-19-0.csv', render: csvPump, framing: 'csv', alias: true },
  { name: 'tyk-access-log', file: 'gateway.log', render: accessLog, framing: 'logfmt', alias: false },
  { name: 'tyk-access-log-json', file: 'gateway.ndjson', render: accessLogJson, framing: 'ndjson', alias: false },
];

describe('the demo scenario in every Tyk export', () => {
  const demo = demoRecords();
  const dir = mkdtempSync(join(tmpdir(), 'apiguard-tyk-family-'));
  let original: ApiRequest[] = [];

  beforeAll(async () => {
    const { stats, requests } = await readFile(DEMO_FILE);
    expect(stats).toMatchObject({ format: 'tyk-analytics', records: 1138, skipped: 0 });
    original = requests;
  });

  it('covers what the renderers must preserve: IPv4-mapped and IPv6 clients, evasion spellings, no-key records', () => {
    expect(demo.some((r) => r.ip_address.startsWith('::ffff:'))).toBe(true);
    expect(demo.some((r) => r.ip_address.includes(':') && !r.ip_address.startsWith('::ffff:'))).toBe(true);
    expect(demo.some((r) => r.original_path.includes('%5F'))).toBe(true);
    expect(demo.some((r) => r.original_path.includes('/../'))).toBe(true);
    expect(demo.filter((r) => r.api_key === '00000000')).toHaveLength(40);
  });

  it.each(CASES)('$name: every request reads back as the Tyk original', async (c) => {
    const file = join(dir, c.file);
    writeFileSync(file, c.render(demo));
    const { stats, requests } = await readFile(file);
    expect(stats).toMatchObject({ format: c.name, framing: c.framing, records: 1138, parsed: 1138, skipped: 0, error: '' });

    const brief = (r: ApiRequest) => ({
      time: r.time,
      ip: r.ip,
      method: r.method,
      path: r.path,
      status: r.status,
      key: r.identity.key,
      hash: r.identity.hash,
      alias: r.identity.alias,
      authFailure: r.authFailure,
    });
    // the access logs have no alias; everything else is as the Tyk original has it
    const expected = original.map((o) => ({ ...brief(o), alias: c.alias ? o.identity.alias : '' }));
    expect(requests.map(brief)).toEqual(expected);
  });
});

describe('fixtures/tyk: every file is read by the format it was written in', () => {
  const DIR = 'fixtures/tyk';
  const EXPECTED: Record<string, [format: string, framing: string, records: number, skipped: number]> = {
    'tyk-access-log-5.14-key-logging.log': ['tyk-access-log', 'logfmt', 2, 0],
    'tyk-access-log-5.14.log': ['tyk-access-log', 'logfmt', 6, 0],
    'tyk-access-log-json-5.12.ndjson': ['tyk-access-log-json', 'ndjson', 5, 0],
    'tyk-access-log-json-5.14.ndjson': ['tyk-access-log-json', 'ndjson', 3, 0],
    'tyk-csv-pump-pre-v1.3.csv': ['tyk-csv-pump', 'csv', 2, 0],
    'tyk-csv-pump-v1.13.1.csv': ['tyk-csv-pump', 'csv', 2, 0],
    'tyk-csv-pump-v1.16.csv': ['tyk-csv-pump', 'csv', 7, 0],
    'tyk-csv-pump-v1.3.csv': ['tyk-csv-pump', 'csv', 2, 0],
    'tyk-csv-pump-v1.8.csv': ['tyk-csv-pump', 'csv', 2, 0],
    'tyk-docs-5.8-access-log-legacy-time.logfmt': ['tyk-access-log', 'logfmt', 2, 0],
    'tyk-docs-access-log-rfc3339.logfmt': ['tyk-access-log', 'logfmt', 2, 0],
    'tyk-docs-traffic-log-illustrative.json': ['tyk-analytics', 'json-document', 1, 0],
    // the gateway's application lines (prefix main, auth-key) are another stream: skipped as wrong-format
    'tyk-gateway-stderr-5.13.log': ['tyk-access-log', 'logfmt', 6, 3],
    'tyk-es-pump-elasticdump.ndjson': ['tyk-es-pump', 'ndjson', 2, 0],
    'tyk-es-pump-source.ndjson': ['tyk-es-pump', 'ndjson', 7, 0],
    'tyk-mongo-mongoexport-canonical.json': ['tyk-mongo', 'ndjson', 2, 0],
    'tyk-mongo-mongoexport-legacy.json': ['tyk-mongo', 'ndjson', 1, 0],
    'tyk-mongo-mongoexport.json': ['tyk-mongo', 'ndjson', 7, 0],
    'tyk-pump-stdout-pump-docs.ndjson': ['tyk-analytics', 'ndjson', 1, 0],
    'tyk-splunk-hec-default.ndjson': ['tyk-splunk', 'ndjson', 7, 0],
    'tyk-splunk-hec-fields-obfuscated.ndjson': ['tyk-splunk', 'ndjson', 3, 0],
    'tyk-splunk-search-export.json': ['tyk-splunk', 'ndjson', 2, 0],
  };

  it('lists every log file of the folder', () => {
    const files = readdirSync(DIR).filter((f) => /\.(ndjson|json|log|logfmt|csv)$/.test(f)).sort();
    expect(files).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s → %j', async (file, [format, framing, records, skipped]) => {
    const { stats, requests } = await readFile(`${DIR}/${file}`);
    expect([stats.format, stats.framing, stats.records, stats.skipped]).toEqual([format, framing, records, skipped]);
    expect(requests).toHaveLength(records - skipped);
  });

  it('reads the copied tyk-analytics samples field for field', async () => {
    const stdout = (await readFile(`${DIR}/tyk-pump-stdout-pump-docs.ndjson`)).requests;
    expect(stdout.map((r) => [new Date(r.time).toISOString(), r.ip, r.method, r.path, r.status, r.identity.hash, r.latencyMs])).toEqual([
      ['2023-02-23T16:29:27.533Z', '192.168.0.1', 'GET', '/get', 200, '00000000', 1128],
    ]);
    const doc = (await readFile(`${DIR}/tyk-docs-traffic-log-illustrative.json`)).requests;
    expect(doc.map((r) => [new Date(r.time).toISOString(), r.ip, r.method, r.path, r.status, r.identity.hash, r.identity.alias, r.line])).toEqual([
      ['2022-11-16T03:01:54.648Z', '172.18.0.1', 'GET', '/api/v1/users', 200, '6129dc1e8b64c6b4', 'my-key-alias', 1],
    ]);
  });

  it('no file of another family is detected as a Tyk export mapping', async () => {
    const family = new Set(['tyk-mongo', 'tyk-es-pump', 'tyk-splunk', 'tyk-csv-pump', 'tyk-access-log', 'tyk-access-log-json']);
    const walk = (d: string): string[] =>
      readdirSync(d).flatMap((n) => {
        const p = join(d, n);
        return statSync(p).isDirectory() ? walk(p) : /\.(ndjson|jsonl|json|log|logfmt|csv|tsv|txt)$/.test(n) ? [p] : [];
      });
    const others = walk('fixtures').filter((f) => !f.startsWith(`${DIR}/`));
    expect(others.length).toBeGreaterThan(10);
    const detected: string[] = [];
    for (const file of others) {
      const { stats } = await readFile(file);
      if (family.has(stats.format)) detected.push(`${file}: ${stats.format}`);
    }
    expect(detected).toEqual([]);
  });
});
