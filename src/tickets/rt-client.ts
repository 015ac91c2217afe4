/**
 * A small client for Request Tracker's REST2 API (RT 5, `<WebPath>/REST/2.0`), on node's fetch.
 * Only what `apiguard tickets push` needs: search, create, read back, comment.
 *
 * RT's contract, as observed on Debian's RT 5.0.3 (see the README's "Tickets" section):
 * errors are `{"message": "..."}` with 400 (bad request, RT's reason), 401 (bad or no token),
 * 403 (unknown or disabled queue, or no right), 404; a client without usable credentials that
 * looks like a browser (a `Mozilla` User-Agent, a cookie) gets a 302 to the login page instead.
 */
import type { TicketBody } from './ticket.js';

/**
 * Why a request failed, which decides what the push does next:
 * - `config`: nothing can work with this URL or token (401, a redirect, no REST2 at the URL):
 *   stop, usage error;
 * - `unreachable`: network error or timeout: stop, RT may be down;
 * - `refused`: RT answered this one request with an error (400, 403, 404, 5xx): report it, go on.
 */
export type RtErrorKind = 'config' | 'unreachable' | 'refused';

export class RtError extends Error {
  constructor(
    message: string,
    readonly kind: RtErrorKind,
    readonly status = 0,
  ) {
    super(message);
    this.name = 'RtError';
  }
}

export interface RtClientOptions {
  /** `http://host/rt` or `http://host/rt/REST/2.0`; see restBaseUrl. */
  url: string;
  token: string;
  userAgent: string;
  timeoutMs: number;
  /** For tests; default: the global fetch. */
  fetch?: typeof fetch;
}

/** What GET /ticket/:id says about the fields apiguard sends. */
export interface RtTicket {
  id: number;
  queueId: string;
  subject: string;
  /** As RT stored it: a number as a string, or a label RT kept verbatim. */
  priority: string;
  customFields: { name: string; values: string[] }[];
}

/**
 * The REST2 base for what a user gives as --rt-url: RT's web address (`http://rt.example.com/rt`,
 * Debian's WebPath) or the API's (`.../rt/REST/2.0`), with or without a trailing slash.
 * Throws a plain Error with the reason for anything else.
 */
export function restBaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new Error(`'${text}' is not a URL: give RT's web address, e.g. https://rt.example.com/rt`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`'${text}' is not an http(s) URL`);
  if (url.username || url.password) throw new Error('the URL must not carry credentials: put the token in RT_TOKEN');
  if (url.search || url.hash) throw new Error(`'${url.origin}${url.pathname}' must not have a query or fragment: the token goes in RT_TOKEN`);
  const path = url.pathname.replace(/\/+$/, '');
  const base = /\/REST\/2\.0$/i.test(path) ? path.replace(/\/REST\/2\.0$/i, '/REST/2.0') : `${path}/REST/2.0`;
  return `${url.origin}${base}`;
}

/** TicketSQL string literal: single quotes, with backslash and quote escaped by a backslash (RT::SQL). */
export function ticketSqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The search for active tickets in `queue` whose custom field `field` is `value`. */
export function activeTicketQuery(queue: string, field: string, value: string): string {
  // A CF name cannot be escaped inside CF.{...}; apiguard's is a constant without braces or quotes.
  return `Queue = ${ticketSqlString(queue)} AND 'CF.{${field}}' = ${ticketSqlString(value)} AND Status = '__Active__'`;
}

/** `?a=b&c=d` with every value percent-encoded (a space as %20, not +). */
export function queryString(params: Record<string, string>): string {
  return '?' + Object.entries(params).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

/** RT's error text without the Perl source location it sometimes appends (`at .../Tickets.pm line 3187.`). */
function cleanMessage(message: string): string {
  return message.replace(/\s+at \/\S+ line \d+\.?\s*$/s, '').trim().slice(0, 500);
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is RT running, and is the port right?)',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'the connection was reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_SOCKET: 'the connection closed unexpectedly',
};

/** Adds what an RT status means for one kind of request to its error. */
function hint(status: number, text: string): (e: unknown) => never {
  return (e) => {
    if (e instanceof RtError && e.status === status) throw new RtError(`${e.message}${text}`, e.kind, e.status);
    throw e;
  };
}

export class RtClient {
  readonly base: string;
  private readonly fetchImpl: typeof fetch;
  private readonly queueNames = new Map<string, string>();

  constructor(private readonly opts: RtClientOptions) {
    this.base = restBaseUrl(opts.url);
    this.fetchImpl = opts.fetch ?? fetch;
  }

  /** Ids of the active tickets matching the TicketSQL, oldest first (at most 100). */
  async search(query: string): Promise<number[]> {
    const r = await this.request('GET', '/tickets', { query: { query, orderby: 'id', order: 'ASC', per_page: '100' } });
    const items = (r as { items?: unknown }).items;
    if (!Array.isArray(items)) throw this.unexpected('GET', '/tickets', 'no items in the search result');
    return items.map((i) => Number((i as { id?: unknown }).id)).filter((n) => Number.isSafeInteger(n) && n > 0);
  }

  /** Creates a ticket and returns its id. */
  async create(body: TicketBody): Promise<number> {
    const r = await this.request('POST', '/ticket', { body }).catch(
      hint(403, `: the queue '${body.Queue}' does not exist or is disabled, or the token's user lacks the CreateTicket right in it`),
    );
    const id = Number((r as { id?: unknown }).id);
    if (!Number.isSafeInteger(id) || id <= 0) throw this.unexpected('POST', '/ticket', 'no ticket id in the answer');
    return id;
  }

