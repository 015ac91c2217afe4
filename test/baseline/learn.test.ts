import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BaselineLearner, actionOf, foldActions } from '../../src/baseline/learn.js';
import { STATE_CAPS, fingerprint, serialiseState, type State } from '../../src/baseline/state.js';
import { runLearn } from '../../src/cli/commands/learn.js';
import type { Io } from '../../src/cli/commands/scan.js';
import { InputError, PolicyError, UsageError } from '../../src/model/errors.js';
import type { ApiRequest } from '../../src/model/request.js';
import { request } from '../helpers/requests.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-19T09:00:00Z');
const SOAR = { hash: 'a1b2c3d4e5f60718', alias: 'soar-playbooks' };
const FP = fingerprint({ key: '', ...SOAR, id: '' });

function learn(reqs: ApiRequest[], previous?: State): State {
  const learner = new BaselineLearner();
  for (const r of reqs) learner.add(r);
  return learner.finish(previous);
}

const hoursWith = (counts: Record<number, number>): number[] => Array.from({ length: 24 }, (_, h) => counts[h] ?? 0);

describe('BaselineLearner', () => {
  it('records per key its networks (/24, /64), generalised actions, UTC hours, hourly volume, days and alias', () => {
    const state = learn([
      request({ time: T0, identity: SOAR, ip: '10.10.5.2', method: 'GET', path: '/rt/REST/2.0/ticket/1001' }),
      request({ time: T0 + 60_000, identity: SOAR, ip: '10.10.5.3', method: 'GET', path: '/rt/REST/2.0/ticket/1002' }),
      request({ time: T0 + 2 * 60_000, identity: SOAR, ip: '2001:db8:42::15', method: 'POST', path: '/elastic/.alerts-security/_search' }),
      request({ time: T0 + HOUR, identity: SOAR, ip: '10.10.5.2', method: 'GET', path: '/virustotal/api/v3/files/44d88612fea8a8f36de82e1278abb02f' }),
      request({ time: T0 + 24 * HOUR, identity: SOAR, ip: '10.10.5.2', method: 'GET', path: '/rt/REST/2.0/ticket/1003' }),
    ]);
    expect(state).toEqual({
      version: 1,
      keys: {
        [FP]: {
          alias: 'soar-playbooks',
          requests: 5,
          first: '2026-11-19T09:00:00.000Z',
          last: '2026-11-20T09:00:00.000Z',
          days: 2,
          networks: { '10.10.5.0/24': 4, '2001:db8:42::/64': 1 },
          actions: { 'GET /rt/REST/2.0/ticket/*': 3, 'GET /virustotal/api/v3/files/*': 1, 'POST /elastic/.alerts-security/_search': 1 },
          hours: hoursWith({ 9: 4, 10: 1 }),
          volume: { '2026-11-19T09': 3, '2026-11-19T10': 1, '2026-11-20T09': 1 },
        },
      },
    });
  });

  it('folds a path position with more than 5 names into *, as apiguard init does', () => {
    const names = (n: number) => ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'].slice(0, n);
    const five = learn(names(5).map((u) => request({ identity: SOAR, path: `/elastic/_security/user/${u}` })));
    expect(Object.keys(five.keys[FP]!.actions)).toEqual(names(5).map((u) => `GET /elastic/_security/user/${u}`));
    const six = learn(names(6).map((u) => request({ identity: SOAR, path: `/elastic/_security/user/${u}` })));
    expect(six.keys[FP]!.actions).toEqual({ 'GET /elastic/_security/user/*': 6 });
  });

  it('does not learn requests without a key, nor those rejected for authentication', () => {
    const learner = new BaselineLearner();
    learner.add(request({ identity: {}, ip: '203.0.113.50' }));
    learner.add(request({ identity: { hash: '00000000' }, ip: '203.0.113.50' }));
    learner.add(request({ identity: SOAR, ip: '203.0.113.99', status: 401, authFailure: true }));
    learner.add(request({ time: T0, identity: SOAR, ip: '10.10.5.2' }));
    expect(learner.stats).toEqual({ requests: 1, keys: 1, noKey: 2, authFailure: 1, first: T0, last: T0 });
    expect(Object.keys(learner.finish().keys[FP]!.networks)).toEqual(['10.10.5.0/24']);
  });

  it('folds into a previous state: counts add up, days and span grow, the previous state is left as it was', () => {
    const day1 = learn([
      request({ time: T0, identity: SOAR, ip: '10.10.5.2' }),
      request({ time: T0 + HOUR, identity: SOAR, ip: '10.10.5.2' }),
    ]);
    const before = serialiseState(day1);
    const day2 = learn(
      [
        request({ time: T0 + 24 * HOUR, identity: { hash: SOAR.hash }, ip: '203.0.113.99', path: '/elastic/_cat/indices' }),
        request({ time: T0 + 30 * 60_000, identity: SOAR, ip: '10.10.5.9' }), // the first day again: no new day
      ],
      day1,
    );
    expect(serialiseState(day1)).toBe(before);
    expect(day2.keys[FP]).toEqual({
      alias: 'soar-playbooks', // kept from the previous learning: the new logs have none
      requests: 4,
      first: '2026-11-19T09:00:00.000Z',
      last: '2026-11-20T09:00:00.000Z',
      days: 2,
      networks: { '10.10.5.0/24': 3, '203.0.113.0/24': 1 },
      actions: { 'GET /elastic/_cat/indices': 1, 'GET /elastic/logs/_search': 3 },
      hours: hoursWith({ 9: 3, 10: 1 }),
      volume: { '2026-11-19T09': 2, '2026-11-19T10': 1, '2026-11-20T09': 1 },
    });
  });

  it('is deterministic: the same input gives the same bytes, and so does another order when nothing is evicted', () => {
    const reqs = Array.from({ length: 300 }, (_, i) =>
      request({
        time: T0 + i * 97_000,
        identity: i % 3 === 0 ? { id: 'k2alice', alias: 'alice' } : SOAR,
        ip: i % 7 === 0 ? '2001:db8:42::15' : `10.10.${i % 4}.${i % 200}`,
        method: i % 5 === 0 ? 'POST' : 'GET',
        path: `/rt/REST/2.0/ticket/${i}/${['history', 'comment', 'correspond'][i % 3]}`,
      }),
    );
    const text = serialiseState(learn(reqs));
    expect(serialiseState(learn(reqs))).toBe(text);
    expect(serialiseState(learn([...reqs].reverse()))).toBe(text);
    expect(Object.keys(learn(reqs).keys)).toEqual([fingerprint({ key: '', hash: '', id: 'k2alice', alias: 'alice' }), FP].sort());
  });
});

