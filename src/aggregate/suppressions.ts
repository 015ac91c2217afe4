import { readFileSync } from 'node:fs';
import { parseYaml, throwProblems, type Path } from '../config/yaml.js';
import { FINDING_KINDS } from '../judge/decision-table.js';
import { PolicyError } from '../model/errors.js';
import type { Finding, RowId } from '../model/finding.js';
import { NetworkSet, parseRange } from '../policy/networks.js';
import { compilePattern, type CompiledPattern } from '../policy/patterns.js';
import { incidentGroup, incidentId } from './incidents.js';

/**
 * Accepted findings, file by file (`--suppress FILE`):
 *
 *   version: 1
 *   suppressions:
 *     - key: soar-enrichment        # the key's policy name — or `incident: AG-…` for one incident exactly
 *       row: when-violation         # always required: a suppression never spans rows
 *       network: 10.10.5.0/24       # optional: only from here
 *       action: GET /virustotal/**  # optional: only this action (a role pattern)
 *       reason: the nightly enrichment batch bursts by design
 *       owner: soc@corp.example
 *       expires: 2026-12-31         # required: after it, the entry stops suppressing and is reported
 *
 * A suppressed finding is still counted and listed, as suppressed. An entry names its key (or
 * incident) and row, so it can never hide a different key or a different kind of finding.
 */
export interface Suppressed {
  reason: string;
  owner: string;
  /** ISO date the suppression ends. */
  expires: string;
  /** Where it is written: `file:line`. */
  at: string;
}

interface Entry extends Suppressed {
  key: string;
  incident: string;
  row: RowId;
  network: NetworkSet | null;
  action: CompiledPattern | null;
  expiresAt: number;
  matched: number;
}

const FIELDS = ['key', 'incident', 'row', 'network', 'action', 'reason', 'owner', 'expires'];
const ROW_IDS = FINDING_KINDS.map((k) => k.id as string);

export class Suppressions {
  private constructor(
    readonly file: string,
    private readonly entries: Entry[],
    private readonly now: number,
  ) {}

  /** Loads and validates a suppression file; every problem at its line (exit 2). `now` decides what has expired. */
  static load(file: string, now: number): Suppressions {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new PolicyError(file, [{ line: 0, message: 'suppression file not found' }]);
    }
    const { problems: p, raw } = parseYaml(text, file);
    const top = raw as { version?: unknown; suppressions?: unknown } | null;
    if (top === null || typeof top !== 'object' || Array.isArray(top)) {
      p.add([], 'a suppression file is a mapping: {version: 1, suppressions: [...]}');
      throwProblems(file, p);
    }
    if (top!.version !== 1) p.add(['version'], 'version must be 1');
    const list = Array.isArray(top!.suppressions) ? top!.suppressions : [];
    if (!Array.isArray(top!.suppressions)) p.add(['suppressions'], 'suppressions must be a list');
    const entries: Entry[] = [];
    list.forEach((item: unknown, i: number) => {
      const at: Path = ['suppressions', i];
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        p.add(at, 'expected {key, row, reason, owner, expires}');
        return;
      }
      const e = item as Record<string, unknown>;
      for (const k of Object.keys(e)) if (!FIELDS.includes(k)) p.add([...at, k], `unknown field '${k}' (allowed: ${FIELDS.join(', ')})`);
      const text = (k: string): string => (e[k] === undefined || e[k] === null ? '' : String(e[k]).trim());
      const key = text('key');
      const incident = text('incident');
      if (!key && !incident) p.add(at, 'name the key (its policy name) or the incident (AG-…) this accepts');
      if (key && incident) p.add(at, 'name either key or incident, not both');
      if (incident && !/^AG-[0-9a-f]{16}$/.test(incident)) p.add([...at, 'incident'], `'${incident}' is not an incident id (AG- and 16 hex digits)`);
      const row = text('row');
      if (!ROW_IDS.includes(row)) p.add([...at, 'row'], `row must be one of ${ROW_IDS.join(', ')}`);
      for (const k of ['reason', 'owner', 'expires']) if (!text(k)) p.add([...at, k], `${k} is required`);
      let network: NetworkSet | null = null;
      if (text('network')) {
        const r = parseRange(text('network'));
        if (typeof r === 'string') p.add([...at, 'network'], r);
        else {
          network = new NetworkSet([text('network')]);
          if (r.v === 4) network.addV4(r.start, r.end);
          else network.addV6(r.start, r.end);
        }
      }
      let action: CompiledPattern | null = null;
      if (text('action')) {
        const c = compilePattern(text('action'));
        if (typeof c === 'string') p.add([...at, 'action'], c);
        else action = c;
      }
      const expires = text('expires');
      const expiresAt = /^\d{4}-\d{2}-\d{2}$/.test(expires) ? Date.parse(`${expires}T00:00:00Z`) + 86_400_000 : Date.parse(expires);
      if (expires && Number.isNaN(expiresAt)) p.add([...at, 'expires'], `'${expires}' is not a date (2026-12-31) or a timestamp with a zone`);
      entries.push({
        key,
        incident,
        row: row as RowId,
        network,
        action,
        reason: text('reason'),
        owner: text('owner'),
        expires,
        expiresAt,
        at: `${file}:${p.lineOf(at)}`,
        matched: 0,
      });
    });
    throwProblems(file, p);
    return new Suppressions(file, entries, now);
  }

  /** Marks the finding as suppressed by the first active entry that matches it. */
  apply(f: Finding): void {
    for (const e of this.entries) {
      if (e.row !== f.row) continue;
      if (e.key && e.key !== f.keyLabel) continue;
      if (e.incident && e.incident !== incidentId(incidentGroup(f), f.row, f.request.ip, f.request.tenant)) continue;
      if (e.network && !e.network.contains(f.request.ip)) continue;
      if (e.action && !e.action.regex.test(`${f.request.method} ${f.request.path}`)) continue;
      if (this.now >= e.expiresAt) continue; // expired: reported, never applied
      e.matched++;
      f.suppressed = { reason: e.reason, owner: e.owner, expires: e.expires, at: e.at };
      return;
    }
  }

  /** Entries past their expiry: they no longer suppress anything. */
  expired(): Suppressed[] {
    return this.entries.filter((e) => this.now >= e.expiresAt).map(({ reason, owner, expires, at }) => ({ reason, owner, expires, at }));
  }

  /** Active entries that matched nothing in this scan: probably no longer needed. */
  stale(): Suppressed[] {
    return this.entries.filter((e) => this.now < e.expiresAt && e.matched === 0).map(({ reason, owner, expires, at }) => ({ reason, owner, expires, at }));
  }

  get active(): number {
    return this.entries.filter((e) => this.now < e.expiresAt).length;
  }
}
