/**
 * The triage report: what every renderer (table, json) prints, built once from what was
 * collected. Every log-derived string is masked and neutralised here, centrally, so a renderer
 * cannot forget to: raw keys (the policy's, and every raw key seen in the logs) become their
 * masked form, control characters become visible escapes. Times stay epoch ms; renderers format them.
 */
import type { Incident } from '../aggregate/incidents.js';
import { FINDING_KINDS } from '../judge/decision-table.js';
import type { RowId } from '../model/finding.js';
import { maskSecret } from '../normalise/identity.js';
import type { Redactor } from '../report/sanitize.js';
import type { Summary } from '../report/types.js';
import type { Snapshot, Tally } from './activity.js';
import type { BlastStart } from './blast.js';
import type { KeyTrack } from './collect.js';
import type { ContextResult } from './context.js';
import type { Ladder } from './ladder.js';
import { showIdentity, type KeyIdentities, type Match } from './resolve.js';
import type { Timeline } from './timeline.js';

export const TRIAGE_SCHEMA = 'apiguard.triage/1';

/** How "network" is meant for first-seen networks; printed with the onset. */
export const NETWORK_DEFINITION =
  "a network is a source's /24 (IPv4) or /64 (IPv6); one is new when the key had not used it earlier in the period triaged (its first request starts its history)";

/** A request as reports show it: a Snapshot with its strings masked. */
export type RequestView = Snapshot;

