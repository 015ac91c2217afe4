import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TicketFileEntry } from '../../src/tickets/files.js';
import { commentFor, notKept, plannedRequests, printableJson, pushTickets, type PushResult } from '../../src/tickets/push.js';
import { RtClient } from '../../src/tickets/rt-client.js';
import { FINDING_ID_FIELD, type TicketBody } from '../../src/tickets/ticket.js';
import { demoTickets } from '../helpers/demo-tickets.js';
import { FakeRt, FAKE_TOKEN, sampleTicket } from '../helpers/fake-rt.js';

const entry = (t: TicketBody): TicketFileEntry => ({ file: `dir/${t.CustomFields[FINDING_ID_FIELD]}.json`, name: `${t.CustomFields[FINDING_ID_FIELD]}.json`, ticket: t });
const idOf = (t: TicketBody): string => t.CustomFields[FINDING_ID_FIELD]!;

describe('pushTickets against the fake RT', () => {
  let rt: FakeRt;
  let demo: TicketBody[];
  let client: RtClient;
  beforeAll(async () => {
    demo = (await demoTickets()).sort((a, b) => idOf(a).localeCompare(idOf(b)));
  });
  beforeEach(async () => {
    rt = await new FakeRt().start();
    client = new RtClient({ url: rt.url, token: FAKE_TOKEN, userAgent: 'apiguard/test', timeoutMs: 5000 });
  });
  afterEach(async () => {
    await rt.stop();
  });

  it('creates each ticket once, verifies it, then comments on it in a second push', async () => {
    expect(demo.length).toBeGreaterThan(3);
    const first = await pushTickets(demo.map(entry), client, '1.2.3');
    expect(first.stoppedBy).toBeUndefined();
    expect(first.results.map((r) => r.outcome)).toEqual(demo.map(() => 'created'));
    expect(rt.tickets.size).toBe(demo.length);
    for (const [i, r] of first.results.entries()) {
      const t = rt.tickets.get(r.ticketId!)!;
      expect(t.customFields.get(FINDING_ID_FIELD)).toBe(idOf(demo[i]!));
      expect(t.priority).toBe(String(demo[i]!.Priority));
      expect(t.subject).toBe(demo[i]!.Subject);
    }
    // One ticket at a time, in file-name order: search, create, read back (the queue name is cached).
    expect(rt.calls().slice(0, 8)).toEqual(['GET /tickets', 'POST /ticket', 'GET /ticket/1', 'GET /queue/3', 'GET /tickets', 'POST /ticket', 'GET /ticket/2', 'GET /tickets']);

    const second = await pushTickets(demo.map(entry), client, '1.2.3');
    expect(second.results.map((r) => [r.outcome, r.ticketId])).toEqual(first.results.map((r) => ['commented', r.ticketId]));
    expect(rt.tickets.size).toBe(demo.length);
    for (const [i, r] of second.results.entries()) {
      const t = rt.tickets.get(r.ticketId!)!;
      expect(t.transactions.map((x) => x.type)).toEqual(['Create', 'Comment']);
      expect(t.transactions[1]!.content).toBe(`apiguard 1.2.3 observed finding ${idOf(demo[i]!)} again.\n\n${demo[i]!.Content}`);
    }
  });

  it('creates a new ticket when the only one with the finding id is resolved', async () => {
    rt.addTicket({ queue: 'API Security', findingId: idOf(demo[0]!), status: 'resolved' });
    const { results } = await pushTickets([entry(demo[0]!)], client, '1');
    expect(results[0]).toMatchObject({ outcome: 'created', ticketId: 2 });
  });

  it('comments on the oldest active ticket when several have the finding id, and says so', async () => {
    const a = rt.addTicket({ queue: 'API Security', findingId: idOf(demo[0]!) });
    const b = rt.addTicket({ queue: 'API Security', findingId: idOf(demo[0]!), status: 'new' });
    const { results } = await pushTickets([entry(demo[0]!)], client, '1');
    expect(results[0]).toEqual({ name: `${idOf(demo[0]!)}.json`, outcome: 'commented', ticketId: a, detail: `1 more active ticket with this finding id (#${b}): merge them into #${a}` });
  });

  it('reports a ticket whose custom field RT dropped (not applied to the queue), with the fix', async () => {
    const t = { ...demo[0]!, Queue: 'apiguard no CF' };
    const { results } = await pushTickets([entry(t)], client, '1');
    expect(results[0]!.outcome).toBe('unverified');
    expect(results[0]!.ticketId).toBe(1);
    expect(results[0]!.detail).toBe(
      "RT ignored custom field 'apiguard Finding ID': it is not applied to queue 'apiguard no CF', or does not exist, or the token's user lacks " +
        'SeeCustomField or SetInitialCustomField on it, and RT then drops the field without an error. ' +
        "Apply it: Admin → Custom Fields → 'apiguard Finding ID' → Applies to → 'apiguard no CF'. Until then every push opens a new ticket for this finding",
    );
    // Which is why: the next push cannot find it and opens another.
    const again = await pushTickets([entry(t)], client, '1');
    expect(again.results[0]).toMatchObject({ outcome: 'unverified', ticketId: 2 });
  });

  it('goes on after RT refuses one ticket, and reports invalid files in their place', async () => {
    const entries: TicketFileEntry[] = [
      { file: 'dir/AG-0000000000000000.json', name: 'AG-0000000000000000.json', problem: 'not JSON at line 1, column 2: x' },
      entry({ ...demo[0]!, Queue: 'Nope' }),
      entry(demo[1]!),
    ];
    const seen: PushResult[] = [];
    const { results, stoppedBy } = await pushTickets(entries, client, '1', (r) => seen.push(r));
    expect(stoppedBy).toBeUndefined();
    expect(results.map((r) => r.outcome)).toEqual(['invalid', 'failed', 'created']);
    expect(results[0]!.detail).toBe('not JSON at line 1, column 2: x');
    expect(results[1]!.detail).toMatch(/^RT answered 403: No permission to create tickets in the queue 'Nope'/);
    expect(seen).toEqual(results);
  });

  it('stops at a refused token: the rest are not attempted', async () => {
    const bad = new RtClient({ url: rt.url, token: 'nope', userAgent: 'apiguard/test', timeoutMs: 5000 });
    const { results, stoppedBy } = await pushTickets(demo.slice(0, 3).map(entry), bad, '1');
    expect(stoppedBy?.kind).toBe('config');
    expect(results.map((r) => r.outcome)).toEqual(['failed', 'not-attempted', 'not-attempted']);
    expect(rt.requests).toHaveLength(1);
  });

  it('stops when RT stops answering, after saying which ticket was created', async () => {
    rt.faults.push({ match: (r) => r.method === 'GET' && /\/ticket\/\d+$/.test(r.path), delayMs: 1500, body: '{}' });
    const slow = new RtClient({ url: rt.url, token: FAKE_TOKEN, userAgent: 'apiguard/test', timeoutMs: 300 });
    const { results, stoppedBy } = await pushTickets(demo.slice(0, 2).map(entry), slow, '1');
    expect(stoppedBy?.kind).toBe('unreachable');
    expect(results[0]).toMatchObject({ outcome: 'unverified', ticketId: 1 });
    expect(results[0]!.detail).toMatch(/^could not read it back to check what RT kept: GET .*\/ticket\/1: no answer from RT within 0\.3 s/);
    expect(results[1]!.outcome).toBe('not-attempted');
  });
});

