/**
 * The real round trip against a real Request Tracker 5 (Debian's request-tracker5, SQLite,
 * rt-server on 127.0.0.1), started by scripts/rt-test-server.sh: install (root; skipped when
 * installed) and start (reuses a running server). .ci/run starts it before `npm test`; on a
 * developer's machine this file starts it itself. When RT cannot be had, the tests FAIL with what
 * to run: a skipped check would hide exactly the silent failures this exists to catch.
 *
 * It is the only test file that pays RT's start-up, and it runs its tests one after another
 * against one RT. Tickets left active by an earlier run are resolved first, so runs can repeat
 * (two runs at the same moment against the same RT would see each other's tickets).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readTicketDir, writeTicketDir } from '../../src/tickets/files.js';
import { activeTicketQuery, queryString } from '../../src/tickets/rt-client.js';
import { FINDING_ID_FIELD, type TicketBody } from '../../src/tickets/ticket.js';
import { ROOT, runCli } from '../helpers/run-cli.js';

const SCRIPT = 'scripts/rt-test-server.sh';
const HOW = `run: sudo bash ${SCRIPT} install && bash ${SCRIPT} start`;

interface Rt {
  url: string;
  token: string;
}

/** Installs (when missing and possible) and starts RT through the repo's script; throws what to run when it cannot. */
function startRt(): Rt {
  for (const step of ['install', 'start']) {
    const r = spawnSync('bash', [SCRIPT, step], { cwd: ROOT, encoding: 'utf8', timeout: 9 * 60_000 });
    if (r.status !== 0) {
      const why = (r.stderr || r.error?.message || '').trim().split('\n').slice(-8).join('\n');
      throw new Error(`Request Tracker 5 is needed for this test and could not be had (${SCRIPT} ${step} failed):\n${why}\nTo fix, ${HOW}`);
    }
    if (step === 'start') {
      const env = Object.fromEntries([...r.stdout.matchAll(/^export (RT_URL|RT_TOKEN)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
      if (!env.RT_URL || !env.RT_TOKEN) throw new Error(`${SCRIPT} start printed no RT_URL/RT_TOKEN exports:\n${r.stdout}`);
      return { url: env.RT_URL, token: env.RT_TOKEN };
    }
  }
  throw new Error('unreachable');
}

/** RT's own API, read directly (not through apiguard's client), to check what RT holds. */
async function api(rt: Rt, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any; location: string | null }> {
  const res = await fetch(`${rt.url}/REST/2.0${path}`, {
    method,
    redirect: 'manual',
    headers: { Authorization: `token ${rt.token}`, 'User-Agent': 'apiguard-integration-test', ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json, location: res.headers.get('location') };
}

async function search(rt: Rt, query: string): Promise<number[]> {
  const r = await api(rt, 'GET', `/tickets${queryString({ query, per_page: '100', orderby: 'id', order: 'ASC' })}`);
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return (r.json.items as { id: string }[]).map((i) => Number(i.id));
}

async function resolve(rt: Rt, ids: number[]): Promise<void> {
  for (const id of ids) expect((await api(rt, 'PUT', `/ticket/${id}`, { Status: 'resolved' })).status).toBe(200);
}

/** Active tickets anywhere in RT carrying the finding id (any queue). */
const activeWithId = (rt: Rt, id: string): Promise<number[]> => search(rt, `'CF.{${FINDING_ID_FIELD}}' = '${id}' AND Status = '__Active__'`);

const idOf = (t: TicketBody): string => t.CustomFields[FINDING_ID_FIELD]!;

/** The demo's tickets on disk, as `scan --tickets DIR` writes them. */
async function writeDemoTickets(dir: string): Promise<TicketBody[]> {
  const r = runCli(['scan', '--policy', 'rules/demo-policy.yaml', 'fixtures/demo/tyk-analytics.ndjson', '--tickets', dir, '--output', 'json']);
  expect(r.status, r.stderr).toBe(1); // the demo has findings
  return readTicketDir(dir).entries.map((e) => {
    expect(e.problem).toBeUndefined();
    return e.ticket!;
  });
}

describe('tickets push against a real RT 5', () => {
  let rt: Rt;
  let dir: string;
  let tickets: TicketBody[];
  const created = new Map<string, number>();
  // Why RT could not be had: every test then fails with it (a failing beforeAll would only mark them skipped).
  let unavailable: Error | undefined;
  const needRt = (): void => {
    if (unavailable) throw unavailable;
  };

  beforeAll(async () => {
    try {
      rt = startRt();
    } catch (e) {
      unavailable = e as Error;
      return;
    }
    dir = mkdtempSync(join(tmpdir(), 'apiguard-rt-'));
    tickets = await writeDemoTickets(dir);
    expect(tickets.length).toBeGreaterThan(3);
    // Start clean whatever an earlier run left: no active ticket carries a demo finding id.
    for (const t of tickets) await resolve(rt, await activeWithId(rt, idOf(t)));
  }, 10 * 60_000);

  afterAll(async () => {
    if (rt) for (const t of tickets ?? []) await resolve(rt, await activeWithId(rt, idOf(t)));
  }, 5 * 60_000);

  beforeEach(needRt);

  const push = (ticketDir: string, env: Record<string, string> = {}) => runCli(['tickets', 'push', ticketDir, '--rt-url', rt.url], { env: { RT_TOKEN: rt.token, ...env } });

  it('first push creates one ticket per finding, with the custom field, queue, subject and an integer priority', async () => {
    const r = push(dir);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toBe(`${tickets.length} ticket files: ${tickets.length} created, 0 commented on`);
    for (const t of tickets) {
      const m = new RegExp(`^${idOf(t)}\\.json  created #(\\d+)$`, 'm').exec(r.stdout);
      expect(m, `no 'created' line for ${idOf(t)} in:\n${r.stdout}`).not.toBeNull();
      created.set(idOf(t), Number(m![1]));
    }
    for (const t of tickets) {
      const n = created.get(idOf(t))!;
      expect(await activeWithId(rt, idOf(t))).toEqual([n]);
      const got = (await api(rt, 'GET', `/ticket/${n}`)).json;
      expect(got.CustomFields.find((cf: { name: string }) => cf.name === FINDING_ID_FIELD).values).toEqual([idOf(t)]);
      expect(got.Priority).toBe(String(t.Priority));
      expect(got.Priority).toMatch(/^\d+$/);
      expect(got.Subject).toBe(t.Subject);
      expect((await api(rt, 'GET', `/queue/${got.Queue.id}`)).json.Name).toBe('API Security');
    }
  }, 5 * 60_000);

  it('second push comments on the same tickets instead of opening duplicates', async () => {
    expect(created.size).toBe(tickets.length);
    const r = push(dir);
    expect(r.status).toBe(0);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(`${tickets.length} ticket files: 0 created, ${tickets.length} commented on`);
    for (const t of tickets) {
      const n = created.get(idOf(t))!;
      expect(r.stdout).toContain(`${idOf(t)}.json  commented on #${n} (already open: observed again)\n`);
      expect(await activeWithId(rt, idOf(t))).toEqual([n]);
      const history = (await api(rt, 'GET', `/ticket/${n}/history?fields=Type&per_page=100`)).json.items as { Type: string; id: string }[];
      expect(history.filter((x) => x.Type === 'Create')).toHaveLength(1);
      const comments = history.filter((x) => x.Type === 'Comment');
      expect(comments).toHaveLength(1);
      const parts = (await api(rt, 'GET', `/transaction/${comments[0]!.id}/attachments?fields=Content,ContentType`)).json.items as { Content: string; ContentType: string }[];
      expect(parts.some((p) => p.ContentType === 'text/plain' && p.Content.startsWith(`apiguard `) && p.Content.includes(`observed finding ${idOf(t)} again.`))).toBe(true);
    }
  }, 5 * 60_000);

  it('reports the custom field RT silently drops in a queue it is not applied to (exit 3)', async () => {
    const bare = mkdtempSync(join(tmpdir(), 'apiguard-rt-bare-'));
    const t = { ...tickets[0]!, Queue: 'apiguard no CF' };
    writeTicketDir(bare, [t]);
    const r = push(bare);
    expect(r.status).toBe(3);
    const m = /^AG-[0-9a-f]{16}\.json {2}created #(\d+), but RT ignored custom field 'apiguard Finding ID': it is not applied to queue 'apiguard no CF'/m.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    const n = Number(m![1]);
    // RT said 201 and really did drop it.
    const got = (await api(rt, 'GET', `/ticket/${n}`)).json;
    expect(got.CustomFields.flatMap((cf: { values: string[] }) => cf.values)).toEqual([]);
    await resolve(rt, [n]);
  }, 60_000);

  it('quotes a queue name for TicketSQL so that RT parses it (then refuses the unknown queue: exit 3)', () => {
    const odd = mkdtempSync(join(tmpdir(), 'apiguard-rt-odd-'));
    writeTicketDir(odd, [{ ...tickets[0]!, Queue: "apiguard O'Brien \\ queue" }]);
    const r = push(odd);
    expect(r.status).toBe(3);
    // RT echoes the name it parsed; apiguard prints a backslash doubled (src/report/sanitize.ts).
    expect(r.stdout).toContain(`${idOf(tickets[0]!)}.json  failed: RT answered 403: No permission to create tickets in the queue 'apiguard O'Brien \\\\ queue'`);
  });

  it('a refused token is exit 2 and the token is never printed', () => {
    const r = push(dir, { RT_TOKEN: '1-14-0badc0de0badc0de0badc0de0badc0d' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('RT refused the token (401 Unauthorized)');
    expect(r.stdout + r.stderr).not.toContain('0badc0de');
  });

  it('RT still behaves as the fake RT assumes (test/helpers/fake-rt.ts)', async () => {
    // A browser-looking client without credentials gets the login redirect, not 401.
    const browser = await api(rt, 'GET', '/tickets', undefined, { Authorization: '', 'User-Agent': 'Mozilla/5.0' });
    expect([browser.status, browser.location]).toEqual([302, '/rt/']);
    const bad = await api(rt, 'GET', '/rt', undefined, { Authorization: 'token 1-14-00000000000000000000000000000000' });
    expect([bad.status, bad.json]).toEqual([401, { message: 'Unauthorized' }]);
    const noQueue = await api(rt, 'POST', '/ticket', { Queue: 'apiguard no such queue', Subject: 'x' });
    expect([noQueue.status, noQueue.json]).toEqual([403, { message: "No permission to create tickets in the queue 'apiguard no such queue'" }]);
    const sql = await api(rt, 'GET', `/tickets${queryString({ query: "Foo = 'x'" })}`);
    expect(sql.status).toBe(400);
    expect(sql.json.message).toMatch(/^Unknown field: Foo/);
    const noType = await api(rt, 'POST', `/ticket/${[...created.values()][0]}/comment`, { Content: 'x' });
    expect([noType.status, noType.json]).toEqual([400, { message: 'ContentType is a required field for application/json' }]);
    expect(activeTicketQuery('API Security', FINDING_ID_FIELD, 'AG-1')).toContain("'CF.{apiguard Finding ID}'");
  });

  it('the script reports the running server', () => {
    expect(execFileSync('bash', [SCRIPT, 'status'], { cwd: ROOT, encoding: 'utf8' }).trim()).toBe(rt.url);
  });
});

// The script is part of the product for developers: its usage must stay honest.
describe('scripts/rt-test-server.sh', () => {
  it('prints its usage and exits 2 without a subcommand', () => {
    const r = spawnSync('bash', [SCRIPT], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(2);
    for (const sub of ['install', 'start', 'stop', 'status', 'env']) expect(r.stderr).toContain(`scripts/rt-test-server.sh ${sub}`);
  });
});
