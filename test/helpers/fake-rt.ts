/**
 * An in-process stand-in for Request Tracker 5's REST2 API (node:http), reproducing the contract
 * observed on Debian's RT 5.0.3 (the README's "Tickets" section; test/integration/rt.e2e.test.ts
 * checks the same behaviour against the real thing):
 * - `Authorization: token <t>`; without usable credentials a browser-looking client (User-Agent
 *   with Mozilla, or a cookie) gets 302 to /rt/, anything else 401 {"message":"Unauthorized"};
 * - POST /ticket: 415 unless JSON, 400 for bad JSON or no Queue, 403 for an unknown queue, 201
 *   otherwise, even when it drops a custom field not applied to the queue; Priority is stored
 *   verbatim (a label stays a label); the Subject is cut to 200 bytes;
 * - GET /ticket/:id answers the queue by id, Priority as a string, CustomFields as an array;
 * - GET /tickets?query= understands the TicketSQL apiguard sends, anything else is 400;
 * - POST /ticket/:id/comment needs ContentType; an unknown ticket is 400;
 * - paths outside /rt/REST/2.0 are a plain-text 404, as Plack answers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { FINDING_ID_FIELD, type TicketBody } from '../../src/tickets/ticket.js';

export interface FakeQueue {
  id: number;
  name: string;
  /** Ticket custom fields applied to the queue; others are dropped silently on create. */
  customFields: string[];
}

