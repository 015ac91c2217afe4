import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { tykRecord } from '../helpers/tyk-record.js';

const DEMO = 'fixtures/demo/tyk-analytics.ndjson';
const POLICY = 'rules/demo-policy.yaml';
const tmp = mkdtempSync(join(tmpdir(), 'apiguard-safety-'));

const record = tykRecord;

describe('attacker-controlled fields', () => {
  const RAW_KEY = 'sk_live_4f8a1e6b9c2d7e3f5a0b';
  const file = join(tmp, 'hostile.ndjson');
  writeFileSync(
    file,
    [
      // an unknown raw key (not hash-shaped), with an escape sequence in the alias and the path
      record({ api_key: RAW_KEY, alias: 'evil\u001b[2J\u009b31m', original_path: `/elastic/\u001b]0;pwned\u0007/${RAW_KEY}` }),
      // a bidi override in the path of a known key from the wrong place
      record({ ip_address: '203.0.113.9', original_path: '/rt/REST/2.0/ticket/1\u202egpj.exe' }),
    ].join('\n') + '\n',
  );

  for (const output of ['table', 'json', 'ndjson']) {
    it(`${output}: no raw control characters and no whole raw key reach stdout or stderr`, () => {
      const r = runCli(['scan', '-p', POLICY, file, '-o', output, '--fail-on', 'none']);
      expect(r.status).toBe(0);
      for (const text of [r.stdout, r.stderr]) {
        // eslint-disable-next-line no-control-regex
        expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
        expect(text).not.toContain(RAW_KEY);
      }
      expect(r.stdout).toContain('sk_l…3f5a0b'.slice(0, 5));
    });
  }

  it('detect and the skip warnings do not print the key either', () => {
    const broken = join(tmp, 'broken-with-key.ndjson');
    writeFileSync(broken, `not json ${RAW_KEY}\n${record({ api_key: RAW_KEY, alias: '', original_path: `/keys/${RAW_KEY}` })}\n`);
    const detect = runCli(['detect', broken]);
    expect(detect.stdout).toContain('line 1: skipped: not valid JSON');
    expect(detect.stdout).toContain('What GET /keys/sk_l…5a0b');
    const scan = runCli(['scan', '-p', POLICY, broken, '--fail-on', 'none']);
    for (const text of [detect.stdout, detect.stderr, scan.stdout, scan.stderr]) expect(text).not.toContain(RAW_KEY);
  });

  it('shows escapes visibly instead', () => {
    const r = runCli(['scan', '-p', POLICY, file, '-o', 'ndjson', '--fail-on', 'none']);
    expect(r.stdout).toContain('\\\\x1b]0;pwned\\\\x07');
    expect(r.stdout).toContain('\\\\u202e');
  });
});

describe('colour', () => {
  it('FORCE_COLOR forces it even when piped', () => {
    expect(runCli(['scan', '-p', POLICY, DEMO], { env: { FORCE_COLOR: '1' } }).stdout).toContain('\x1b[');
  });
  it('NO_COLOR and --no-color turn it off; --no-color beats FORCE_COLOR', () => {
    expect(runCli(['scan', '-p', POLICY, DEMO], { env: { NO_COLOR: '1' } }).stdout).not.toContain('\x1b[');
    expect(runCli(['scan', '-p', POLICY, DEMO, '--no-color'], { env: { FORCE_COLOR: '1' } }).stdout).not.toContain('\x1b[');
  });
});

