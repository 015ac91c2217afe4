import { isIP } from 'node:net';
import { incidentId, severalKeys, type Incident } from '../aggregate/incidents.js';
import { ROW_BY_ID, rowNumber, type Cell } from '../judge/decision-table.js';
import type { Severity } from '../model/finding.js';
import { isoUtc } from '../normalise/time.js';
import type { Redactor } from './sanitize.js';
import type { Reporter } from './types.js';

/**
 * Incidents as Elastic Common Schema alerts, one JSON document per line (NDJSON), for a shipper
 * (Filebeat, Elastic Agent) or a `_bulk` wrapper to put into the SIEM next to the gateway's own
 * logs. Field names and types follow ECS 9.4 (elastic/ecs `generated/ecs/ecs_flat.yml`): keyword
 * strings, long integers, float scores, ISO 8601 dates, valid IPs, and arrays only where ECS
 * expects them. What ECS has no field for lives under `apiguard.*` (ECS never uses product names,
 * so it cannot collide) and in `labels` (always keyword, so filterable without an index template).
 */
export const ECS_VERSION = '9.4.0';

/**
 * Elastic Security's default risk score per severity (low 21, medium 47, high 73, critical 99),
 * so apiguard alerts sort among the SIEM's own. Used for `event.severity` too: ECS leaves its
 * scale to the source, and one scale is easier to query than two.
 */
const RISK: Record<Severity, number> = { low: 21, medium: 47, high: 73, critical: 99 };

interface AttackRef {
  id: string;
  name: string;
  reference: string;
}

interface Attack {
  tactics: AttackRef[];
  technique: AttackRef;
  subtechnique?: AttackRef;
}

const tactic = (id: string, name: string): AttackRef => ({ id, name, reference: `https://attack.mitre.org/tactics/${id}/` });
const technique = (id: string, name: string): AttackRef => ({ id, name, reference: `https://attack.mitre.org/techniques/${id.replace('.', '/')}/` });

/** A valid key used where, for what or when it may not be: someone holds the key and uses it (rows 2–5). */
const KEY_USE: Attack = {
  tactics: [tactic('TA0005', 'Defense Evasion'), tactic('TA0008', 'Lateral Movement')],
  technique: technique('T1550', 'Use Alternate Authentication Material'),
  subtechnique: technique('T1550.001', 'Application Access Token'),
};

/** A raw key in the clear in the logs: whoever reads them can take it. */
const KEY_THEFT: Attack = {
  tactics: [tactic('TA0006', 'Credential Access')],
  technique: technique('T1528', 'Steal Application Access Token'),
};

/** The log-only key-guessing rule fired: many authentication failures from one source. */
const KEY_GUESSING: Attack = {
  tactics: [tactic('TA0006', 'Credential Access')],
  technique: technique('T1110', 'Brute Force'),
};

/** The grouping text of the log-only key-guessing rule (src/judge/log-only.ts). */
const KEY_GUESSING_REASON = 'key guessing:';

/**
 * The ATT&CK technique an incident is evidence of, or null. Row 1 on its own (no key, an unknown,
 * revoked or expired key, a rejected login) is a failed authentication, most often a
 * misconfigured client: tagging every 401 as Brute Force would fill the SIEM's ATT&CK views with
 * attacks that are not. Only when the key-guessing rule fired for the incident (10 or more
 * failures from one source within 10 minutes) is it T1110.
 */
function attackOf(i: Incident): Attack | null {
  switch (i.row) {
    case 'unauthenticated':
      return i.reasons.some((c) => c.text.startsWith(KEY_GUESSING_REASON)) ? KEY_GUESSING : null;
    case 'key-exposed':
      return KEY_THEFT;
    default:
      return KEY_USE;
  }
}