export interface FakeTicket {
  id: number;
  queue: number;
  subject: string;
  priority: string;
  status: string;
  customFields: Map<string, string>;
  content: string;
  transactions: { id: number; type: 'Create' | 'Comment'; content: string }[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A canned answer for the next request that matches. */
export interface Fault {
  match: (r: RecordedRequest) => boolean;
  status?: number;
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
  /** Answer only after this long (for timeouts). */
  delayMs?: number;
  /** Also answer every later matching request like this. */
  sticky?: boolean;
}

export const FAKE_TOKEN = '1-14-0123456789abcdef0123456789abcdef';
const WEB_PATH = '/rt';
const API = `${WEB_PATH}/REST/2.0`;
const ACTIVE = new Set(['new', 'open', 'stalled']);

/** A TicketSQL string literal's content (RT::SQL: backslash escapes the next character). */
const SQL_STRING = String.raw`'((?:[^'\\]|\\.)*)'`;
const unescapeSql = (s: string): string => s.replace(/\\(.)/g, '$1');
const APIGUARD_QUERY = new RegExp(String.raw`^Queue = ${SQL_STRING} AND 'CF\.\{([^}]+)\}' = ${SQL_STRING} AND Status = '__Active__'$`);

export class FakeRt {
  readonly queues: FakeQueue[] = [
    { id: 1, name: 'General', customFields: [] },
    { id: 3, name: 'API Security', customFields: ['apiguard Finding ID'] },
    { id: 4, name: 'apiguard no CF', customFields: [] },
  ];
  readonly tickets = new Map<number, FakeTicket>();
  readonly requests: RecordedRequest[] = [];
  readonly faults: Fault[] = [];
  private server: Server | null = null;
  private nextTicket = 1;
  private nextTxn = 1;
  url = '';

  /** Starts on a free loopback port; `url` is then RT's web address (http://127.0.0.1:PORT/rt). */
  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${WEB_PATH}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Adds a ticket as if someone had created it in RT. */
  addTicket(t: { queue: string; findingId?: string; status?: string; subject?: string }): number {
    const q = this.queueByName(t.queue)!;
    const id = this.nextTicket++;
    const cfs = new Map<string, string>();
    if (t.findingId && q.customFields.includes('apiguard Finding ID')) cfs.set('apiguard Finding ID', t.findingId);
    this.tickets.set(id, { id, queue: q.id, subject: t.subject ?? 'existing', priority: '50', status: t.status ?? 'open', customFields: cfs, content: '', transactions: [{ id: this.nextTxn++, type: 'Create', content: '' }] });
    return id;
  }

  /** The API requests received (paths relative to /rt/REST/2.0), e.g. `POST /ticket`. */
  calls(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path.startsWith(API) ? r.path.slice(API.length) : r.path}`);
  }

  private queueByName(name: string): FakeQueue | undefined {
    return this.queues.find((q) => q.name.toLowerCase() === name.toLowerCase() || String(q.id) === name);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const r: RecordedRequest = { method: req.method ?? 'GET', path: decodeURIComponent(url.pathname), query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
    this.requests.push(r);
    const fault = this.faults.find((f) => f.match(r));
    if (fault) {
      if (!fault.sticky) this.faults.splice(this.faults.indexOf(fault), 1);
      if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      if (res.destroyed) return;
      res.writeHead(fault.status ?? 200, { 'Content-Type': fault.contentType ?? 'application/json; charset=utf-8', ...fault.headers });
      res.end(fault.body ?? '');
      return;
    }
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };
    if (!r.path.startsWith(`${API}/`) && r.path !== API) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('Not Found');
      return;
    }
    const auth = /^token\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!auth || auth[1] !== FAKE_TOKEN) {
      if (/Mozilla/.test(req.headers['user-agent'] ?? '') || req.headers.cookie) {
        res.writeHead(302, { Location: `${WEB_PATH}/` });
        res.end();
        return;
      }
      send(401, { message: 'Unauthorized' });
      return;
    }
    const path = r.path.slice(API.length);
    const link = (kind: string, id: number | string) => ({ type: kind, id: String(id), _url: `${this.url}/REST/2.0/${kind}/${id}` });
    let m: RegExpExecArray | null;
    if (r.method === 'GET' && path === '/rt') return send(200, { Version: '5.0.3-fake', Plugins: [] });
    if (r.method === 'GET' && path === '/tickets') {
      const q = APIGUARD_QUERY.exec(r.query.get('query') ?? '');
      if (!q) return send(400, { message: `Unknown field: ${r.query.get('query')} at /usr/share/request-tracker5/lib/RT/Tickets.pm line 3187.\n` });
      const [queue, field, value] = [unescapeSql(q[1]!), q[2]!, unescapeSql(q[3]!)];
      const items = [...this.tickets.values()]
        .filter((t) => this.queues.find((x) => x.id === t.queue)?.name.toLowerCase() === queue.toLowerCase() && ACTIVE.has(t.status) && t.customFields.get(field) === value)
        .sort((a, b) => a.id - b.id)
        .map((t) => link('ticket', t.id));
      return send(200, { count: items.length, page: 1, pages: items.length ? 1 : 0, per_page: 100, total: items.length, items });
    }
    if (r.method === 'POST' && path === '/ticket') {
      if (!/^application\/json/.test(req.headers['content-type'] ?? '')) return send(415, { message: 'Unsupported Media Type' });
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(r.body) as Record<string, unknown>;
      } catch (e) {
        return send(400, { message: `JSON parse error: ${(e as Error).message}` });
      }
      if (body.Queue === undefined) return send(400, { message: 'Could not create ticket. Queue not set' });
      const queue = this.queueByName(String(body.Queue));
      if (!queue) return send(403, { message: `No permission to create tickets in the queue '${String(body.Queue)}'` });
      const id = this.nextTicket++;
      const cfs = new Map<string, string>();
      for (const [name, value] of Object.entries((body.CustomFields ?? {}) as Record<string, string>)) {
        // RT only logs "Custom field X not found" for a field the queue does not have.
        if (queue.customFields.includes(name)) cfs.set(name, value);
      }
      const subject = Buffer.from(String(body.Subject ?? ''), 'utf8').subarray(0, 200).toString('utf8').replace(/\uFFFD$/, '');
      this.tickets.set(id, {
        id,
        queue: queue.id,
        subject,
        priority: String(body.Priority ?? '0'),
        status: 'new',
        customFields: cfs,
        content: String(body.Content ?? ''),
        transactions: [{ id: this.nextTxn++, type: 'Create', content: String(body.Content ?? '') }],
      });
      return send(201, link('ticket', id), { Location: `${API}/ticket/${id}` });
    }
    if (r.method === 'GET' && (m = /^\/ticket\/(\d+)$/.exec(path))) {
      const t = this.tickets.get(Number(m[1]));
      if (!t) return send(404, { message: 'Not Found' });
      return send(200, {
        id: t.id,
        Subject: t.subject,
        Status: t.status,
        Priority: t.priority,
        Queue: link('queue', t.queue),
        CustomFields: [...t.customFields].map(([name, value], i) => ({ ...link('customfield', i + 2), name, values: [value] })),
      });
    }
    if (r.method === 'GET' && (m = /^\/ticket\/(\d+)\/history$/.exec(path))) {
      const t = this.tickets.get(Number(m[1]));
      if (!t) return send(404, { message: 'Not Found' });
      const items = t.transactions.map((x) => ({ ...link('transaction', x.id), Type: x.type }));
      return send(200, { count: items.length, page: 1, pages: 1, per_page: 20, total: items.length, items });
    }
    if (r.method === 'POST' && (m = /^\/ticket\/(\d+)\/comment$/.exec(path))) {
      if (!/^application\/json/.test(req.headers['content-type'] ?? '')) return send(415, { message: 'Unsupported Media Type' });
      const body = JSON.parse(r.body) as { Content?: string; ContentType?: string };
      if (body.Content !== undefined && body.ContentType === undefined) return send(400, { message: 'ContentType is a required field for application/json' });
      const t = this.tickets.get(Number(m[1]));
      if (!t) return send(400, { message: 'Message could not be recorded' });
      const txn = this.nextTxn++;
      t.transactions.push({ id: txn, type: 'Comment', content: body.Content ?? '' });
      return send(201, ['Comments added'], { Location: `${API}/transaction/${txn}` });
    }
    if (r.method === 'GET' && (m = /^\/queue\/([^/]+)$/.exec(path))) {
      const q = this.queueByName(m[1]!);
      if (!q) return send(404, { message: 'Not Found' });
      return send(200, { id: q.id, Name: q.name });
    }
    send(404, { message: 'Not Found' });
  }
}

/** A loopback port nothing listens on (it was free a moment ago). */
export function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createNetServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export const SAMPLE_ID = 'AG-0123456789abcdef';

/** A ticket as apiguard writes it, with finding id SAMPLE_ID; override what the test is about. */
export function sampleTicket(over: Partial<Record<keyof TicketBody, unknown>> = {}): TicketBody {
  return {
    Queue: 'API Security',
    Subject: `[apiguard ${SAMPLE_ID}] Investigate API key: analyst-alice`,
    Priority: 80,
    Content: 'what happened\n',
    ContentType: 'text/plain',
    CustomFields: { [FINDING_ID_FIELD]: SAMPLE_ID },
    ...over,
  } as TicketBody;
}
