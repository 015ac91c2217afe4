import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { runInit } from '../../src/cli/commands/init.js';
import type { Io } from '../../src/cli/commands/scan.js';
import { draftPolicy, type Draft } from '../../src/init/draft.js';
import { TrafficLearner } from '../../src/init/learn.js';
import { InputError, UsageError } from '../../src/model/errors.js';
import type { Finding } from '../../src/model/finding.js';
import { hasAnyIdentity, identityGroup, maskSecret } from '../../src/normalise/identity.js';
import { readRequests } from '../../src/pipeline/requests.js';
import { scan } from '../../src/pipeline/scan.js';
import { parsePolicy } from '../../src/policy/load.js';
import { NetworkSet, parseRange } from '../../src/policy/networks.js';
import { ZoneClock } from '../../src/policy/zone.js';
import { expandInputs } from '../../src/read/sources.js';

const DEMO = 'fixtures/demo/tyk-analytics.ndjson';
const ZONE = 'Europe/Amsterdam';

async function draftDemo(): Promise<Draft> {
  const learner = new TrafficLearner({ clock: new ZoneClock(ZONE), prefix4: 24, prefix6: 64 });
  const read = await readRequests({ sources: expandInputs([DEMO]) }, (req) => learner.add(req));
  return draftPolicy(learner.finish(), { margin: 2, files: read.counters.files });
}

interface Callout {
  count: number;
  seen: number;
}

