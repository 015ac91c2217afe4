import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { activeTicketQuery, queryString, restBaseUrl, RtClient, RtError, ticketSqlString } from '../../src/tickets/rt-client.js';
import { FINDING_ID_FIELD, type TicketBody } from '../../src/tickets/ticket.js';
import { closedPort, FakeRt, FAKE_TOKEN, SAMPLE_ID, sampleTicket } from '../helpers/fake-rt.js';

const ID = SAMPLE_ID;
const body = (over: Partial<TicketBody> = {}): TicketBody => sampleTicket(over);

async function rejection(p: Promise<unknown>): Promise<RtError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(RtError);
  return e as RtError;
}

describe('restBaseUrl', () => {
  it.each([
    ['http://127.0.0.1:8080/rt', 'http://127.0.0.1:8080/rt/REST/2.0'],
    ['http://127.0.0.1:8080/rt/', 'http://127.0.0.1:8080/rt/REST/2.0'],
    ['http://127.0.0.1:8080/rt/REST/2.0', 'http://127.0.0.1:8080/rt/REST/2.0'],
    ['http://127.0.0.1:8080/rt/REST/2.0/', 'http://127.0.0.1:8080/rt/REST/2.0'],
    ['https://rt.example.com', 'https://rt.example.com/REST/2.0'],
    ['https://rt.example.com/', 'https://rt.example.com/REST/2.0'],
    [' https://rt.example.com/tickets/rest/2.0 ', 'https://rt.example.com/tickets/REST/2.0'],
  ])('%s → %s', (given, base) => {
    expect(restBaseUrl(given)).toBe(base);
  });

  it.each([
    ['rt.example.com/rt', /is not a URL/],
    ['ftp://rt.example.com/rt', /is not an http\(s\) URL/],
    ['https://root:password@rt.example.com/rt', /must not carry credentials/],
    ['https://rt.example.com/rt?token=1-14-abc', /must not have a query/],
  ])('refuses %s', (given, why) => {
    expect(() => restBaseUrl(given)).toThrow(why);
  });

  it('never repeats a token given in the URL', () => {
    expect(() => restBaseUrl('https://rt.example.com/rt?token=1-14-secret')).toThrow(/^(?!.*secret)/s);
    expect(() => restBaseUrl('https://u:secret@rt.example.com/rt')).toThrow(/^(?!.*secret)/s);
  });
});

describe('TicketSQL', () => {
  it('quotes values, escaping backslash and quote with a backslash', () => {
    expect(ticketSqlString('API Security')).toBe("'API Security'");
    expect(ticketSqlString("O'Brien \\ team")).toBe("'O\\'Brien \\\\ team'");
  });

  it('searches the queue for active tickets with the finding id in the custom field', () => {
    expect(activeTicketQuery('API Security', FINDING_ID_FIELD, ID)).toBe(
      `Queue = 'API Security' AND 'CF.{apiguard Finding ID}' = '${ID}' AND Status = '__Active__'`,
    );
  });

  it('percent-encodes query values, a space as %20', () => {
    expect(queryString({ query: "Queue = 'A B'&x", per_page: '100' })).toBe("?query=Queue%20%3D%20'A%20B'%26x&per_page=100");
  });
});

