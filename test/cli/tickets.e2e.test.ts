import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { writeTicketDir } from '../../src/tickets/files.js';
import { FINDING_ID_FIELD, type TicketBody } from '../../src/tickets/ticket.js';
import { demoTickets } from '../helpers/demo-tickets.js';
import { closedPort, FakeRt, FAKE_TOKEN } from '../helpers/fake-rt.js';
import { ROOT, runCli, type CliResult } from '../helpers/run-cli.js';

const BIN = fileURLToPath(new URL('../../bin/apiguard.js', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** The built binary, run without blocking this process: the fake RT answers from this event loop. */
function runAsync(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (status) => resolve({ stdout, stderr, status }));
  });
}

const idOf = (t: TicketBody): string => t.CustomFields[FINDING_ID_FIELD]!;

describe('apiguard tickets push (built binary, fake RT)', () => {
  let demo: TicketBody[];
  let dir: string;
  let rt: FakeRt;
  beforeAll(async () => {
    demo = await demoTickets();
  });
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apiguard-push-'));
    writeTicketDir(dir, demo);
    rt = await new FakeRt().start();
  });
  afterEach(async () => {
    await rt.stop();
  });
  const sortedIds = (): string[] => demo.map(idOf).sort();

  it('creates every ticket, then comments on them in a second push: one line per ticket and a summary', async () => {
    const first = await runAsync(['tickets', 'push', dir, '--rt-url', rt.url], { RT_TOKEN: FAKE_TOKEN });
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toBe([...sortedIds().map((id, i) => `${id}.json  created #${i + 1}`), `${demo.length} ticket files: ${demo.length} created, 0 commented on`, ''].join('\n'));

    // RT_URL works as well as --rt-url, and so does the REST2 address.
    const second = await runAsync(['tickets', 'push', dir], { RT_TOKEN: FAKE_TOKEN, RT_URL: `${rt.url}/REST/2.0/` });
    expect(second.status).toBe(0);
    expect(second.stdout).toBe(
      [...sortedIds().map((id, i) => `${id}.json  commented on #${i + 1} (already open: observed again)`), `${demo.length} ticket files: 0 created, ${demo.length} commented on`, ''].join('\n'),
    );
    expect(rt.tickets.size).toBe(demo.length);
    expect(rt.requests.every((r) => r.headers['user-agent'] === `apiguard/${VERSION}` && !/Mozilla/i.test(r.headers['user-agent'] ?? ''))).toBe(true);
  });

  it('reports a custom field RT silently dropped, with the fix, and exits 3', async () => {
    const t = { ...demo[0]!, Queue: 'apiguard no CF' };
    writeFileSync(join(dir, `${idOf(t)}.json`), JSON.stringify(t));
    const r = await runAsync(['tickets', 'push', dir, '--rt-url', rt.url], { RT_TOKEN: FAKE_TOKEN });
    expect(r.status).toBe(3);
    const line = r.stdout.split('\n').find((l) => l.startsWith(`${idOf(t)}.json`))!;
    expect(line).toMatch(/^AG-[0-9a-f]{16}\.json {2}created #\d+, but RT ignored custom field 'apiguard Finding ID': it is not applied to queue 'apiguard no CF'.*Apply it: Admin → Custom Fields → 'apiguard Finding ID' → Applies to → 'apiguard no CF'/);
    expect(r.stdout).toContain(`${demo.length} ticket files: ${demo.length - 1} created, 0 commented on, 1 created with fields RT did not keep`);
    expect(r.stderr).toBe('apiguard: 1 ticket not pushed as written (see above)\n');
  });

  it('reports a bad ticket file by name and pushes the others (exit 3)', async () => {
    const bad = sortedIds()[1]!;
    writeFileSync(join(dir, `${bad}.json`), JSON.stringify({ ...demo.find((t) => idOf(t) === bad), Priority: 'High' }));
    const r = await runAsync(['tickets', 'push', dir, '--rt-url', rt.url], { RT_TOKEN: FAKE_TOKEN });
    expect(r.status).toBe(3);
    expect(r.stdout).toContain(`${bad}.json  invalid, skipped: Priority must be an integer, not "High"`);
    expect(r.stdout).toContain(`${demo.length} ticket files: ${demo.length - 1} created, 0 commented on, 1 invalid (skipped)`);
    expect(rt.tickets.size).toBe(demo.length - 1);
  });

  it('never prints the token, even when RT refuses it (exit 2, the rest not attempted)', async () => {
    const token = '1-14-feedfacefeedfacefeedfacefeedface';
    const r = await runAsync(['tickets', 'push', dir, '--rt-url', rt.url], { RT_TOKEN: token });
    expect(r.status).toBe(2);
    expect(r.stdout + r.stderr).not.toContain('feedface');
    expect(r.stderr).toMatch(/^apiguard: GET http:\/\/127\.0\.0\.1:\d+\/rt\/REST\/2\.0\/tickets: RT refused the token \(401 Unauthorized\): check RT_TOKEN/);
    expect(r.stdout).toContain(`${demo.length} ticket files: 0 created, 0 commented on, 1 failed, ${demo.length - 1} not attempted`);
    expect(rt.requests).toHaveLength(1);
  });

  it('neutralises control characters RT sends back in its messages', async () => {
    rt.faults.push({ match: (r) => r.method === 'POST', status: 400, body: JSON.stringify({ message: 'bad \u001b[31mred' }), sticky: true });
    const r = await runAsync(['tickets', 'push', dir, '--rt-url', rt.url], { RT_TOKEN: FAKE_TOKEN });
    expect(r.status).toBe(3);
    expect(r.stdout).toContain('failed: RT answered 400: bad \\x1b[31mred');
    expect(r.stdout).not.toContain('\u001b');
  });
});

