import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BaselineChecks, hoursText } from '../../src/baseline/checks.js';
import { BaselineLearner } from '../../src/baseline/learn.js';
import { fingerprint, parseState, readState, serialiseState, type State } from '../../src/baseline/state.js';
import { runLearn } from '../../src/cli/commands/learn.js';
import type { Io } from '../../src/cli/commands/scan.js';
import type { ApiRequest } from '../../src/model/request.js';
import { readRequests } from '../../src/pipeline/requests.js';
import { expandInputs } from '../../src/read/sources.js';
import { request } from '../helpers/requests.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY1 = Date.parse('2026-11-19T00:00:00Z');
const DAY2 = DAY1 + 24 * HOUR;

// ---------------------------------------------------------------------------------------------
// The round-trip fixture: two days of Tyk analytics records, generated.

const SOAR = { key: '5e1f0a2b3c4d5e6f', alias: 'soar-playbooks' }; // 16 hex digits: Tyk logs a hash
const ALICE = { key: '9f2c4e6a8b0d1f35', alias: 'alice' };
const CAROL = { key: 'c0ffee00c0ffee00', alias: 'carol' }; // only on day 2: not in the state

interface Rec {
  at: number;
  key: string;
  alias: string;
  ip: string;
  method: string;
  path: string;
  /** The request of a key that moved to a new network at a new hour. */
  moved?: true;
}

/**
 * One day of traffic: the SOAR key every 10 minutes 08:00–17:59 UTC from 10.10.5.2/.3 (60
 * requests: alert searches and ticket reads), the analyst every 15 minutes 09:00–16:59 from
 * 2001:db8:42::15 (32 file lookups). With `moved`, the SOAR key is also used at 03:00–03:40 from
 * 203.0.113.99, for its usual alert search: a new network at a new hour, nothing else new; and a
 * key never learned (carol) appears.
 */
function dayOfTraffic(start: number, moved: boolean): Rec[] {
  const recs: Rec[] = [];
  for (let h = 8; h < 18; h++) {
    for (let m = 0; m < 60; m += 10) {
      const search = m % 20 === 0;
      recs.push({
        at: start + h * HOUR + m * MIN,
        ...SOAR,
        ip: `10.10.5.${2 + ((m / 10) % 2)}`,
        method: search ? 'POST' : 'GET',
        path: search ? '/elastic/.alerts-security/_search' : `/rt/REST/2.0/ticket/${1000 + h * 6 + m / 10}`,
      });
    }
  }
  for (let h = 9; h < 17; h++) {
    for (let m = 0; m < 60; m += 15) {
      recs.push({ at: start + h * HOUR + m * MIN + 30_000, ...ALICE, ip: '2001:db8:42::15', method: 'GET', path: `/virustotal/api/v3/files/${(h * 60 + m).toString(16).padStart(64, '0')}` });
    }
  }
  if (moved) {
    for (let m = 0; m <= 40; m += 10) {
      recs.push({ at: start + 3 * HOUR + m * MIN, ...SOAR, ip: '203.0.113.99', method: 'POST', path: '/elastic/.alerts-security/_search', moved: true });
    }
    for (let m = 0; m < 3; m++) recs.push({ at: start + 10 * HOUR + m * MIN + 5_000, ...CAROL, ip: '10.30.1.7', method: 'GET', path: '/rt/REST/2.0/queues/all' });
  }
  return recs.sort((a, b) => a.at - b.at);
}

function tykLine(r: Rec): string {
  return JSON.stringify({
    method: r.method,
    path: r.path,
    raw_path: r.path,
    response_code: 200,
    api_key: r.key,
    alias: r.alias,
    timestamp: new Date(r.at).toISOString(),
    ip_address: r.ip,
    request_time: 20,
  });
}

function writeDay(dir: string, name: string, recs: Rec[]): string {
  const file = join(dir, name);
  writeFileSync(file, recs.map(tykLine).join('\n') + '\n');
  return file;
}

function io(): { io: Io; stderr: () => string } {
  let err = '';
  const stderr = new PassThrough();
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const value: Io = { stdout: new PassThrough(), stderr, stdin: Object.assign(new PassThrough(), { isTTY: true }), env: {}, cwd: process.cwd() };
  return { io: value, stderr: () => err };
}

async function requestsOf(file: string): Promise<ApiRequest[]> {
  const out: ApiRequest[] = [];
  await readRequests({ sources: expandInputs([file]) }, (r) => out.push(r));
  return out;
}