describe('notKept', () => {
  const sent = sampleTicket({ Subject: 'subject' });
  const kept = { id: 1, queueId: '3', subject: 'subject', priority: '80', customFields: [{ name: FINDING_ID_FIELD, values: ['AG-0123456789abcdef'] }] };

  it('is empty when RT kept everything (queue names compare without case, as RT loads them)', () => {
    expect(notKept(sent, kept, 'api security')).toEqual([]);
  });

  it('names each field RT did not keep', () => {
    expect(notKept(sent, { ...kept, priority: 'High' }, 'API Security')).toEqual(["RT stored Priority as 'High', not 80"]);
    expect(notKept(sent, { ...kept, subject: 'subj' }, 'API Security')).toEqual(['RT cut the Subject to 4 characters']);
    expect(notKept(sent, { ...kept, subject: 'other' }, 'API Security')).toEqual(["RT changed the Subject to 'other'"]);
    expect(notKept(sent, kept, 'General')).toEqual(["RT put it in queue 'General', not 'API Security'"]);
    expect(notKept(sent, { ...kept, customFields: [{ name: FINDING_ID_FIELD, values: ['AG-x'] }] }, 'API Security')).toEqual([
      "RT stored custom field 'apiguard Finding ID' as 'AG-x', not 'AG-0123456789abcdef'",
    ]);
    expect(notKept(sent, { ...kept, customFields: [] }, 'API Security')[0]).toMatch(/^RT ignored custom field 'apiguard Finding ID'/);
  });

  it('compares a queue given by id with the id', () => {
    expect(notKept({ ...sent, Queue: '3' }, kept, '')).toEqual([]);
    expect(notKept({ ...sent, Queue: '4' }, kept, '')).toEqual(["RT put it in queue '3', not '4'"]);
  });
});

describe('dry run', () => {
  it('plans the search, both branches and the check, with the exact bodies', async () => {
    const t = (await demoTickets())[0]!;
    const lines = plannedRequests(t, 'https://rt.example.com/rt/REST/2.0', '1.2.3');
    const text = lines.join('\n');
    expect(lines[0]).toBe(
      `  GET https://rt.example.com/rt/REST/2.0/tickets?query=Queue%20%3D%20'API%20Security'%20AND%20'CF.%7Bapiguard%20Finding%20ID%7D'%20%3D%20'${idOf(t)}'%20AND%20Status%20%3D%20'__Active__'&orderby=id&order=ASC&per_page=100`,
    );
    expect(text).toContain(`  POST https://rt.example.com/rt/REST/2.0/ticket/<id>/comment\n${printableJson({ Content: commentFor(t, '1.2.3'), ContentType: 'text/plain' }).replace(/^/gm, '    ')}`);
    expect(text).toContain(`  POST https://rt.example.com/rt/REST/2.0/ticket\n${printableJson(t).replace(/^/gm, '    ')}`);
  });

  it('prints JSON that hides no control or bidi character and still parses', () => {
    const value = { Subject: 'a\u009bb\u202ec\u0007' };
    const json = printableJson(value);
    expect(json).toBe('{\n  "Subject": "a\\u009bb\\u202ec\\u0007"\n}');
    expect(JSON.parse(json)).toEqual(value);
  });
});
