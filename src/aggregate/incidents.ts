import { createHash } from 'node:crypto';
import { FINDING_KINDS, ROW_BY_ID, rowNumber } from '../judge/decision-table.js';
import { SEVERITIES, severityRank, type Finding, type RowId, type Severity } from '../model/finding.js';
import type { RecordLocation } from '../model/request.js';

/** How many distinct reasons / actions / evidence locations an incident keeps, to bound memory. */
const MAX_DISTINCT = 20;
const MAX_EVIDENCE = 5;
/**
 * Sources with incidents of their own, per key (and per group of keys nobody issued, and of
 * requests with no key): the source is the sender's choice (a botnet, or an IPv6 /64 of 2^64
 * addresses), so without a bound the incidents of one stolen key would grow with the log.
 * Findings from further sources go to one incident per key, row and tenant, from `OTHER_SOURCES`.
 */
export const MAX_SOURCES = 10_000;
/** The `ip` of the incident of the sources past `MAX_SOURCES` (not an address: never a real source). */
export const OTHER_SOURCES = 'other sources';

export interface Counted {
  text: string;
  count: number;
}

/**
 * Findings of one key, one table row and one source IP. Keys nobody issued (row 1, and raw keys in
 * the log that the inventory does not name) are grouped by source instead: see `incidentGroup`.
 */
export interface Incident {
  /** 1-based, in report order. */
  number: number;
  /**
   * Stable id (`AG-` + 16 hex): the same key, row and source give the same id in every run, so
   * tickets, SARIF fingerprints and suppressions can follow an incident from night to night
   * (for keys nobody issued: the same row and source, whichever keys). A hash of the key's
   * identity, never the identity itself.
   */
  id: string;
  /** The tenant (e.g. Tyk org_id) of its requests; '' when the format has none. */
  tenant: string;
  row: RowId;
  rowNumber: number;
  cause: string;
  responses: readonly string[];
  /** The highest severity among its findings. */
  severity: Severity;
  /**
   * The key's policy name or masked form; for an incident of keys nobody issued (`keys` has more
   * than one), how many: `3 different keys`, `more than 20 different keys`.
   */
  key: string;
  /** The keys of its findings as they are shown (masked), most frequent first; `otherKeys` counts the rest. */
  keys: Counted[];
  otherKeys: number;
  /** True when its key part is "keys nobody issued" from this source, not one key (`incidentGroup`). */
  unissued: boolean;
  /** The source IP as normalised, '' when the log has none, or `OTHER_SOURCES` past `MAX_SOURCES`. */
  ip: string;
  firstSeen: number;
  lastSeen: number;
  count: number;
  blocked: number;
  letThrough: number;
  unknownOutcome: number;
  /** Grouped reasons with counts, most frequent first; `otherReasons` counts the rest. */
  reasons: Counted[];
  otherReasons: number;
  actions: Counted[];
  otherActions: number;
  /**
   * The clients' user agents as logged (attacker-chosen text), most frequent first; `otherUserAgents`
   * counts the requests with others. Requests whose log has none are not counted.
   */
  userAgents: Counted[];
  otherUserAgents: number;
  /** The first few requests, as file:line. */
  evidence: RecordLocation[];
  /** The suppression that accepts this incident's findings, or null. */
  suppressed: { reason: string; owner: string; expires: string; at: string } | null;
}