function threat(a: Attack): Record<string, unknown> {
  return {
    framework: 'MITRE ATT&CK',
    tactic: { id: a.tactics.map((t) => t.id), name: a.tactics.map((t) => t.name), reference: a.tactics.map((t) => t.reference) },
    technique: {
      id: [a.technique.id],
      name: [a.technique.name],
      reference: [a.technique.reference],
      subtechnique: a.subtechnique && { id: [a.subtechnique.id], name: [a.subtechnique.name], reference: [a.subtechnique.reference] },
    },
  };
}

const RULE_CATEGORY: Record<string, string> = { unauthenticated: 'authentication', 'key-exposed': 'credential-exposure' };

function ruleDescription(i: Incident): string {
  const kind = ROW_BY_ID.get(i.row)!;
  const n = rowNumber(i.row);
  const tail = `Possible cause: ${kind.cause}. Response: ${kind.responses.join('; ')}.`;
  if (n === 0) return `A raw API key is written in the clear in the log: whoever reads the logs can use it. ${tail}`;
  const cells: [string, Cell][] = [
    ['Who', kind.who],
    ['Where', kind.where],
    ['What', kind.what],
    ['When', kind.when],
  ];
  const looked = cells.filter(([, c]) => c !== 'n/a').map(([axis, c]) => `${axis} ${c}`);
  return `Decision table row ${n}: ${looked.join(', ')}. ${tail}`;
}

/**
 * `event.type` for category `api` (expected: access, admin, allowed, change, creation, deletion,
 * denied, end, info, start, user): `denied` when the gateway blocked every request, `allowed` when
 * it let any through, else `info`. Row 1 is also category `authentication`, whose expected types
 * are start, end and info: `info` is added so each category has a type it expects.
 */
function eventTypes(i: Incident): string[] {
  const api = i.blocked === i.count ? 'denied' : i.letThrough > 0 ? 'allowed' : 'info';
  return i.row === 'unauthenticated' && api !== 'info' ? [api, 'info'] : [api];
}

/** The requests' outcome as the gateway decided it: all blocked → failure, any let through → success. */
function outcome(i: Incident): 'failure' | 'success' | 'unknown' {
  if (i.blocked === i.count) return 'failure';
  return i.letThrough > 0 ? 'success' : 'unknown';
}

/**
 * True when the incident's key is an inventory entry, so `i.key` is its policy name (not a masked
 * value or an alias the log claims). The Incident does not say so itself; its id does: the judge
 * groups inventory keys as `policy:NAME`, and the id is a hash of that group.
 */
function isPolicyKey(i: Incident): boolean {
  return i.id === incidentId(`policy:${i.key}`, i.row, i.ip, i.tenant);
}

/**
 * Method and path for `http.request.method` / `url.path`, only when every request of the incident
 * did the same thing. With two or more actions no single one describes the incident, and a SIEM
 * query on `url.path` would find requests the incident does not contain; the full list is in
 * `apiguard.incident.actions`. (`http.response.status_code` is never set: an incident keeps
 * outcomes, not statuses.)
 */