describe('bounded: a key with 10,000 distinct networks, paths and hours stays under the caps', () => {
  const N = 10_000;

  it('networks: the 64 most used are kept (ties by text), the rest counted as evicted', () => {
    const nets = Array.from({ length: N }, (_, i) => `10.${i >> 8}.${i & 255}`);
    const reqs = nets.map((n, i) => request({ time: T0 + i * 1000, identity: SOAR, ip: `${n}.7` }));
    // The last network is also used twice at the start: 3 requests, the most.
    reqs.unshift(request({ time: T0, identity: SOAR, ip: '10.39.15.1' }), request({ time: T0, identity: SOAR, ip: '10.39.15.2' }));
    const k = learn(reqs).keys[FP]!;
    expect(Object.keys(k.networks)).toHaveLength(STATE_CAPS.networks);
    const byText = nets.map((n) => `${n}.0/24`).sort();
    expect(Object.keys(k.networks)).toEqual([...byText.filter((n) => n !== '10.39.15.0/24').slice(0, 63), '10.39.15.0/24'].sort());
    expect(k.networks['10.39.15.0/24']).toBe(3);
    expect(k.evicted).toEqual({ networks: N + 2 - 3 - 63, actions: 0 });
  });

  it('paths of many names at one position fold into one action', () => {
    const name = (i: number): string => `user${String.fromCharCode(97 + (i % 26), 97 + ((i / 26) % 26 | 0), 97 + ((i / 676) % 26 | 0))}x`;
    const k = learn(Array.from({ length: N }, (_, i) => request({ identity: SOAR, path: `/elastic/_security/user/${name(i)}` }))).keys[FP]!;
    expect(k.actions).toEqual({ 'GET /elastic/_security/user/*': N });
  });

  it('paths that do not fold (never more than 5 names at a position): the 256 most used are kept', () => {
    const letters = ['a', 'b', 'c', 'd', 'e'];
    const path = (i: number): string => '/' + Array.from({ length: 6 }, (_, d) => letters[Math.floor(i / 5 ** d) % 5]).join('/');
    const k = learn(Array.from({ length: N }, (_, i) => request({ identity: SOAR, path: path(i) }))).keys[FP]!;
    expect(Object.keys(k.actions)).toHaveLength(STATE_CAPS.actions);
    expect(Object.keys(k.actions)).toEqual(Array.from({ length: N }, (_, i) => `GET ${path(i)}`).sort().slice(0, STATE_CAPS.actions));
    expect(k.evicted).toEqual({ networks: 0, actions: N - STATE_CAPS.actions });
  });

  it('hourly volume: the 168 most recent active hours', () => {
    const k = learn(Array.from({ length: N }, (_, i) => request({ time: T0 + i * HOUR, identity: SOAR }))).keys[FP]!;
    const labels = Object.keys(k.volume);
    expect(labels).toHaveLength(STATE_CAPS.volumeHours);
    expect(labels[0]).toBe(new Date(T0 + (N - 168) * HOUR).toISOString().slice(0, 13));
    expect(labels[167]).toBe(new Date(T0 + (N - 1) * HOUR).toISOString().slice(0, 13));
    expect(k.hours.reduce((a, b) => a + b, 0)).toBe(N);
    expect(k.days).toBe(418); // 2026-11-19 09:00 to 2028-01-10 00:00 UTC
  });

  it('the worst case: every list full of the longest entries a key can have, still a bounded file', () => {
    // 16 segments of 64 letters (the longest kept), at most 5 values per position (nothing folds).
    const seg = (i: number, d: number): string => String.fromCharCode(112 + ((Math.floor(i / 5 ** (d % 6)) + d) % 5)).repeat(64);
    const reqs = Array.from({ length: N }, (_, i) =>
      request({
        time: T0 + i * HOUR,
        identity: { ...SOAR, alias: 'a'.repeat(256) },
        ip: `2001:db8:${(i >> 8).toString(16)}:${(i & 255).toString(16)}::1`,
        method: 'M'.repeat(40),
        path: '/' + Array.from({ length: 16 }, (_, d) => seg(i, d)).join('/'),
      }),
    );
    const k = learn(reqs).keys[FP]!;
    expect([Object.keys(k.networks).length, Object.keys(k.actions).length, Object.keys(k.volume).length]).toEqual([64, 256, 168]);
    const bytes = serialiseState(learn(reqs)).length;
    expect(bytes).toBeGreaterThan(270_000);
    expect(bytes).toBeLessThan(300_000);
  });
});