class CountedSet {
  readonly map = new Map<string, number>();
  other = 0;
  constructor(private readonly intern: (text: string) => string) {}
  add(text: string): void {
    const n = this.map.get(text);
    if (n !== undefined) this.map.set(text, n + 1);
    else if (this.map.size < MAX_DISTINCT) this.map.set(this.intern(text), 1);
    else this.other++;
  }
  sorted(): Counted[] {
    return [...this.map]
      .map(([text, count]) => ({ text, count }))
      .sort((a, b) => b.count - a.count || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
  }
}

/** An incident while findings still arrive: sets instead of sorted lists, no number yet. */
interface Building
  extends Omit<Incident, 'number' | 'id' | 'rowNumber' | 'cause' | 'responses' | 'reasons' | 'otherReasons' | 'actions' | 'otherActions' | 'suppressed' | 'keys' | 'otherKeys' | 'unissued' | 'userAgents' | 'otherUserAgents'> {
  suppressed: Incident['suppressed'];
  group: string;
  reasons: CountedSet;
  actions: CountedSet;
  userAgents: CountedSet;
  /** Only for an incident grouped by source: the keys shown, and which distinct identities (up to one more than shown). */
  keys: CountedSet | null;
  identities: Set<string> | null;
}

/** The group of the keys nobody issued; `-` (no key at all) keeps its own. */
const UNISSUED = 'unissued';

/**
 * The key part of a finding's incident. A key the inventory names (or, without one, a key the
 * gateway accepted) is an identity: its incidents are its own. A key nobody issued — row 1's
 * unknown or rejected key, a raw key in the log that the inventory does not name — is whatever
 * the sender typed: one incident per such key would let a key-guessing run open one incident,
 * and one ticket, per guess (measured: 200,000 guesses, 200,000 incidents, ~600 MB). Those
 * findings are grouped by source, and the incident lists the keys.
 */
export function incidentGroup(f: Pick<Finding, 'row' | 'keyGroup'>): string {
  if ((f.row === 'unauthenticated' || f.row === 'key-exposed') && f.keyGroup !== '-' && !f.keyGroup.startsWith('policy:')) return UNISSUED;
  return f.keyGroup;
}

/** `AG-` + the first 16 hex of SHA-256 over key identity, row, source, and tenant when there is one. */
export function incidentId(keyGroup: string, row: RowId, ip: string, tenant = '', suppressed = false): string {
  // The suppressed part of an incident (a suppression may cover only some actions) is an incident of its own.
  const text = `apiguard/incident/v1\u0000${keyGroup}\u0000${row}\u0000${ip}${tenant ? `\u0000${tenant}` : ''}${suppressed ? '\u0000suppressed' : ''}`;
  return 'AG-' + createHash('sha256').update(text).digest('hex').slice(0, 16);
}

const kindOrder = (id: RowId): number => FINDING_KINDS.findIndex((k) => k.id === id);

/** A string of its own (V8 keeps concatenations and slices as references to their parts). */
const flatCopy = (text: string): string => JSON.parse(JSON.stringify(text)) as string;

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Whether the incident (of keys nobody issued, grouped by source) saw more than one key, so that
 * reports list them. Two keys can share a mask: then the one label is listed under "N different keys".
 */
export const severalKeys = (i: Incident): boolean => i.keys.length > 1 || i.otherKeys > 0 || i.keys[0]?.text !== i.key;

/** The incident's key label: the one key, or how many different keys an incident grouped by source saw. */
function keyOf(g: Building): string {
  const n = g.identities?.size ?? 1;
  if (n <= 1) return g.key;
  return n > MAX_DISTINCT ? `more than ${MAX_DISTINCT} different keys` : `${n} different keys`;
}

/** Groups findings into incidents (key × row × source IP; see `incidentGroup`) and counts findings per row. */
export class IncidentAggregator {
  /** Incidents in the order they opened (the sort in `incidents` keeps that order among equals). */
  private readonly groups: Building[] = [];
  /**
   * The same incidents by key group, then source IP: the few of one key and source (one per row,
   * tenant and suppression) in a list. No key text is built per finding: a joined key cost a
   * concatenation, its flattening and hashing for each one.
   */
  private readonly byKey = new Map<string, Map<string, Building[]>>();
  /**
   * One flat copy of each reason and action text that incidents keep. Thousands of incidents share
   * the same few reasons and many actions, and an action arrives as a concatenation that would
   * keep its parts alive. Measured on the benchmark: a third less incident state at 800k records,
   * peak RSS at 4M records 283 → 242 MB (--jobs 2). Bounded by what the incidents keep (20 of each).
   */
  private readonly texts = new Map<string, string>();
  private readonly intern = (text: string): string => {
    let kept = this.texts.get(text);
    if (kept === undefined) {
      kept = flatCopy(text);
      this.texts.set(kept, kept);
    }
    return kept;
  };
  readonly byRow = new Map<RowId, number>(FINDING_KINDS.map((r) => [r.id, 0]));
  readonly bySeverity = new Map<Severity, number>(SEVERITIES.map((s) => [s, 0]));
  findings = 0;
  letThrough = 0;
  /** Findings accepted by a suppression: counted here, not in the other counts (nor in --fail-on). */
  suppressed = 0;