const SOAR_NET = 'new network 203.0.113.0/24 for this key (learned from 60 requests on 1 day: 10.10.5.0/24; rule: a /24 or /64 the key did not use while learning)';
const SOAR_HOUR = 'new hour 03:00 UTC for this key (learned from 60 requests on 1 day: 08:00–17:59 UTC; rule: an hour of day the key did not use while learning)';

describe('round trip: learn day 1 with apiguard learn, check day 2', () => {
  it('flags exactly the requests of the key that moved to a new network at a new hour, with both reasons', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apiguard-baseline-'));
    const day1 = writeDay(dir, 'day1.ndjson', dayOfTraffic(DAY1, false));
    const day2Recs = dayOfTraffic(DAY2, true);
    const day2 = writeDay(dir, 'day2.ndjson', day2Recs);
    const stateFile = join(dir, 'state.json');
    const learn = io();
    expect(await runLearn([day1], { state: stateFile }, learn.io)).toBe(0);
    expect(learn.stderr()).toMatch(/^apiguard: learned 2 keys from 92 requests \(2026-11-19 to 2026-11-19 UTC\); .*state\.json: 2 keys \(2 new\), \d+ bytes\n$/);

    const checks = new BaselineChecks(readState(stateFile));
    const flagged: { line: number; reasons: string[]; groups: string[] }[] = [];
    for (const req of await requestsOf(day2)) {
      const v = checks.judge(req);
      if (!v.valid) flagged.push({ line: req.line, reasons: v.reasons, groups: v.groups });
    }
    const movedLines = day2Recs.flatMap((r, i) => (r.moved ? [i + 1] : []));
    expect(movedLines).toEqual([1, 2, 3, 4, 5]);
    expect(flagged).toEqual(
      movedLines.map((line) => ({ line, reasons: [SOAR_NET, SOAR_HOUR], groups: ['new network 203.0.113.0/24', 'new hour 03:00 UTC'] })),
    );
    // carol was never learned: not judged, counted
    expect(checks.unjudged).toEqual({ notInState: 3, littleHistory: 0 });
  });

  it('after folding day 2 into the state (as --update-state does), day 2 is usual', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apiguard-baseline-'));
    const stateFile = join(dir, 'state.json');
    const day2 = writeDay(dir, 'day2.ndjson', dayOfTraffic(DAY2, true));
    await runLearn([writeDay(dir, 'day1.ndjson', dayOfTraffic(DAY1, false))], { state: stateFile }, io().io);
    await runLearn([day2], { state: stateFile }, io().io);
    const state = readState(stateFile);
    const soar = state.keys[fingerprint({ key: '', hash: SOAR.key, id: '', alias: SOAR.alias })]!;
    expect(soar.networks).toEqual({ '10.10.5.0/24': 120, '203.0.113.0/24': 5 });
    expect(soar.days).toBe(2);
    const checks = new BaselineChecks(state);
    expect((await requestsOf(day2)).filter((r) => !checks.judge(r).valid)).toEqual([]);
    expect(checks.unjudged).toEqual({ notInState: 0, littleHistory: 3 }); // carol: 3 learned requests, under 20
  });

  it('checks the same from a state read back from its bytes as from the learner', () => {
    const toReq = (r: Rec): ApiRequest => request({ time: r.at, identity: { hash: r.key, alias: r.alias }, ip: r.ip, method: r.method, path: r.path });
    const learner = new BaselineLearner();
    for (const r of dayOfTraffic(DAY1, false)) learner.add(toReq(r));
    const state = learner.finish();
    const fromBytes = parseState(serialiseState(state), 'state.json');
    const day2 = dayOfTraffic(DAY2, true).map(toReq);
    const a = new BaselineChecks(state);
    const b = new BaselineChecks(fromBytes);
    expect(day2.map((r) => b.judge(r))).toEqual(day2.map((r) => a.judge(r)));
    expect(day2.filter((r) => !new BaselineChecks(fromBytes).judge(r).valid)).toHaveLength(5);
  });
});

// ---------------------------------------------------------------------------------------------
// Each check on its own, against a hand-made state.

const KEY = { hash: 'a1b2c3d4e5f60718', alias: 'soar-playbooks' };
const FP = fingerprint({ key: '', id: '', ...KEY });

