import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

const DEMO = 'fixtures/demo/tyk-analytics.ndjson';
const POLICY = 'rules/demo-policy.yaml';
const tmp = mkdtempSync(join(tmpdir(), 'apiguard-scan-tickets-'));
const NOW = { APIGUARD_NOW: '2026-11-23T00:00:00Z' };

interface Ticket {
  Queue: string;
  Subject: string;
  Priority: number;
  Content: string;
  ContentType: string;
  CustomFields: Record<string, string>;
}
interface Doc {
  incidents: { id: string; key: string; row: string; severity: string; suppressed: unknown }[];
}

const readTickets = (dir: string): Map<string, Ticket> =>
  new Map(readdirSync(dir).map((name) => [name, JSON.parse(readFileSync(join(dir, name), 'utf8')) as Ticket]));

describe('scan --tickets DIR', () => {
  const dir = join(tmp, 'tickets');
  const r = runCli(['scan', '-p', POLICY, DEMO, '-o', 'json', '--tickets', dir]);
  const doc = JSON.parse(r.stdout) as Doc;
  const tickets = readTickets(dir);

  it('writes one ticket per open incident, named and tagged by the incident id, and says so', () => {
    expect(r.status).toBe(1);
    expect(doc.incidents.length).toBeGreaterThan(5);
    expect([...tickets.keys()].sort()).toEqual(doc.incidents.map((i) => `${i.id}.json`).sort());
    for (const i of doc.incidents) {
      const t = tickets.get(`${i.id}.json`)!;
      expect(t.CustomFields).toEqual({ 'apiguard Finding ID': i.id });
      expect(t.Subject.startsWith(`[apiguard ${i.id}] `)).toBe(true);
      expect(t.Subject).toContain(i.key);
      expect(t.Queue).toBe('API Security');
      expect(t.ContentType).toBe('text/plain');
      expect(Number.isInteger(t.Priority)).toBe(true);
    }
    expect(r.stderr).toContain(`apiguard: wrote ${doc.incidents.length} tickets to ${dir}/`);
  });

  it('gives the stolen key\'s incident the revoke action and the highest priority', () => {
    const compromised = doc.incidents.filter((i) => i.row === 'key-compromised');
    expect(compromised.length).toBeGreaterThan(0);
    for (const i of compromised) {
      const t = tickets.get(`${i.id}.json`)!;
      expect(t.Subject).toContain('Revoke API key & create new API key');
      expect(t.Priority).toBe(Math.max(...[...tickets.values()].map((x) => x.Priority)));
    }
  });

  it('writes the same bytes on a second run, and removes tickets the new run no longer finds', () => {
    const again = join(tmp, 'again');
    runCli(['scan', '-p', POLICY, DEMO, '--tickets', again, '--rt-queue', 'SOC Tier 2']);
    const first = readTickets(again);
    expect([...first.values()].every((t) => t.Queue === 'SOC Tier 2')).toBe(true);
    runCli(['scan', '-p', POLICY, DEMO, '--tickets', again, '--rt-queue', 'SOC Tier 2']);
    expect(readTickets(again)).toEqual(first);
    const before = readdirSync(again).map((n) => readFileSync(join(again, n), 'utf8'));
    runCli(['scan', '-p', POLICY, DEMO, '--tickets', again, '--rt-queue', 'SOC Tier 2']);
    expect(readdirSync(again).map((n) => readFileSync(join(again, n), 'utf8'))).toEqual(before);
    const narrow = runCli(['scan', '-p', POLICY, DEMO, '--tickets', again, '--until', '2026-11-18']);
    const kept = readdirSync(again).length;
    expect(kept).toBeLessThan(before.length);
    expect(narrow.stderr).toMatch(/removed \d+ of an earlier run that this scan did not find again/);
  });

  it('writes no ticket for a suppressed incident', () => {
    const file = join(tmp, 'accept.yaml');
    writeFileSync(
      file,
      'version: 1\nsuppressions:\n  - key: analyst-alice\n    row: when-violation\n    reason: on call\n    owner: soc@corp.example\n    expires: 2027-01-31\n',
    );
    const sdir = join(tmp, 'suppressed');
    const s = runCli(['scan', '-p', POLICY, DEMO, '-o', 'json', '--suppress', file, '--tickets', sdir], { env: NOW });
    const sdoc = JSON.parse(s.stdout) as Doc;
    const suppressed = sdoc.incidents.filter((i) => i.suppressed !== null);
    expect(suppressed.length).toBeGreaterThan(0);
    const names = new Set(readdirSync(sdir));
    for (const i of suppressed) expect(names.has(`${i.id}.json`)).toBe(false);
    expect(names.size).toBe(sdoc.incidents.length - suppressed.length);
  });

  it('never writes a raw key or a control character into a ticket', () => {
    const RAW_KEY = 'sk_live_4f8a1e6b9c2d7e3f5a0b';
    const log = join(tmp, 'hostile.ndjson');
    writeFileSync(
      log,
      JSON.stringify({
        method: 'DELETE',
        path: '/x',
        raw_path: '/x',
        original_path: `/elastic/\u001b]0;pwned\u0007/${RAW_KEY}`,
        response_code: 200,
        api_key: RAW_KEY,
        alias: 'evil\u001b[2J',
        timestamp: '2026-11-19T09:00:00Z',
        ip_address: '198.51.100.7',
        org_id: 'corp',
      }) + '\n',
    );
    const hdir = join(tmp, 'hostile');
    runCli(['scan', '-p', POLICY, log, '--tickets', hdir]);
    // An unknown key (row 1) and the raw key in the clear in the path (key-exposed).
    const bodies = [...readTickets(hdir).values()];
    expect(bodies.map((b) => b.Subject.replace(/^\[apiguard AG-[0-9a-f]{16}\] /, '')).sort()).toEqual([
      'Block API request: key sk_l…5a0b (alias evil\\x1b[2J) from 198.51.100.7 (API request not authenticated)',
      'Revoke API key & create new API key: key sk_l…5a0b from 198.51.100.7 (API key exposed in logs)',
    ]);
    for (const name of readdirSync(hdir)) expect(readFileSync(join(hdir, name), 'utf8')).not.toContain(RAW_KEY);
    for (const b of bodies) {
      // eslint-disable-next-line no-control-regex
      for (const v of [b.Subject, b.Content]) expect(v).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
      expect(b.Content).toContain('DELETE /elastic/\\x1b]0;pwned\\x07/sk_l…5a0b');
    }
  });

  it('refuses a ticket directory it cannot create (exit 2, naming it)', () => {
    const file = join(tmp, 'plain-file');
    writeFileSync(file, '');
    const bad = runCli(['scan', '-p', POLICY, DEMO, '--tickets', join(file, 'x')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(`cannot write tickets to ${join(file, 'x')}`);
  });
});
