/**
 * Step 2 of triage, what the key did: its use (first and last, succeeded and blocked), its source
 * IPs, its clients (user agents) and its actions. Fed one request at a time, in judgement (time) order, with the findings
 * that request gave for the key. Memory is bounded by distinct sources and actions, not requests.
 */
import { networkOf } from '../init/learn.js';
import { LOG_ONLY_RULES } from '../judge/log-only.js';
import type { Finding, RowId } from '../model/finding.js';
import type { ApiRequest } from '../model/request.js';
import type { KeyEntry } from '../policy/policy.js';

/** Distinct sources and actions kept per key; the rest are counted together. */
export const MAX_SOURCES = 5000;
export const MAX_ACTIONS = 2000;
/** Distinct user agents kept per key (attacker-chosen text: bounded like the rest). */
export const MAX_CLIENTS = 500;

/** A request and the findings it gave for the triaged key (none for a clean request). */
export interface Seen {
  req: ApiRequest;
  findings: Finding[];
}

/** Status 1–399 reached the upstream; 400 and above was refused (by the gateway or upstream); 0: not logged. Same split as the Judge's outcome. */
export type StatusClass = 'succeeded' | 'blocked' | 'unknown';
export function statusClass(status: number): StatusClass {
  if (status >= 400) return 'blocked';
  return status > 0 ? 'succeeded' : 'unknown';
}

export interface Tally {
  requests: number;
  succeeded: number;
  blocked: number;
  unknown: number;
}

export const emptyTally = (): Tally => ({ requests: 0, succeeded: 0, blocked: 0, unknown: 0 });

export function count(t: Tally, status: number): void {
  t.requests++;
  t[statusClass(status)]++;
}

/** The network a source belongs to for first-seen purposes: its /24 (IPv4) or /64 (IPv6), as the log-only checks use. */
export function networkOfIp(ip: string): string {
  return networkOf(ip, LOG_ONLY_RULES.networks.v4Prefix, LOG_ONLY_RULES.networks.v6Prefix).cidr;
}

/** One request, as the report shows it (raw path: renderers redact). */
export interface Snapshot {
  time: number;
  ip: string;
  method: string;
  path: string;
  status: number;
  api: string;
  file: string;
  line: number;
  /** Table rows of the key's findings on this request, and their reasons. */
  rows: RowId[];
  reasons: string[];
}

export function snapshot(s: Seen): Snapshot {
  const r = s.req;
  return {
    time: r.time,
    ip: r.ip,
    method: r.method,
    path: r.path,
    status: r.status,
    api: r.api,
    file: r.file,
    line: r.line,
    rows: s.findings.map((f) => f.row),
    reasons: s.findings.flatMap((f) => f.reasons),
  };
}

export interface SourceStats extends Tally {
  ip: string;
  network: string;
  first: number;
  last: number;
  /** Inside the key's `from` networks; null when the key has none (or there is no policy). */
  insideFrom: boolean | null;
  /** Violating requests per table row. */
  rows: Map<RowId, number>;
  violations: number;
  letThrough: number;
}

/** One user agent of the key's requests ('' when the log has none). */
export interface ClientStats extends Tally {
  userAgent: string;
  first: number;
  last: number;
  violations: number;
}

export interface ActionStats extends Tally {
  method: string;
  path: string;
  /** Allowed by the key's role (a key without a role may do anything); null without a policy key. */
  allowed: boolean | null;
  violations: number;
  first: number;
}

/** One request in a source's or a client's stats: its status, first and last use, violations. */
function noteUse(s: Tally & { first: number; last: number; violations: number }, req: ApiRequest, violating: boolean): void {
  count(s, req.status);
  if (req.time < s.first) s.first = req.time;
  if (req.time > s.last) s.last = req.time;
  if (violating) s.violations++;
}

/** Use, sources, clients and actions of one key. */
export class Activity {
  readonly use = emptyTally();
  first = Infinity;
  last = -Infinity;
  violations = 0;
  /** Violating requests the gateway let through (status < 400). */
  letThrough = 0;
  readonly sources = new Map<string, SourceStats>();
  readonly otherSources = emptyTally();
  readonly actions = new Map<string, ActionStats>();
  readonly otherActions = emptyTally();
  readonly clients = new Map<string, ClientStats>();
  readonly otherClients = emptyTally();

  constructor(private readonly entry: KeyEntry | null) {}

  add(s: Seen): void {
    const { req } = s;
    const violating = s.findings.length > 0;
    const letThrough = violating && statusClass(req.status) === 'succeeded';
    count(this.use, req.status);
    if (req.time < this.first) this.first = req.time;
    if (req.time > this.last) this.last = req.time;
    if (violating) this.violations++;
    if (letThrough) this.letThrough++;

    let src = this.sources.get(req.ip);
    if (!src && this.sources.size < MAX_SOURCES) {
      src = {
        ip: req.ip,
        network: networkOfIp(req.ip),
        first: req.time,
        last: req.time,
        insideFrom: this.entry?.from ? this.entry.from.contains(req.ip) : null,
        rows: new Map(),
        violations: 0,
        letThrough: 0,
        ...emptyTally(),
      };
      this.sources.set(req.ip, src);
    }
    if (src) {
      noteUse(src, req, violating);
      if (letThrough) src.letThrough++;
      for (const f of s.findings) src.rows.set(f.row, (src.rows.get(f.row) ?? 0) + 1);
    } else count(this.otherSources, req.status);

    let client = this.clients.get(req.userAgent);
    if (!client && this.clients.size < MAX_CLIENTS) {
      client = { userAgent: req.userAgent, first: req.time, last: req.time, violations: 0, ...emptyTally() };
      this.clients.set(req.userAgent, client);
    }
    if (client) noteUse(client, req, violating);
    else count(this.otherClients, req.status);

    const actionKey = `${req.method} ${req.path}`;
    let act = this.actions.get(actionKey);
    if (!act && this.actions.size < MAX_ACTIONS) {
      const entry = this.entry;
      act = {
        method: req.method,
        path: req.path,
        // A key without a role may do anything; without a policy nothing is known.
        allowed: entry === null ? null : entry.role === null ? true : entry.role.check(req.method, req.path) === '',
        violations: 0,
        first: req.time,
        ...emptyTally(),
      };
      this.actions.set(actionKey, act);
    }
    if (act) {
      count(act, req.status);
      if (violating) act.violations++;
    } else count(this.otherActions, req.status);
  }
}