/** A state for KEY: 10 learned hours (08:00–17:59 on 2026-11-19 and -20) with `perHour` requests each. */
function learnedState(perHour: number[] = [40, 38, 42, 40, 41, 39, 40, 44, 36, 40]): State {
  const learner = new BaselineLearner();
  perHour.forEach((n, i) => {
    for (let j = 0; j < n; j++) {
      learner.add(
        request({
          time: DAY1 + (i < 5 ? 0 : 24 * HOUR) + (8 + i) * HOUR + j * 1000,
          identity: KEY,
          ip: j % 4 === 0 ? '2001:db8:42::15' : '10.10.5.2',
          method: j % 2 ? 'GET' : 'POST',
          path: j % 2 ? `/rt/REST/2.0/ticket/${1000 + j}` : '/elastic/.alerts-security/_search',
        }),
      );
    }
  });
  return learner.finish();
}

const usual = (time: number, over: Partial<Parameters<typeof request>[0]> = {}): ApiRequest =>
  request({ time, identity: KEY, ip: '10.10.5.9', method: 'GET', path: '/rt/REST/2.0/ticket/9999', ...over });

describe('BaselineChecks', () => {
  it('a usual request is valid; generalised paths match learned patterns', () => {
    const checks = new BaselineChecks(learnedState());
    expect(checks.judge(usual(DAY2 + 9 * HOUR))).toEqual({ valid: true, reasons: [], groups: [] });
    expect(checks.judge(usual(DAY2 + 9 * HOUR, { ip: '2001:db8:42::99', method: 'POST', path: '/elastic/.alerts-security/_search' })).valid).toBe(true);
  });

  it('a new action names it generalised, what was learned and the rule', () => {
    const checks = new BaselineChecks(learnedState());
    expect(checks.judge(usual(DAY2 + 9 * HOUR, { method: 'DELETE', path: '/elastic/_security/user/bob' }))).toEqual({
      valid: false,
      reasons: [
        'new action DELETE /elastic/_security/user/bob for this key (learned from 400 requests on 2 days: POST /elastic/.alerts-security/_search, GET /rt/REST/2.0/ticket/*; rule: a method and path, generalised as apiguard init does, the key did not use while learning)',
      ],
      groups: ['new action DELETE /elastic/_security/user/bob'],
    });
    // another method on a learned path, and a deeper path, are new too
    expect(checks.judge(usual(DAY2 + 9 * HOUR, { method: 'DELETE', path: '/rt/REST/2.0/ticket/17' })).groups).toEqual(['new action DELETE /rt/REST/2.0/ticket/*']);
    expect(checks.judge(usual(DAY2 + 9 * HOUR, { path: '/rt/REST/2.0/ticket/17/history' })).groups).toEqual(['new action GET /rt/REST/2.0/ticket/*/history']);
    // a learned * (ids, or a folded position) takes any one segment, as the drafted policy's pattern would
    expect(checks.judge(usual(DAY2 + 9 * HOUR, { path: '/rt/REST/2.0/ticket/all' })).valid).toBe(true);
    expect(checks.judge(usual(DAY2 + 9 * HOUR, { path: '/rt/REST/2.0/ticket/' })).groups).toEqual(['new action GET /rt/REST/2.0/ticket/']);
  });

  it('a request with every kind of anomaly gives every reason, in order: network, action, hour', () => {
    const v = new BaselineChecks(learnedState()).judge(usual(DAY2 + 3 * HOUR, { ip: '198.51.100.7', method: 'PUT', path: '/x' }));
    expect(v.groups).toEqual(['new network 198.51.100.0/24', 'new action PUT /x', 'new hour 03:00 UTC']);
    expect(v.reasons[0]).toBe('new network 198.51.100.0/24 for this key (learned from 400 requests on 2 days: 10.10.5.0/24, 2001:db8:42::/64; rule: a /24 or /64 the key did not use while learning)');
  });

  it('hourly volume: judged on the running count of the current hour, from the first request over 5× the median (and over 20)', () => {
    const checks = new BaselineChecks(learnedState()); // median of 40 per active hour over 10 hours
    const hour = DAY2 + 9 * HOUR;
    const out = Array.from({ length: 240 }, (_, i) => checks.judge(usual(hour + i * 10_000)));
    expect(out.findIndex((v) => !v.valid)).toBe(200); // the 201st
    expect(out[200]).toEqual({
      valid: false,
      reasons: ['hourly volume 201 (09:00–09:59 UTC so far), 5.03× its learned median of 40 per active hour over 10 hours (rule: more than 5× and more than 20)'],
      groups: ['hourly volume over 5× the learned median'],
    });
    expect(out[239]!.reasons).toEqual(['hourly volume 240 (09:00–09:59 UTC so far), 6× its learned median of 40 per active hour over 10 hours (rule: more than 5× and more than 20)']);
    // a new hour starts from zero; a request from the hour before (late) is not counted
    expect(checks.judge(usual(hour + HOUR)).valid).toBe(true);
    expect(checks.judge(usual(hour + 30 * MIN)).valid).toBe(true);
  });

  it('hourly volume needs more than 20 as well: a quiet key is not flagged at 6 requests', () => {
    const checks = new BaselineChecks(learnedState([4, 4, 4, 4, 4, 4]));
    const out = Array.from({ length: 22 }, (_, i) => checks.judge(usual(DAY1 + 8 * HOUR + i * 1000)));
    expect(out.findIndex((v) => !v.valid)).toBe(20); // the 21st: more than 5 × 4 and more than 20
  });

  it('hourly volume needs 6 learned hours', () => {
    const checks = new BaselineChecks(learnedState([40, 40, 40, 40, 40]));
    expect(Array.from({ length: 400 }, (_, i) => checks.judge(usual(DAY2 + 9 * HOUR + i * 1000))).every((v) => v.valid)).toBe(true);
  });

  it('keys not in the state, and keys learned from fewer than 20 requests, are not judged but counted', () => {
    const checks = new BaselineChecks(learnedState([19]));
    expect(checks.judge(usual(DAY2 + 3 * HOUR, { ip: '198.51.100.7' })).valid).toBe(true);
    expect(checks.judge(usual(DAY2 + 3 * HOUR, { identity: { hash: 'ffffffffffffffff' } })).valid).toBe(true);
    expect(checks.unjudged).toEqual({ notInState: 1, littleHistory: 1 });
    const twenty = new BaselineChecks(learnedState([20]));
    expect(twenty.judge(usual(DAY2 + 3 * HOUR)).groups).toEqual(['new hour 03:00 UTC']);
  });

  it('requests without a key, or rejected for authentication, are not the baseline\'s business and not counted', () => {
    const checks = new BaselineChecks(learnedState());
    expect(checks.judge(usual(DAY2 + 3 * HOUR, { identity: {} })).valid).toBe(true);
    expect(checks.judge(usual(DAY2 + 3 * HOUR, { status: 401, authFailure: true, ip: '198.51.100.7' })).valid).toBe(true);
    expect(checks.unjudged).toEqual({ notInState: 0, littleHistory: 0 });
  });

  it('a raw key is found by its fingerprint, and never appears in a reason', () => {
    const RAW = 'SecretKeyAlphaBravoCharlieDelta';
    const learner = new BaselineLearner();
    for (let i = 0; i < 30; i++) learner.add(request({ time: DAY1 + 9 * HOUR + i * 1000, identity: { key: RAW } }));
    const v = new BaselineChecks(learner.finish()).judge(request({ time: DAY1 + 9 * HOUR, identity: { key: RAW }, method: 'GET', path: `/keys/${RAW}` }));
    expect(v.groups).toEqual(['new action GET /keys/*']);
    expect(v.reasons.join('\n')).not.toContain(RAW);
  });

  it('a capped list says so', () => {
    const state = learnedState();
    state.keys[FP]!.evicted = { networks: 7, actions: 0 };
    const v = new BaselineChecks(state).judge(usual(DAY2 + 9 * HOUR, { ip: '198.51.100.7' }));
    expect(v.reasons).toEqual([
      'new network 198.51.100.0/24 for this key (learned from 400 requests on 2 days: 10.10.5.0/24, 2001:db8:42::/64 (the 2 most used; 7 requests elsewhere were not kept); rule: a /24 or /64 the key did not use while learning)',
    ]);
  });
});

describe('hoursText', () => {
  it.each([
    [[8, 9, 10, 14], '08:00–10:59, 14:00–14:59 UTC'],
    [[22, 23, 0, 1, 12], '12:00–12:59, 22:00–01:59 UTC'],
    [[0], '00:00–00:59 UTC'],
    [Array.from({ length: 24 }, (_, h) => h), 'every hour UTC'],
  ])('%j → %s', (active, text) => {
    expect(hoursText(Array.from({ length: 24 }, (_, h) => (active.includes(h) ? 1 : 0)))).toBe(text);
  });
});