  add(f: Finding): void {
    if (f.suppressed) this.suppressed++;
    else {
      this.findings++;
      this.byRow.set(f.row, this.byRow.get(f.row)! + 1);
      this.bySeverity.set(f.severity, this.bySeverity.get(f.severity)! + 1);
      if (f.outcome === 'let-through') this.letThrough++;
    }
    const req = f.request;
    const group = incidentGroup(f);
    let bySource = this.byKey.get(group);
    if (bySource === undefined) this.byKey.set(group, (bySource = new Map()));
    let source = req.ip;
    let same = bySource.get(source);
    if (same === undefined && bySource.size >= MAX_SOURCES) {
      source = OTHER_SOURCES;
      same = bySource.get(source);
    }
    if (same === undefined) bySource.set(source, (same = []));
    // Suppressed and open findings of the same key, row and source are separate incidents.
    const at = f.suppressed?.at ?? '';
    let g: Building | undefined;
    for (const c of same) {
      if (c.row === f.row && c.tenant === req.tenant && (c.suppressed?.at ?? '') === at) {
        g = c;
        break;
      }
    }
    if (g === undefined) {
      g = {
        suppressed: f.suppressed ?? null,
        group,
        tenant: req.tenant,
        row: f.row,
        severity: f.severity,
        key: f.keyLabel,
        ip: source,
        firstSeen: req.time,
        lastSeen: req.time,
        count: 0,
        blocked: 0,
        letThrough: 0,
        unknownOutcome: 0,
        reasons: new CountedSet(this.intern),
        actions: new CountedSet(this.intern),
        userAgents: new CountedSet(this.intern),
        evidence: [],
        keys: group === UNISSUED ? new CountedSet(this.intern) : null,
        identities: group === UNISSUED ? new Set() : null,
      };
      same.push(g);
      this.groups.push(g);
    }
    g.count++;
    if (severityRank(f.severity) > severityRank(g.severity)) g.severity = f.severity;
    if (req.time < g.firstSeen) g.firstSeen = req.time;
    if (req.time > g.lastSeen) g.lastSeen = req.time;
    if (f.outcome === 'blocked') g.blocked++;
    else if (f.outcome === 'let-through') g.letThrough++;
    else g.unknownOutcome++;
    for (const r of f.groups) g.reasons.add(r);
    if (g.keys !== null) {
      g.keys.add(f.keyLabel);
      // Distinct by identity, not by label: two keys can share a mask (short keys all show `…***`).
      if (g.identities!.size <= MAX_DISTINCT) g.identities!.add(f.keyGroup);
    }
    g.actions.add(`${req.method} ${req.path}`);
    if (req.userAgent !== '') g.userAgents.add(req.userAgent);
    if (g.evidence.length < MAX_EVIDENCE) g.evidence.push({ file: req.file, line: req.line });
  }

  /** Incidents, worst first: severity, table row, key, source, first seen. Stable for diffs. */
  incidents(): Incident[] {
    const list = [...this.groups].sort(
      (a, b) =>
        Number(a.suppressed !== null) - Number(b.suppressed !== null) || // open incidents first
        severityRank(b.severity) - severityRank(a.severity) ||
        kindOrder(a.row) - kindOrder(b.row) ||
        cmp(keyOf(a), keyOf(b)) ||
        cmp(a.ip, b.ip) ||
        a.firstSeen - b.firstSeen,
    );
    return list.map((g, i) => {
      const row = ROW_BY_ID.get(g.row)!;
      return {
        number: i + 1,
        id: incidentId(g.group, g.row, g.ip, g.tenant, g.suppressed !== null),
        tenant: g.tenant,
        row: g.row,
        rowNumber: rowNumber(g.row),
        cause: row.cause,
        responses: row.responses,
        severity: g.severity,
        key: keyOf(g),
        keys: g.keys === null ? [{ text: g.key, count: g.count }] : g.keys.sorted(),
        otherKeys: g.keys === null ? 0 : g.keys.other,
        unissued: g.keys !== null,
        ip: g.ip,
        firstSeen: g.firstSeen,
        lastSeen: g.lastSeen,
        count: g.count,
        blocked: g.blocked,
        letThrough: g.letThrough,
        unknownOutcome: g.unknownOutcome,
        reasons: g.reasons.sorted(),
        otherReasons: g.reasons.other,
        actions: g.actions.sorted(),
        otherActions: g.actions.other,
        userAgents: g.userAgents.sorted(),
        otherUserAgents: g.userAgents.other,
        evidence: g.evidence,
        suppressed: g.suppressed,
      };
    });
  }
}