describe('no raw key ever reaches the state', () => {
  // Letters only: generaliseSegment alone would keep it in a path.
  const RAW = 'SecretKeyAlphaBravoCharlieDelta';

  it('not as the key, nor in a path, nor as an alias, nor an exposed key elsewhere in the path', () => {
    const EXPOSED = 'OtherSecretKeyEchoFoxtrotGolf';
    const state = learn([
      request({ identity: { key: RAW }, path: `/keys/${RAW}/info` }),
      request({ identity: { key: RAW, alias: RAW }, path: `/keys/prefix-${RAW}` }),
      request({ identity: { key: RAW, alias: `${RAW}-alias` }, path: `/share/${EXPOSED}`, exposedKey: EXPOSED, exposedIn: 'query api_key' }),
    ]);
    const text = serialiseState(state);
    expect(text).not.toContain(RAW);
    expect(text).not.toContain(EXPOSED);
    const k = state.keys[fingerprint({ key: RAW, hash: '', id: '', alias: '' })]!;
    expect(k.actions).toEqual({ 'GET /keys/*': 1, 'GET /keys/*/info': 1, 'GET /share/*': 1 });
    expect(k.alias).toBeUndefined();
  });

  it('actionOf hides the request\'s raw key, keeps names, generalises ids', () => {
    expect(actionOf(request({ identity: { key: RAW }, method: 'DELETE', path: `/a/${RAW}/b/42` }))).toBe('DELETE /a/*/b/*');
    expect(actionOf(request({ method: 'GET', path: '/' }))).toBe('GET /');
    expect(actionOf(request({ method: '', path: '/x/' }))).toBe('- /x/');
    expect(actionOf(request({ path: '' }))).toBeNull();
  });

  it('actionOf keeps an action short: a segment over 64 characters is *, beyond 16 segments one final **', () => {
    expect(actionOf(request({ method: 'GET', path: `/files/${'x'.repeat(65)}/${'x'.repeat(64)}` }))).toBe(`GET /files/*/${'x'.repeat(64)}`);
    const deep = '/' + Array.from({ length: 40 }, (_, i) => `s${String.fromCharCode(97 + (i % 26))}`).join('/');
    expect(actionOf(request({ method: 'GET', path: deep }))).toBe('GET /sa/sb/sc/sd/se/sf/sg/sh/si/sj/sk/sl/sm/sn/so/sp/**');
    expect(actionOf(request({ method: 'GET', path: '/sa/sb/sc/sd/se/sf/sg/sh/si/sj/sk/sl/sm/sn/so/sp' }))).toBe('GET /sa/sb/sc/sd/se/sf/sg/sh/si/sj/sk/sl/sm/sn/so/sp');
    expect(actionOf(request({ method: 'X'.repeat(40), path: '/' }))).toBe(`${'X'.repeat(32)} /`);
  });
});