  /** Adds an internal comment (not mailed to requestors) to a ticket. */
  async comment(id: number, content: string): Promise<void> {
    await this.request('POST', `/ticket/${id}/comment`, { body: { Content: content, ContentType: 'text/plain' } }).catch(
      hint(403, `: the token's user lacks the CommentOnTicket right on ticket #${id}`),
    );
  }

  async ticket(id: number): Promise<RtTicket> {
    const r = (await this.request('GET', `/ticket/${id}`)) as Record<string, unknown>;
    const queue = r.Queue as { id?: unknown } | undefined;
    const cfs = Array.isArray(r.CustomFields) ? (r.CustomFields as { name?: unknown; values?: unknown }[]) : [];
    return {
      id,
      queueId: String(queue?.id ?? ''),
      subject: typeof r.Subject === 'string' ? r.Subject : '',
      priority: String(r.Priority ?? ''),
      customFields: cfs.map((cf) => ({
        name: String(cf.name ?? ''),
        values: Array.isArray(cf.values) ? cf.values.map(String) : [],
      })),
    };
  }

  /** A queue's name by id (GET /ticket answers with the queue's id only); cached. */
  async queueName(id: string): Promise<string> {
    let name = this.queueNames.get(id);
    if (name === undefined) {
      const r = (await this.request('GET', `/queue/${encodeURIComponent(id)}`)) as { Name?: unknown };
      name = typeof r.Name === 'string' ? r.Name : '';
      this.queueNames.set(id, name);
    }
    return name;
  }

  private headers(json: boolean): Record<string, string> {
    return {
      Authorization: `token ${this.opts.token}`,
      'User-Agent': this.opts.userAgent,
      Accept: 'application/json',
      ...(json ? { 'Content-Type': 'application/json' } : {}),
    };
  }

  private unexpected(method: string, path: string, what: string): RtError {
    return new RtError(`${method} ${this.base}${path}: ${what}: is this RT's REST2 API?`, 'config');
  }

  private async request(method: 'GET' | 'POST', path: string, opts: { query?: Record<string, string>; body?: unknown } = {}): Promise<unknown> {
    const url = `${this.base}${path}${opts.query ? queryString(opts.query) : ''}`;
    const what = `${method} ${this.base}${path}`;
    let status: number;
    let location: string | null;
    let contentType: string;
    let text: string;
    try {
      const res = await this.fetchImpl(url, {
        method,
        headers: this.headers(opts.body !== undefined),
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        // A redirect from RT means "log in" (or another address): never follow it with the token.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      status = res.status;
      location = res.headers.get('location');
      contentType = res.headers.get('content-type') ?? '';
      text = await res.text();
    } catch (e) {
      throw this.networkError(what, e);
    }
    if (status >= 300 && status < 400) {
      const to = location ?? '(no Location)';
      const login = /\/(?:NoAuth\/Login\.html|index\.html)?(?:\?.*)?$/.test(to) && !to.includes('/REST/2.0');
      throw new RtError(
        login
          ? `${what}: RT answered ${status}, a redirect to its login page (${to}), instead of an API answer. RT does this when a request reaches REST2 without credentials it can use and looks like a browser's; check that a proxy in front of RT passes the Authorization header, and that RT_TOKEN is set`
          : `${what}: RT answered ${status}, a redirect to ${to}: use that address as --rt-url`,
        'config',
        status,
      );
    }
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (status >= 200 && status < 300) {
      if (json === undefined) throw this.unexpected(method, path, `RT answered ${status} with ${contentType || 'no content type'}, not JSON`);
      return json;
    }
    const rtMessage = typeof (json as { message?: unknown } | undefined)?.message === 'string' ? cleanMessage((json as { message: string }).message) : '';
    if (status === 401) {
      throw new RtError(
        `${what}: RT refused the token (401 ${rtMessage || 'Unauthorized'}): check RT_TOKEN; a token looks like 1-<user id>-<32 hex digits>, is shown once when it is created (RT: Logged in as → Settings → Auth Tokens), and may have expired or been revoked`,
        'config',
        status,
      );
    }
    if (json === undefined) {
      // Not RT's JSON error: the URL reaches some other server, or the wrong path on RT's.
      throw new RtError(
        `${what}: ${status} ${text.trim().slice(0, 80) || 'with no body'} (${contentType || 'no content type'}), not RT's REST2: --rt-url should be RT's web address, e.g. https://rt.example.com/rt (Debian's RT serves /rt)`,
        status === 404 ? 'config' : 'refused',
        status,
      );
    }
    throw new RtError(`RT answered ${status}: ${rtMessage || '(no message)'}`, 'refused', status);
  }

  private networkError(what: string, e: unknown): RtError {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    if (err.name === 'TimeoutError' || err.name === 'AbortError') {
      return new RtError(`${what}: no answer from RT within ${this.opts.timeoutMs / 1000} s (--timeout)`, 'unreachable');
    }
    const code = err.cause?.code ?? '';
    const reason = NETWORK_CODES[code] ?? (/CERT|SSL|TLS/i.test(code) ? `TLS: ${code} (a private CA goes in NODE_EXTRA_CA_CERTS)` : err.cause?.message ?? err.message);
    return new RtError(`cannot reach RT: ${what}: ${reason}`, 'unreachable');
  }
}
