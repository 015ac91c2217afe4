import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FORMATS } from '../../src/formats/index.js';
import { runCli } from '../helpers/run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'apiguard-detect-'));

describe('apiguard formats', () => {
  it('lists every registered format with its container and source, in detection order', () => {
    const r = runCli(['formats', '--output', 'json']);
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as { name: string; container: string; source: string }[];
    expect(rows.map((x) => x.name)).toEqual(FORMATS.map((f) => f.meta.name));
    expect(rows.find((x) => x.name === 'tyk-analytics')).toMatchObject({ container: 'json', source: 'src/formats/tyk-analytics.ts' });
    const table = runCli(['formats']).stdout;
    expect(table).toContain('Anything else: --map canonical=field, or a mapping file (--mapping FILE');
  });
});

describe('apiguard detect', () => {
  it('shows the format per file and how its first records map to Who / Where / What / When', () => {
    const r = runCli(['detect', 'fixtures/demo/tyk-analytics.ndjson', '-n', '2']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      [
        'fixtures/demo/tyk-analytics.ndjson',
        '  framing: ndjson   format: tyk-analytics',
        '  line 1: When 2026-11-19T00:02:02.620Z  Who hash=3f9a…4e51 alias=soar-playbooks  Where 10.10.5.2  What POST /elastic/.alerts-security/_search  status 200',
        '  line 2: When 2026-11-19T00:19:29.939Z  Who hash=3f9a…4e51 alias=soar-playbooks  Where 10.10.5.2  What POST /elastic/.alerts-security/_search  status 200',
        '',
      ].join('\n'),
    );
  });

  it('shows skipped records among the first ones, with the reason', () => {
    const r = runCli(['detect', 'fixtures/broken/tyk-broken-records.ndjson', '-n', '10']);
    expect(r.stdout).toContain('  line 2: skipped: not valid JSON');
    expect(r.stdout).toContain('  line 5: skipped: client IP cannot be parsed (10.20.0.999)');
    expect(r.stdout).toMatch(/ {2}line 8: When 2026-11-19T/);
  });

  it('a file no format fits is an input error naming the file and what was seen', () => {
    const f = join(tmp, 'odd.ndjson');
    writeFileSync(f, '{"colour":"blue","size":3}\n{"colour":"red","size":4}\n');
    const r = runCli(['detect', f]);
    expect(r.status).toBe(3);
    expect(r.stdout).toContain('format: none fits   problem: no known log format fits (first record has fields: colour, size); use --format to force one');
    expect(r.stderr).toBe(`apiguard: no known format fits ${f}\n`);
  });
});