describe('foldActions', () => {
  it('a position already folded (it holds *) takes every value; a trailing empty segment stays', () => {
    expect(foldActions(new Map([['GET /a/*', 2], ['GET /a/b', 1], ['GET /a/', 1], ['POST /a/b', 1]]))).toEqual(
      new Map([['GET /a/*', 3], ['GET /a/', 1], ['POST /a/b', 1]]),
    );
  });
});

describe('runLearn', () => {
  const io = (stdinTty = true) => {
    const out = { stdout: '', stderr: '' };
    const stdout = new PassThrough();
    stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
    const stderr = new PassThrough();
    stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
    const stdin = Object.assign(new PassThrough(), { isTTY: stdinTty });
    const value: Io = { stdout, stderr, stdin, env: {}, cwd: process.cwd() };
    return { io: value, out };
  };

  /** A Tyk analytics log: every 10 minutes from 08:00 to 09:59 UTC, one key, plus one request without a key. */
  function tykLog(dir: string): string {
    const lines = Array.from({ length: 12 }, (_, i) =>
      JSON.stringify({
        method: 'GET',
        path: `/rt/REST/2.0/ticket/${1000 + i}`,
        raw_path: `/rt/REST/2.0/ticket/${1000 + i}`,
        response_code: 200,
        api_key: SOAR.hash,
        alias: SOAR.alias,
        timestamp: new Date(Date.parse('2026-11-19T08:00:00Z') + i * 600_000).toISOString(),
        ip_address: '10.10.5.2',
      }),
    );
    lines.push(JSON.stringify({ method: 'GET', path: '/', raw_path: '/', response_code: 401, api_key: '', alias: '', timestamp: '2026-11-19T09:59:00Z', ip_address: '203.0.113.50' }));
    const file = join(dir, 'tyk.ndjson');
    writeFileSync(file, lines.join('\n') + '\n');
    return file;
  }

  it('creates the state file, says what it learned in one line, and folds into it the next time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apiguard-learn-'));
    const log = tykLog(dir);
    const file = join(dir, 'state.json');
    const first = io();
    expect(await runLearn([log], { state: file }, first.io)).toBe(0);
    const bytes = statSync(file).size;
    expect(first.out.stderr).toBe(
      `apiguard: learned 1 key from 12 requests (2026-11-19 to 2026-11-19 UTC); not learned: 0 without a key, 1 rejected for authentication; ${file}: 1 key (1 new), ${bytes} bytes\n`,
    );
    expect(first.out.stdout).toBe('');
    const state = JSON.parse(readFileSync(file, 'utf8')) as State;
    expect(state.keys[FP]).toMatchObject({ alias: 'soar-playbooks', requests: 12, networks: { '10.10.5.0/24': 12 }, actions: { 'GET /rt/REST/2.0/ticket/*': 12 } });

    // Determinism: the same logs learned afresh give the same bytes.
    const again = join(dir, 'again.json');
    await runLearn([log], { state: again }, io().io);
    expect(readFileSync(again, 'utf8')).toBe(readFileSync(file, 'utf8'));

    const second = io();
    await runLearn([log], { state: file }, second.io);
    expect(second.out.stderr).toContain(`${file}: 1 key (0 new), `);
    expect((JSON.parse(readFileSync(file, 'utf8')) as State).keys[FP]!.requests).toBe(24);
  });

  it('requires --state', async () => {
    await expect(runLearn(['x.ndjson'], {}, io().io)).rejects.toThrow(new UsageError('--state FILE is required: the baseline state file to create or fold into'));
  });

  it('refuses a state file of another version or another kind before reading the logs, and leaves it untouched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apiguard-learn-'));
    const file = join(dir, 'state.json');
    writeFileSync(file, '{"version": 2, "keys": {}}\n');
    const run = runLearn([join(dir, 'missing.ndjson')], { state: file }, io().io);
    await expect(run).rejects.toBeInstanceOf(PolicyError);
    await expect(runLearn([join(dir, 'missing.ndjson')], { state: file }, io().io)).rejects.toThrow(`${file}: state version 2 is not supported`);
    expect(readFileSync(file, 'utf8')).toBe('{"version": 2, "keys": {}}\n');
    writeFileSync(file, 'version: 1\n');
    await expect(runLearn([tykLog(dir)], { state: file }, io().io)).rejects.toThrow(`${file}: not an apiguard state file`);
    expect(readFileSync(file, 'utf8')).toBe('version: 1\n');
  });

  it('writes no state after an incomplete read (it accumulates: a repaired file learned again would count twice)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apiguard-learn-'));
    const garbage = join(dir, 'garbage.log');
    writeFileSync(garbage, 'this is not a log line\nnor is this one\n');
    const file = join(dir, 'state.json');
    const run = runLearn([tykLog(dir), garbage], { state: file }, io().io);
    await expect(run).rejects.toBeInstanceOf(InputError);
    expect(existsSync(file)).toBe(false);
    await expect(runLearn([join(dir, 'missing.ndjson')], { state: file }, io().io)).rejects.toBeInstanceOf(InputError);
    expect(existsSync(file)).toBe(false);
  });

  it('refuses to read a terminal when no input is given', async () => {
    await expect(runLearn([], { state: 'state.json' }, io(true).io)).rejects.toThrow('no input: give log files or directories, or - for standard input');
  });
});
