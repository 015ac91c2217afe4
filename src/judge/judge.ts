import { KEY_EXPOSED, decide } from './decision-table.js';
import { judgeWhat } from './what.js';
import { judgeWhere } from './where.js';
import { judgeWho } from './who.js';
import { LogOnlyChecks } from './log-only.js';
import { WhenJudge } from './when.js';
import { SEVERITIES, VALID, type Finding, type Outcome, type Severity, type Verdict } from '../model/finding.js';
import type { ApiRequest } from '../model/request.js';
import { identityGroup, maskSecret, redactSecret, unknownIdentityLabel } from '../normalise/identity.js';
import type { Policy } from '../policy/policy.js';

function outcomeOf(status: number): Outcome {
  if (status >= 400) return 'blocked';
  if (status > 0) return 'let-through';
  return 'unknown';
}

/** A violation the gateway let through is worse than one it blocked: one step up. */
function raise(severity: Severity, outcome: Outcome): Severity {
  if (outcome !== 'let-through') return severity;
  return SEVERITIES[Math.min(SEVERITIES.indexOf(severity) + 1, SEVERITIES.length - 1)]!;
}

const merge = (...verdicts: Verdict[]): { reasons: string[]; groups: string[] } => ({
  reasons: verdicts.flatMap((v) => v.reasons),
  groups: verdicts.flatMap((v) => v.groups),
});

/**
 * Judges requests, given in time order, on Who / Where / What / When and looks the result up in
 * the decision table. Returns the finding, or null for a clean request.
 */
export class Judge {
  private readonly when = new WhenJudge();
  /** Requests whose Where or What could not be checked: the log has no client IP, or no method and path. */
  readonly unchecked = { where: 0, what: 0 };
  /** Without a key inventory, only what the logs alone can tell. */
  private readonly logOnly: LogOnlyChecks | null;

  constructor(
    readonly policy: Policy,
    /** More When checks, judged with the table's (learned baselines); only for requests with a valid Who. */
    private readonly extraWhen?: (req: ApiRequest) => Verdict,
  ) {
    this.logOnly = policy.hasInventory ? null : new LogOnlyChecks();
  }

  judge(req: ApiRequest): Finding | null {
    const entry = this.logOnly ? undefined : this.policy.inventory.lookup(req.identity);
    let who = VALID;
    let where = VALID;
    let what = VALID;
    let when = VALID;
    if (this.logOnly) {
      ({ who, where, when } = this.logOnly.judge(req));
      if (who.valid && this.extraWhen) when = combine(when, this.extraWhen(req));
    } else {
      who = judgeWho(req, entry);
      if (who.valid && entry !== undefined) {
        // A format without a client IP, or without method and path, cannot be checked on that axis.
        if (req.ip === '') this.unchecked.where++;
        else where = judgeWhere(req, entry);
        if (req.path === '') this.unchecked.what++;
        else what = judgeWhat(req, entry);
        when = this.when.judge(req, entry); // always: every valid-Who request counts towards rate and quota
        if (this.extraWhen) when = combine(when, this.extraWhen(req));
      }
    }
    const row = decide(who.valid, where.valid, what.valid, when.valid);
    if (row === undefined) return null;

    // Reasons from the columns the row looks at, in table order.
    const used: Verdict[] = [];
    if (row.who !== 'n/a' && !who.valid) used.push(who);
    if (row.where !== 'n/a' && !where.valid) used.push(where);
    if (row.what !== 'n/a' && !what.valid) used.push(what);
    if (row.when !== 'n/a' && !when.valid) used.push(when);
    const { reasons, groups } = merge(...used);
    const outcome = outcomeOf(req.status);
    return redacted({
      request: req,
      row: row.id,
      severity: raise(row.severity, outcome),
      outcome,
      keyLabel: entry ? entry.name : unknownIdentityLabel(req.identity),
      keyGroup: entry ? `policy:${entry.name}` : identityGroup(req.identity),
      reasons,
      groups,
    });
  }

  /**
   * The key-exposure finding for a request whose record shows a raw key in the clear, or null.
   * Judged apart from the table: the leak matters whatever the request itself did.
   */
  exposure(req: ApiRequest): Finding | null {
    const exposed = req.exposedKey;
    if (!exposed) return null;
    const inventory = this.policy.inventory;
    const entry = inventory.lookup({ key: exposed, hash: '', id: '', alias: '' }) ?? (this.logOnly ? undefined : inventory.lookup(req.identity));
    const shown = maskSecret(exposed);
    return redacted({
      request: req,
      row: KEY_EXPOSED.id,
      severity: KEY_EXPOSED.severity,
      outcome: outcomeOf(req.status),
      keyLabel: entry ? entry.name : `key ${shown}`,
      keyGroup: entry ? `policy:${entry.name}` : `k:${exposed}`,
      reasons: [`raw API key ${shown} in the log (${req.exposedIn}): anyone who reads the logs can use it`],
      groups: [`raw key in the log (${req.exposedIn})`],
    });
  }
}

function combine(a: Verdict, b: Verdict): Verdict {
  if (b.valid) return a;
  if (a.valid) return b;
  return { valid: false, reasons: [...a.reasons, ...b.reasons], groups: [...a.groups, ...b.groups] };
}

/** Masks the request's raw key(s) in everything a finding prints; the path may hold one too. */
function redacted(f: Finding): Finding {
  const req = f.request;
  for (const raw of [req.identity.key, req.exposedKey ?? '']) {
    if (raw === '') continue;
    req.path = redactSecret(req.path, raw);
    f.reasons = f.reasons.map((r) => redactSecret(r, raw));
    f.groups = f.groups.map((g) => redactSecret(g, raw));
    f.keyLabel = redactSecret(f.keyLabel, raw);
  }
  return f;
}