export interface TriageReport {
  key: {
    label: string;
    /** `policy`: a key of the policy; `logs`: an identity only the logs show (unknown to the policy, or no policy). */
    source: 'policy' | 'logs';
    matched: Match;
    owner: string;
    role: string;
    from: string[];
    rate: string;
    quota: string;
    hours: string;
    revoked: number | null;
    expires: number | null;
    /** Masked where secret (hashes, keys); names, aliases and ids as they are. */
    identities: { aliases: string[]; ids: string[]; hashes: string[]; keys: string[] };
  };
  period: { first: number | null; last: number | null; since: number | null; until: number | null; timezone: string };
  use: Tally & { first: number | null; last: number | null; violations: number; letThrough: number; incidents: number };
  sources: (Tally & { ip: string; network: string; first: number; last: number; insideFrom: boolean | null; violations: number; letThrough: number; rows: { row: RowId; count: number }[] })[];
  otherSources: Tally;
  actions: (Tally & { method: string; path: string; allowed: boolean | null; violations: number })[];
  otherActions: Tally;
  /** The user agents the key's requests sent ('' when the log has none), first seen first: a new client is an onset sign too. */
  clients: (Tally & { userAgent: string; first: number; last: number; violations: number })[];
  otherClients: Tally;
  networks: { network: string; first: number; requests: number; isNew: boolean; insideFrom: boolean | null }[];
  activity: Timeline;
  onset: {
    firstViolation: RequestView | null;
    firstNewNetwork: { network: string; insideFrom: boolean | null; request: RequestView } | null;
    definition: string;
  };
  blastRadius: {
    start: { by: BlastStart; request: RequestView } | null;
    total: Tally;
    violations: number;
    letThrough: number;
    sources: number;
    /** Requests from the sources that broke policy (or were a new network outside `from`), from their first such request on. */
    fromSuspectSources: Tally & { sources: number };
    apis: (Tally & { api: string })[];
    otherApis: Tally;
    actions: (Tally & { method: string; path: string; violations: number })[];
    otherActions: Tally;
  };
  /** Raw, as scan's reporters take them: render with incidentJson / ticketFor, which mask. */
  incidents: Incident[];
  ladder: Ladder;
  tickets: { dir: string; written: number; removed: number } | null;
  context: ContextResult | null;
  /** Raw, as scan's reporters take it: render with renderSummaryText or mask as the json reporter does. */
  summary: Summary;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function view(s: Snapshot, r: Redactor): RequestView {
  return { ...s, ip: r.text(s.ip), method: r.text(s.method), path: r.text(s.path), api: r.text(s.api), file: r.text(s.file), reasons: s.reasons.map((x) => r.text(x)) };
}

const tally = (t: Tally): Tally => ({ requests: t.requests, succeeded: t.succeeded, blocked: t.blocked, unknown: t.unknown });

export interface ReportInput {
  track: KeyTrack;
  /** The policy key's identities, when the key is a policy key. */
  identities: KeyIdentities | null;
  match: Match;
  timeline: Timeline;
  ladder: Ladder;
  period: TriageReport['period'];
  tickets: TriageReport['tickets'];
  context: ContextResult | null;
  summary: Summary;
  redact: Redactor;
}

export function buildReport(input: ReportInput): TriageReport {
  const { track, identities, redact: r } = input;
  const entry = track.entry;
  const a = track.activity;
  const o = track.onset;
  const b = track.blast;
  const incidents = track.aggregator.incidents();
  const logged = track.identity;
  return {
    key: {
      label: r.text(track.label),
      source: entry ? 'policy' : 'logs',
      matched: { ...input.match, shown: r.text(input.match.shown) },
      owner: r.text(entry?.owner ?? ''),
      role: r.text(entry?.roleName ?? ''),
      from: (entry?.from?.labels ?? []).map((l) => r.text(l)),
      rate: entry?.rate?.label ?? '',
      quota: entry?.quota?.label ?? '',
      hours: entry?.schedule?.label ?? '',
      revoked: entry && Number.isFinite(entry.revokedAt) ? entry.revokedAt : null,
      expires: entry && Number.isFinite(entry.expiresAt) ? entry.expiresAt : null,
      identities: identities
        ? {
            aliases: identities.aliases.map((x) => r.text(x)),
            ids: identities.ids.map((x) => r.text(x)),
            hashes: identities.hashes.map((x) => showIdentity('hash', x)),
            keys: identities.keys.map((x) => showIdentity('key', x)),
          }
        : {
            aliases: logged && logged.alias ? [r.text(logged.alias)] : [],
            ids: logged && logged.id ? [r.text(logged.id)] : [],
            hashes: logged && logged.hash ? [maskSecret(logged.hash)] : [],
            keys: logged && logged.key ? [maskSecret(logged.key)] : [],
          },
    },
    period: input.period,
    use: {
      ...tally(a.use),
      first: Number.isFinite(a.first) ? a.first : null,
      last: Number.isFinite(a.last) ? a.last : null,
      violations: a.violations,
      letThrough: a.letThrough,
      incidents: incidents.length,
    },
    sources: [...a.sources.values()]
      .sort((x, y) => x.first - y.first || cmp(x.ip, y.ip))
      .map((s) => ({
        ...tally(s),
        ip: r.text(s.ip),
        network: s.network,
        first: s.first,
        last: s.last,
        insideFrom: s.insideFrom,
        violations: s.violations,
        letThrough: s.letThrough,
        rows: [...s.rows].map(([row, count]) => ({ row, count })).sort((x, y) => rowOrder(x.row) - rowOrder(y.row)),
      })),
    otherSources: tally(a.otherSources),
    // Actions the role forbids first, then the busiest; ties by text, for stable output.
    actions: [...a.actions.values()]
      .map((x) => ({ ...tally(x), method: r.text(x.method), path: r.text(x.path), allowed: x.allowed, violations: x.violations }))
      .sort((x, y) => Number(x.allowed !== false) - Number(y.allowed !== false) || y.violations - x.violations || y.requests - x.requests || cmp(`${x.method} ${x.path}`, `${y.method} ${y.path}`)),
    otherActions: tally(a.otherActions),
    clients: [...a.clients.values()]
      .sort((x, y) => x.first - y.first || cmp(x.userAgent, y.userAgent))
      .map((x) => ({ ...tally(x), userAgent: r.text(x.userAgent), first: x.first, last: x.last, violations: x.violations })),
    otherClients: tally(a.otherClients),
    networks: [...o.networks.values()].map((n) => ({ network: n.network, first: n.first.time, requests: n.requests, isNew: n.isNew, insideFrom: n.insideFrom })),
    activity: input.timeline,
    onset: {
      firstViolation: o.firstViolation ? view(o.firstViolation, r) : null,
      firstNewNetwork: o.firstNewNetwork ? { network: o.firstNewNetwork.network, insideFrom: o.firstNewNetwork.insideFrom, request: view(o.firstNewNetwork.request, r) } : null,
      definition: NETWORK_DEFINITION,
    },
    blastRadius: {
      start: b.start ? { by: b.start.by, request: view(b.start.request, r) } : null,
      total: tally(b.total),
      violations: b.violations,
      letThrough: b.letThrough,
      sources: b.sources.size,
      fromSuspectSources: { ...tally(b.fromSuspects), sources: b.suspects.size },
      apis: [...b.apis]
        .map(([api, t]) => ({ api: r.text(api), ...tally(t) }))
        .sort((x, y) => y.requests - x.requests || cmp(x.api, y.api)),
      otherApis: tally(b.otherApis),
      actions: [...b.actions.values()]
        .map((x) => ({ ...tally(x), method: r.text(x.method), path: r.text(x.path), violations: x.violations }))
        .sort((x, y) => y.violations - x.violations || y.requests - x.requests || cmp(`${x.method} ${x.path}`, `${y.method} ${y.path}`)),
      otherActions: tally(b.otherActions),
    },
    incidents,
    ladder: input.ladder,
    tickets: input.tickets,
    context: input.context,
    summary: input.summary,
  };
}

/** Table order of finding kinds: rows 1–5, then key-exposed. */
export const rowOrder = (row: RowId): number => FINDING_KINDS.findIndex((k) => k.id === row);