describe('apiguard tickets push without RT', () => {
  let dir: string;
  let demo: TicketBody[];
  beforeAll(async () => {
    demo = await demoTickets();
    dir = mkdtempSync(join(tmpdir(), 'apiguard-dry-'));
    writeTicketDir(dir, demo);
  });

  it('--dry-run prints every request with its body and the masked token, needing neither RT nor RT_TOKEN', () => {
    const r = runCli(['tickets', 'push', dir, '--rt-url', 'http://127.0.0.1:9/rt', '--dry-run']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 5)).toEqual([
      'Dry run: nothing is sent. Requests go to http://127.0.0.1:9/rt/REST/2.0 with the headers',
      '  Authorization: token ***',
      `  User-Agent: apiguard/${VERSION}`,
      '  Accept: application/json',
      '  Content-Type: application/json (POST)',
    ]);
    for (const t of demo) {
      expect(r.stdout).toContain(`\n${idOf(t)}.json\n  GET http://127.0.0.1:9/rt/REST/2.0/tickets?query=`);
      expect(r.stdout).toContain(`(TicketSQL: Queue = 'API Security' AND 'CF.{apiguard Finding ID}' = '${idOf(t)}' AND Status = '__Active__')`);
      expect(r.stdout).toContain(JSON.stringify(t, null, 2).replace(/^/gm, '    '));
    }
    expect(lines.at(-2)).toBe(`${demo.length} ticket files: ${demo.length} would be pushed (dry run: nothing sent)`);
  });

  it('--dry-run output is the same bytes every run', () => {
    const a = runCli(['tickets', 'push', dir, '--rt-url', 'https://rt.example.com/rt', '--dry-run']);
    const b = runCli(['tickets', 'push', dir, '--rt-url', 'https://rt.example.com/rt', '--dry-run'], { env: { RT_TOKEN: 'x' } });
    expect(a.stdout).toBe(b.stdout);
  });

  it('needs RT_TOKEN to send (exit 2), and says how to get one', () => {
    const r = runCli(['tickets', 'push', dir, '--rt-url', 'http://127.0.0.1:9/rt']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('apiguard: RT_TOKEN is not set: create a token in RT (Logged in as → Settings → Auth Tokens) and export RT_TOKEN=<token>; --dry-run needs none\n');
  });

  it('needs --rt-url or RT_URL (exit 2), and refuses a token in the URL', () => {
    expect(runCli(['tickets', 'push', dir, '--dry-run']).stderr).toMatch(/^apiguard: --rt-url is required \(or RT_URL\)/);
    const r = runCli(['tickets', 'push', dir, '--rt-url', 'https://rt.example.com/rt?token=1-14-abcabc', '--dry-run']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^apiguard: --rt-url: .* must not have a query or fragment: the token goes in RT_TOKEN\n$/);
    expect(r.stderr).not.toContain('abcabc');
  });

  it('a directory without tickets is an input error (exit 3)', () => {
    const empty = mkdtempSync(join(tmpdir(), 'apiguard-empty-'));
    const r = runCli(['tickets', 'push', empty, '--rt-url', 'https://rt.example.com/rt', '--dry-run']);
    expect(r.status).toBe(3);
    expect(r.stderr).toBe(`apiguard: no ticket files (AG-<16 hex digits>.json) in ${empty}: write them with apiguard scan --tickets ${empty}\n`);
  });

  it('unreachable RT is exit 3, naming the URL', async () => {
    const port = await closedPort();
    const r = runCli(['tickets', 'push', dir, '--rt-url', `http://127.0.0.1:${port}/rt`, '--timeout', '5s'], { env: { RT_TOKEN: FAKE_TOKEN } });
    expect(r.status).toBe(3);
    expect(r.stderr).toBe(
      `apiguard: cannot reach RT: GET http://127.0.0.1:${port}/rt/REST/2.0/tickets: connection refused (is RT running, and is the port right?)\n` +
        'stopped at the first error that every request would meet; fix it and push again (tickets already pushed are found and commented on, not duplicated)\n',
    );
    expect(r.stdout).toContain(`${demo.length} ticket files: 0 created, 0 commented on, 1 failed, ${demo.length - 1} not attempted`);
  });

  it('has help with examples and exit codes', () => {
    const r = runCli(['tickets', 'push', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('apiguard tickets push tickets/ --rt-url https://rt.example.com/rt --dry-run');
    expect(r.stdout).toContain('RT_TOKEN');
    expect(r.stdout).toMatch(/Exit codes:\n {2}0 {2}every ticket created or commented on/);
  });
});