describe('--map and --mapping', () => {
  const lines = [
    '{"ts":1763542800000,"client":"10.20.0.15","verb":"GET","url":"/elastic/_security/user?x=1","code":200,"who":"alice"}',
    '{"ts":1763542801000,"client":"203.0.113.9","verb":"GET","url":"/elastic/logs/_search","code":200,"who":"alice"}',
  ];
  const f = join(tmp, 'own.ndjson');
  writeFileSync(f, lines.join('\n') + '\n');
  const maps = ['--map', 'time=ts:epoch-ms', '--map', 'ip=client', '--map', 'method=verb', '--map', 'path=url', '--map', 'status=code', '--map', 'alias=who'];

  it('maps fields given on the command line', () => {
    const r = runCli(['scan', '-p', 'rules/demo-policy.yaml', f, ...maps, '-o', 'ndjson']);
    const findings = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { row: string; key: string; path: string; time: string });
    expect(findings.map((x) => [x.row, x.key, x.path, x.time])).toEqual([
      ['invalid-for-role', 'analyst-alice', '/elastic/_security/user', '2025-11-19T09:00:00.000Z'],
      ['wrong-workstation', 'analyst-alice', '/elastic/logs/_search', '2025-11-19T09:00:01.000Z'],
    ]);
  });

  it('maps CSV columns by number when there is no header', () => {
    const csv = join(tmp, 'aws.csv');
    // AWS's CSV preset: sourceIp, caller, user, requestTime, httpMethod, resourcePath, protocol, status, ...
    writeFileSync(csv, '203.0.113.9,-,-,19/Nov/2026:09:00:00 +0000,GET,/elastic/_security/user,HTTP/1.1,401,0,req-1\n');
    const r = runCli(['scan', csv, '--map', 'ip=1', '--map', 'time=4:clf', '--map', 'method=5', '--map', 'path=6', '--map', 'status=8', '-o', 'json']);
    const doc = JSON.parse(r.stdout) as { summary: { files: { format: string; framing: string }[]; records: { parsed: number } } };
    expect(doc.summary.files[0]).toMatchObject({ format: 'custom', framing: 'csv' });
    expect(doc.summary.records.parsed).toBe(1);
  });

  it('reads a mapping file of the user\'s own', () => {
    const mapping = join(tmp, 'own.yml');
    writeFileSync(
      mapping,
      ['name: own-gateway', 'description: our gateway', 'container: json', 'detect: {all: [ts, client, verb]}', 'fields:', '  time: {from: ts, as: epoch-ms}', '  ip: client', '  method: verb', '  path: url', '  status: code', '  alias: who', ''].join('\n'),
    );
    const r = runCli(['scan', '-p', 'rules/demo-policy.yaml', f, '--mapping', mapping, '-o', 'json']);
    const doc = JSON.parse(r.stdout) as { summary: { files: { format: string }[]; findings: { total: number } } };
    expect(doc.summary.files[0]!.format).toBe('own-gateway');
    expect(doc.summary.findings.total).toBe(2);
  });

  it('a bad mapping file is exit 2 with file:line', () => {
    const bad = join(tmp, 'bad.yml');
    writeFileSync(bad, 'name: Bad Name\ncontainer: xml\ndetect: {all: [a]}\nfields:\n  time: {from: t, as: sundial}\n');
    const r = runCli(['scan', f, '--mapping', bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${bad}:1: name: name must be kebab-case`);
    expect(r.stderr).toContain(`${bad}:2: container: container must be one of json, csv, logfmt, clf`);
    expect(r.stderr).toContain(`${bad}:5: fields.time.as: 'sundial' is not a time layout`);
  });

  it.each([
    [['--map', 'colour=blue'], /--map 'colour=blue' is not canonical=field/],
    [['--map', 'ip=client'], /--map needs time=FIELD/],
    [['--log-timezone', 'Nowhere/Land'], /--log-timezone 'Nowhere\/Land' is not an IANA time zone/],
    [['--format', 'no-such-format'], /--format 'no-such-format' is unknown; formats: /],
  ])('%j is a usage error', (flags, message) => {
    const r = runCli(['scan', f, ...flags]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('reads zoneless times in --log-timezone', () => {
    const zoneless = join(tmp, 'zoneless.ndjson');
    writeFileSync(zoneless, readFileSync(f, 'utf8').replace('"ts":1763542800000', '"ts":"2026-11-19T10:00:00"'));
    const r = runCli(['detect', zoneless, ...maps.map((m) => (m === 'time=ts:epoch-ms' ? 'time=ts' : m)), '--log-timezone', 'Europe/Amsterdam', '-n', '1']);
    expect(r.stdout).toContain('When 2026-11-19T09:00:00.000Z');
  });
});

describe('a raw key in the logs is a finding of its own', () => {
  const RAW = 'sk_live_9Tq4Wm2Xv8Zr6Lp3';
  const f = join(tmp, 'exposed.ndjson');
  writeFileSync(
    f,
    [
      `{"ts":1763542800000,"client":"10.20.0.15","verb":"GET","url":"/elastic/logs/_search?api_key=${RAW}&q=1","code":200,"who":"alice"}`,
      `{"ts":1763542860000,"client":"10.20.0.15","verb":"GET","url":"/elastic/logs/_search?q=2","code":200,"who":"alice"}`,
    ].join('\n') + '\n',
  );
  const mapping = join(tmp, 'exposing.yml');
  writeFileSync(
    mapping,
    ['name: exposing-gateway', 'description: logs query strings', 'container: json', 'detect: {all: [ts, client]}', 'fields:', '  time: {from: ts, as: epoch-ms}', '  ip: client', '  method: verb', '  path: url', '  status: code', '  alias: who', 'exposure:', '  query: [api_key]', ''].join('\n'),
  );

  it('reports key-exposed with the response to rotate, never printing the key', () => {
    for (const output of ['table', 'json', 'ndjson']) {
      const r = runCli(['scan', '-p', 'rules/demo-policy.yaml', f, '--mapping', mapping, '-o', output]);
      expect(r.stdout + r.stderr).not.toContain(RAW);
    }
    const r = runCli(['scan', '-p', 'rules/demo-policy.yaml', f, '--mapping', mapping, '-o', 'ndjson']);
    const findings = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { row: string; key: string; responses: string[]; reasons: string[]; severity: string; line: number });
    expect(findings).toEqual([
      expect.objectContaining({
        row: 'key-exposed',
        key: 'analyst-alice',
        severity: 'high',
        line: 1,
        responses: ['Revoke API key & create new API key'],
        reasons: ['raw API key sk_l…6Lp3 in the log (query api_key): anyone who reads the logs can use it'],
      }),
    ]);
    const table = runCli(['scan', '-p', 'rules/demo-policy.yaml', f, '--mapping', mapping]).stdout;
    expect(table).toContain('key-exposed');
    expect(table).toMatch(/key-exposed\s+1\s+API key exposed in logs \(rotate it\)/);
  });
});
