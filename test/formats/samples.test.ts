import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRequests } from '../../src/pipeline/requests.js';
import { expandInputs } from '../../src/read/sources.js';

/**
 * Every real record published by the vendors (shared/samples, copied unchanged into fixtures/,
 * provenance in each fixture folder's README) is read with its format detected and nothing
 * skipped — except the Azure sample, whose values Microsoft redacted: one clear skip, no crash.
 */
const SAMPLES: [file: string, format: string, records: number][] = [
  ['tyk/tyk-pump-stdout-pump-docs.ndjson', 'tyk-analytics', 1],
  ['tyk/tyk-docs-traffic-log-illustrative.json', 'tyk-analytics', 1],
  ['tyk/tyk-docs-5.8-access-log-legacy-time.logfmt', 'tyk-access-log', 2],
  ['tyk/tyk-docs-access-log-rfc3339.logfmt', 'tyk-access-log', 2],
  ['kong/kong-docs-log-format-3.4.json', 'kong-file-log', 1],
  ['aws/elastic-test-apigateway-rest.log', 'aws-apigateway', 5],
  ['aws/elastic-test-apigateway-http.log', 'aws-apigateway', 5],
  ['ecs/elastic-nginx-access-sample_event.json', 'ecs', 1],
  ['kibana/opensearch-dashboards-sample-web-logs-head25.ndjson', 'kibana-sample-logs', 25],
  ['kibana/kibana-reporting-csv-logstash-utc.csv', 'kibana-csv-logs', 20],
  ['kibana/kibana-reporting-csv-ecommerce-one-row.csv', 'kibana-csv', 1],
  ['envoy-istio/elastic-test-istio-access-json.log', 'envoy-istio', 0],
  ['nginx/elastic-test-nginx-access.log', 'nginx-combined', 14],
];

async function read(file: string) {
  const read = await readRequests({ sources: expandInputs([join('fixtures', file)]) }, () => {});
  return read.counters;
}

describe('every published sample', () => {
  it.each(SAMPLES)('%s is read as %s with nothing skipped', async (file, format, records) => {
    const counters = await read(file);
    const stats = counters.files[0]!;
    expect(stats.format).toBe(format);
    expect(stats.skipped).toBe(0);
    expect(stats.error).toBe('');
    if (records > 0) expect(stats.parsed).toBe(records);
    else expect(stats.parsed).toBeGreaterThan(0);
  });

  it('the redacted Azure sample gives one clear per-record error, not a crash', async () => {
    const counters = await read('azure/azure-docs-gatewaylogs-resource-log-sample.json');
    expect(counters.files[0]).toMatchObject({ format: 'azure-apim-resource-log', parsed: 0, skipped: 1 });
    expect(counters.examples.map((e) => [e.line, e.reason, e.detail])).toEqual([[1, 'bad-timestamp', '2020-10-14T17:xx:xx.xx']]);
  });

  it('no fixture folder holds a sample this list misses', () => {
    const copies = readdirSync('fixtures').flatMap((d) =>
      statSync(join('fixtures', d)).isDirectory() ? readdirSync(join('fixtures', d)).filter((f) => /^(elastic|kibana-reporting|opensearch|kong-docs|tyk-docs|tyk-pump|azure-docs)/.test(f)).map((f) => `${d}/${f}`) : [],
    );
    expect(copies.sort()).toEqual([...SAMPLES.map((s) => s[0]), 'azure/azure-docs-gatewaylogs-resource-log-sample.json'].sort());
  });
});
