import { describe, expect, it } from 'vitest';
import { Activity, MAX_CLIENTS } from '../../src/triage/activity.js';
import { request } from '../helpers/requests.js';

describe('Activity: clients', () => {
  it('tallies each user agent with its first and last use, a log without one as its own', () => {
    const a = new Activity(null);
    const seen = (userAgent: string, at: string, status: number, violating = false) =>
      a.add({ req: request({ userAgent, at, status }), findings: violating ? [{} as never] : [] });
    seen('soar-worker/4.2', '2026-11-19T01:00:00Z', 200);
    seen('curl/7.88.1', '2026-11-20T03:00:41Z', 200, true);
    seen('soar-worker/4.2', '2026-11-21T23:00:00Z', 403);
    seen('curl/7.88.1', '2026-11-20T03:31:47Z', 403, true);
    seen('', '2026-11-20T05:00:00Z', 0);
    expect([...a.clients.values()]).toEqual([
      { userAgent: 'soar-worker/4.2', first: Date.parse('2026-11-19T01:00:00Z'), last: Date.parse('2026-11-21T23:00:00Z'), violations: 0, requests: 2, succeeded: 1, blocked: 1, unknown: 0 },
      { userAgent: 'curl/7.88.1', first: Date.parse('2026-11-20T03:00:41Z'), last: Date.parse('2026-11-20T03:31:47Z'), violations: 2, requests: 2, succeeded: 1, blocked: 1, unknown: 0 },
      { userAgent: '', first: Date.parse('2026-11-20T05:00:00Z'), last: Date.parse('2026-11-20T05:00:00Z'), violations: 0, requests: 1, succeeded: 0, blocked: 0, unknown: 1 },
    ]);
  });

  it(`keeps ${MAX_CLIENTS} user agents and counts the requests of the rest together`, () => {
    const a = new Activity(null);
    for (let n = 0; n < MAX_CLIENTS + 30; n++) a.add({ req: request({ userAgent: `bot/${n}`, status: 200 }), findings: [] });
    expect(a.clients.size).toBe(MAX_CLIENTS);
    expect(a.otherClients).toEqual({ requests: 30, succeeded: 30, blocked: 0, unknown: 0 });
  });
});