describe('RtClient against the fake RT', () => {
  let rt: FakeRt;
  const client = (over: Partial<ConstructorParameters<typeof RtClient>[0]> = {}): RtClient =>
    new RtClient({ url: rt.url, token: FAKE_TOKEN, userAgent: 'apiguard/9.9.9', timeoutMs: 5000, ...over });

  beforeEach(async () => {
    rt = await new FakeRt().start();
  });
  afterEach(async () => {
    await rt.stop();
  });

  it('creates, reads back, finds and comments, with its own User-Agent and the token header', async () => {
    const c = client();
    const id = await c.create(body());
    const got = await c.ticket(id);
    expect(got).toEqual({ id, queueId: '3', subject: body().Subject, priority: '80', customFields: [{ name: FINDING_ID_FIELD, values: [ID] }] });
    expect(await c.queueName('3')).toBe('API Security');
    expect(await c.search(activeTicketQuery('API Security', FINDING_ID_FIELD, ID))).toEqual([id]);
    await c.comment(id, 'again');
    expect(rt.tickets.get(id)!.transactions.map((t) => t.type)).toEqual(['Create', 'Comment']);
    for (const r of rt.requests) {
      expect(r.headers['user-agent']).toBe('apiguard/9.9.9');
      expect(r.headers.authorization).toBe(`token ${FAKE_TOKEN}`);
      expect(r.headers.cookie).toBeUndefined();
    }
    expect(rt.requests.filter((r) => r.method === 'POST').every((r) => r.headers['content-type'] === 'application/json')).toBe(true);
  });

  it('finds a ticket in a queue whose name needs escaping', async () => {
    rt.queues.push({ id: 9, name: "O'Brien \\ team", customFields: [FINDING_ID_FIELD] });
    const c = client();
    const id = await c.create(body({ Queue: "O'Brien \\ team" }));
    expect(await c.search(activeTicketQuery("O'Brien \\ team", FINDING_ID_FIELD, ID))).toEqual([id]);
    expect(await c.search(activeTicketQuery('API Security', FINDING_ID_FIELD, ID))).toEqual([]);
  });

  it('asks for the queue name once', async () => {
    const c = client();
    await c.queueName('3');
    await c.queueName('3');
    expect(rt.calls()).toEqual(['GET /queue/3']);
  });

  it('explains a refused token, without repeating it', async () => {
    const e = await rejection(client({ token: '1-14-ffffffffffffffffffffffffffffffff' }).search('x'));
    expect(e.kind).toBe('config');
    expect(e.status).toBe(401);
    expect(e.message).toMatch(/RT refused the token \(401 Unauthorized\): check RT_TOKEN/);
    expect(e.message).not.toContain('ffffffff');
  });

  it('explains the login redirect RT gives a browser-looking client, and does not follow it', async () => {
    const e = await rejection(client({ token: 'wrong', userAgent: 'Mozilla/5.0 (X11)' }).search('x'));
    expect(e.kind).toBe('config');
    expect(e.status).toBe(302);
    expect(e.message).toMatch(/redirect to its login page \(\/rt\/\)/);
    expect(rt.requests).toHaveLength(1);
  });

  it('says where to go when RT redirects elsewhere (http to https)', async () => {
    rt.faults.push({ match: () => true, status: 301, headers: { Location: 'https://rt.example.com/rt/REST/2.0/tickets' } });
    const e = await rejection(client().search('x'));
    expect(e.kind).toBe('config');
    expect(e.message).toMatch(/a redirect to https:\/\/rt\.example\.com\/rt\/REST\/2\.0\/tickets: use that address as --rt-url/);
  });

  it("passes on RT's 403 for an unknown queue, with what it means", async () => {
    const e = await rejection(client().create(body({ Queue: 'Nope' })));
    expect(e.kind).toBe('refused');
    expect(e.message).toBe(
      "RT answered 403: No permission to create tickets in the queue 'Nope': the queue 'Nope' does not exist or is disabled, or the token's user lacks the CreateTicket right in it",
    );
  });

  it("passes on RT's 400 message without the Perl source location", async () => {
    const e = await rejection(client().search("Foo = 'x'"));
    expect(e.kind).toBe('refused');
    expect(e.message).toBe("RT answered 400: Unknown field: Foo = 'x'");
  });

  it('passes on a 400 for a comment on a ticket that is gone', async () => {
    const e = await rejection(client().comment(99, 'again'));
    expect(e.message).toBe('RT answered 400: Message could not be recorded');
  });

  it('tells a URL that is not RT (plain 404) from an RT error', async () => {
    const e = await rejection(client({ url: rt.url.replace(/\/rt$/, '/') }).search('x'));
    expect(e.kind).toBe('config');
    expect(e.message).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/REST\/2\.0\/tickets: 404 Not Found \(text\/plain\), not RT's REST2: --rt-url should be RT's web address/);
  });

  it('refuses an answer that is not JSON', async () => {
    rt.faults.push({ match: () => true, status: 200, contentType: 'text/html', body: '<html>proxy</html>' });
    const e = await rejection(client().search('x'));
    expect(e.kind).toBe('config');
    expect(e.message).toMatch(/RT answered 200 with text\/html, not JSON: is this RT's REST2 API\?/);
  });

  it('gives up after the timeout, naming the request', async () => {
    rt.faults.push({ match: () => true, delayMs: 2000, body: '{}' });
    const e = await rejection(client({ timeoutMs: 200 }).search('x'));
    expect(e.kind).toBe('unreachable');
    expect(e.message).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/rt\/REST\/2\.0\/tickets: no answer from RT within 0\.2 s \(--timeout\)$/);
  });

  it('names the URL when nothing listens there', async () => {
    const port = await closedPort();
    const e = await rejection(client({ url: `http://127.0.0.1:${port}/rt` }).search('x'));
    expect(e.kind).toBe('unreachable');
    expect(e.message).toBe(`cannot reach RT: GET http://127.0.0.1:${port}/rt/REST/2.0/tickets: connection refused (is RT running, and is the port right?)`);
  });
});