/** What the closing comment block of a draft lists, section by section, as the reviewer reads it. */
function readOutlierBlock(text: string) {
  const block = text.slice(text.indexOf('# Outliers left out (apiguard scan will report them):')).split('\n');
  const networks: (Callout & { key: string; cidr: string; set: NetworkSet })[] = [];
  const noKey = new Map<string, Callout>();
  const identities: (Callout & { line: string })[] = [];
  const unwritable: (Callout & { key: string; method: string })[] = [];
  let section = '';
  for (const line of block) {
    if (/^# [A-Z]/.test(line)) section = line;
    let m: RegExpExecArray | null;
    if (section.startsWith('# Networks') && (m = /^# {3}(\S+) from (\S+): (\d+) requests?, /.exec(line))) {
      const range = parseRange(m[2]!);
      if (typeof range === 'string') throw new Error(range);
      const set = new NetworkSet([m[2]!]);
      if (range.v === 4) set.addV4(range.start, range.end);
      else set.addV6(range.start, range.end);
      networks.push({ key: m[1]!, cidr: m[2]!, set, count: Number(m[3]), seen: 0 });
    } else if (section.startsWith('# Requests without any key') && (m = /^# {3}from (\S+): (\d+) requests?, /.exec(line))) {
      noKey.set(m[1]!, { count: Number(m[2]), seen: 0 });
    } else if (section.startsWith('# Identities') && (m = /^# {3}\S+: (\d+) requests?/.exec(line))) {
      identities.push({ line, count: Number(m[1]), seen: 0 });
    } else if (section.startsWith('# Actions') && (m = /^# {3}(\S+): (\d+) requests? with method "(.*)"/.exec(line))) {
      unwritable.push({ key: m[1]!, method: m[3]!, count: Number(m[2]), seen: 0 });
    }
  }
  return { networks, noKey, identities, unwritable };
}

describe('round trip on the demo: draft with init, scan with the draft', () => {
  let draft: Draft;
  let findings: Finding[];

  beforeAll(async () => {
    draft = await draftDemo();
    const policy = parsePolicy(draft.text, 'drafted.yaml');
    findings = [];
    await scan({ sources: expandInputs([DEMO]), policy, reorderWindowMs: 300_000, onFinding: (f) => findings.push(f) });
  });

  it('drafts a policy parsePolicy accepts, one entry per key seen', () => {
    const policy = parsePolicy(draft.text, 'drafted.yaml');
    expect(policy.keys.map((k) => k.name)).toEqual(['alice', 'bob', 'carol', 'key-dead-f00d', 'soar-enrichment', 'soar-playbooks']);
    expect(policy.timezone).toBe(ZONE);
    expect(draft).toMatchObject({ keys: 6, commentedKeys: 0, roles: 6 });
  });

  it('calls out the scanner without a key and the soar-playbooks key used from elsewhere', () => {
    const block = readOutlierBlock(draft.text);
    expect([...block.noKey]).toEqual([['203.0.113.50', { count: 40, seen: 0 }]]);
    expect(block.networks.map((n) => [n.key, n.cidr, n.count])).toEqual([
      ['soar-playbooks', '203.0.113.0/24', 12],
      ['soar-playbooks', '2001:db8:dead::/64', 2],
    ]);
    expect(block.identities).toEqual([]);
    expect(block.unwritable).toEqual([]);
  });

  it('finds nothing the outlier block does not call out, and everything it calls out', () => {
    const block = readOutlierBlock(draft.text);
    const unexpected: string[] = [];
    for (const f of findings) {
      const r = f.request;
      const what = `row ${f.row} ${f.keyLabel} ${r.ip} ${r.method} ${r.path} (${f.reasons.join('; ')})`;
      let callout: Callout | undefined;
      if (f.row === 'unauthenticated' && !hasAnyIdentity(r.identity)) callout = block.noKey.get(r.ip);
      else if (f.row === 'unauthenticated') callout = block.identities.find((i) => i.line.includes(maskSecret(identityGroup(r.identity).slice(2))));
      else if (f.row === 'wrong-workstation' || f.row === 'key-compromised') callout = block.networks.find((n) => n.key === f.keyLabel && n.set.contains(r.ip));
      else if (f.row === 'invalid-for-role') callout = block.unwritable.find((u) => u.key === f.keyLabel && u.method === r.method);
      if (callout) callout.seen++;
      else unexpected.push(what);
    }
    expect(unexpected).toEqual([]);
    const listed = [...block.networks, ...block.noKey.values(), ...block.identities, ...block.unwritable];
    expect(listed.filter((c) => c.seen !== c.count)).toEqual([]);
    expect(findings).toHaveLength(54);
  });

  it('is the same text every time', async () => {
    expect((await draftDemo()).text).toBe(draft.text);
  });
});

describe('runInit', () => {
  const io = (stdinTty = false) => {
    const out = { stdout: '', stderr: '' };
    const stdout = new PassThrough();
    stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
    const stderr = new PassThrough();
    stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
    const stdin = Object.assign(new PassThrough(), { isTTY: stdinTty });
    const value: Io = { stdout, stderr, stdin, env: {}, cwd: process.cwd() };
    return { io: value, out };
  };

  it('writes the draft to stdout and a one-line summary to stderr, exit 0', async () => {
    const { io: streams, out } = io();
    const code = await runInit([DEMO], { timezone: ZONE, prefix: '24', prefix6: '64', margin: '2' }, streams);
    expect(code).toBe(0);
    expect(out.stdout).toBe((await draftDemo()).text);
    expect(out.stderr).toBe('apiguard: drafted 6 keys, 6 roles from 1138 requests; review it before use\n');
  });

  it('takes numbers as the flags give them, text or number', async () => {
    const { io: streams, out } = io();
    await runInit([DEMO], { prefix: 16, prefix6: 48, margin: 3 }, streams);
    expect(out.stdout).toContain('timezone: UTC');
    expect(out.stdout).toContain('- 10.10.0.0/16');
    expect(out.stdout).toContain('- "2001:db8:42::/48"');
    expect(out.stdout).toContain('#   soar-playbooks from 2001:db8:dead::/48: 2 requests');
    expect(out.stdout).toContain('rate: 27/1m');
  });

  it.each([
    [{ prefix: '33' }, "--prefix '33' is not a prefix length from 0 to 32"],
    [{ prefix: '2x' }, "--prefix '2x'"],
    [{ prefix6: '129' }, "--prefix6 '129' is not a prefix length from 0 to 128"],
    [{ margin: '0.5' }, "--margin '0.5' is not a number from 1 to 1000"],
    [{ margin: 'lots' }, "--margin 'lots'"],
    [{ timezone: 'Mars/Olympus' }, "--timezone 'Mars/Olympus' is not an IANA time zone"],
    [{ format: 'apache' }, "--format 'apache' is unknown"],
  ])('refuses bad flags %o as a usage error', async (flags, message) => {
    const { io: streams } = io();
    const run = runInit([DEMO], flags, streams);
    await expect(run).rejects.toBeInstanceOf(UsageError);
    await expect(runInit([DEMO], flags, io().io)).rejects.toThrow(message);
  });

  it('refuses to read a terminal when no input is given', async () => {
    await expect(runInit([], {}, io(true).io)).rejects.toBeInstanceOf(UsageError);
  });

  it('is an input error when an input is missing or has no request, and drafts nothing then', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apiguard-init-'));
    await expect(runInit([join(dir, 'missing.ndjson')], {}, io().io)).rejects.toBeInstanceOf(InputError);
    const empty = join(dir, 'empty.ndjson');
    writeFileSync(empty, '\n');
    const { io: streams, out } = io();
    await expect(runInit([empty], {}, streams)).rejects.toThrow('no request could be read: the input has no records');
    expect(out.stdout).toBe('');
  });

  it('warns about skipped records as scan does, and still drafts from the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apiguard-init-'));
    const file = join(dir, 'mixed.ndjson');
    const record = '{"timestamp":"2026-11-19T10:00:00Z","api_key":"3f9a1c0d7be24e51","alias":"ops","ip_address":"10.1.1.1","method":"GET","original_path":"/a","response_code":200}';
    writeFileSync(file, `${record}\nnot json\n${record}\n`);
    const { io: streams, out } = io();
    expect(await runInit([file], {}, streams)).toBe(0);
    expect(out.stderr).toContain(`${file}:2: skipped: not valid JSON`);
    expect(out.stdout).toContain('mixed.ndjson: 2 requests (1 record skipped)');
    expect(out.stderr).toContain('drafted 1 key, 1 role from 2 requests');
  });
});