function singleAction(i: Incident, r: Redactor): { method: string; path: string } | null {
  if (i.actions.length !== 1 || i.otherActions !== 0) return null;
  const text = i.actions[0]!.text;
  const space = text.indexOf(' ');
  if (space < 0) return null;
  return { method: r.text(text.slice(0, space)), path: r.text(text.slice(space + 1)) };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** One incident as one ECS document. Every log-derived string goes through the redactor. */
export function incidentEcs(i: Incident, r: Redactor, toolVersion: string): Record<string, unknown> {
  const kind = ROW_BY_ID.get(i.row)!;
  const key = r.text(i.key);
  const tenant = r.text(i.tenant);
  // An ip field that is not an address makes Elasticsearch reject the whole document.
  const ip = isIP(i.ip) !== 0 ? i.ip : '';
  const user = isPolicyKey(i) ? key : '';
  const action = singleAction(i, r);
  const first = i.evidence[0];
  const attack = attackOf(i);
  const risk = RISK[i.severity];
  const outcomes = [`${i.letThrough} let through`, `${i.blocked} blocked`];
  if (i.unknownOutcome > 0) outcomes.push(`${i.unknownOutcome} with no status`);
  const s = i.suppressed;
  // JSON.stringify leaves out undefined members: a field apiguard does not know is absent, not empty.
  return {
    '@timestamp': isoUtc(i.lastSeen),
    ecs: { version: ECS_VERSION },
    message:
      `${i.severity}: ${kind.cause} — ${key} from ${ip || 'an unknown source'}: ` +
      `${plural(i.count, 'request')} (${outcomes.join(', ')}). Response: ${kind.responses.join('; ')}.`,
    event: {
      kind: 'alert',
      category: i.row === 'unauthenticated' ? ['api', 'authentication'] : ['api'],
      type: eventTypes(i),
      action: i.row,
      outcome: outcome(i),
      severity: risk,
      risk_score: risk,
      risk_score_norm: risk,
      id: i.id,
      // No event.created: it would be the time of the scan, and the same input must give the same bytes.
      start: isoUtc(i.firstSeen),
      end: isoUtc(i.lastSeen),
      duration: (i.lastSeen - i.firstSeen) * 1_000_000,
      dataset: 'apiguard.finding',
      module: 'apiguard',
      provider: 'apiguard',
    },
    rule: {
      id: i.row,
      name: kind.cause,
      description: ruleDescription(i),
      category: RULE_CATEGORY[i.row] ?? 'api-key-misuse',
      ruleset: 'apiguard',
      version: '1',
    },
    threat: attack ? threat(attack) : undefined,
    source: ip ? { ip } : undefined,
    user: user ? { name: user } : undefined,
    http: action && action.method ? { request: { method: action.method } } : undefined,
    url: action && action.path ? { path: action.path } : undefined,
    // One client for every request that named one: ECS's single user_agent.original (all are under apiguard.incident.user_agents).
    user_agent: i.userAgents.length === 1 && i.otherUserAgents === 0 ? { original: r.text(i.userAgents[0]!.text) } : undefined,
    related: ip || user ? { ip: ip ? [ip] : undefined, user: user ? [user] : undefined } : undefined,
    observer: { vendor: 'apiguard', product: 'apiguard', type: 'log-analyzer', version: toolVersion },
    log: first ? { file: { path: r.text(first.file) } } : undefined,
    labels: { severity: i.severity },
    apiguard: {
      incident: {
        number: i.number,
        severity: i.severity,
        row_number: i.rowNumber,
        key,
        keys: severalKeys(i) ? i.keys.map((c) => r.text(c.text)) : undefined,
        other_keys: severalKeys(i) ? i.otherKeys : undefined,
        tenant: tenant || undefined,
        count: i.count,
        let_through: i.letThrough,
        blocked: i.blocked,
        unknown_outcome: i.unknownOutcome,
        first_line: first?.line,
        reasons: i.reasons.map((c) => r.text(c.text)),
        other_reasons: i.otherReasons,
        actions: i.actions.map((c) => r.text(c.text)),
        other_actions: i.otherActions,
        user_agents: i.userAgents.length > 0 ? i.userAgents.map((c) => r.text(c.text)) : undefined,
        other_user_agents: i.userAgents.length > 0 ? i.otherUserAgents : undefined,
        responses: kind.responses,
        evidence: i.evidence.map((e) => `${r.text(e.file)}:${e.line}`),
        suppressed: s ? { reason: r.text(s.reason), owner: r.text(s.owner), expires: r.text(s.expires), at: r.text(s.at) } : undefined,
      },
    },
  };
}

/** ECS alerts, one document per incident and line; the summary goes to stderr. */
const ecs: Reporter = {
  meta: { name: 'ecs', description: 'one ECS alert document per incident, NDJSON for Elasticsearch (summary on stderr)', summaryToStderr: true },
  render(report, ctx) {
    const version = report.summary.tool.version;
    return report.incidents.map((i) => JSON.stringify(incidentEcs(i, ctx.redact, version)) + '\n').join('');
  },
};

export default ecs;
