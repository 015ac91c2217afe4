import { decide } from './decision-table.js';
import { judgeWhat } from './what.js';
import { judgeWhere } from './where.js';
import { judgeWho } from './who.js';
import { LogOnlyChecks } from './log-only.js';
import { WhenJudge } from './when.js';
import { SEVERITIES, VALID, type Finding, type Outcome, type Severity, type Verdict } from '../model/finding.js';
import type { ApiRequest } from '../model/request.js';
import { identityGroup, redactSecret, unknownIdentityLabel } from '../normalise/identity.js';
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
  /** Without a key inventory, only what the logs alone can tell. */
  private readonly logOnly: LogOnlyChecks | null;

  constructor(readonly policy: Policy) {
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
    } else {
      who = judgeWho(req, entry);
      if (who.valid && entry !== undefined) {
        where = judgeWhere(req, entry);
        what = judgeWhat(req, entry);
        when = this.when.judge(req, entry); // always: every valid-Who request counts towards rate and quota
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
    let { reasons, groups } = merge(...used);
    const raw = req.identity.key;
    if (raw !== '') {
      // A raw key logged in the clear may also sit in the path: mask it in everything printed.
      req.path = redactSecret(req.path, raw);
      reasons = reasons.map((r) => redactSecret(r, raw));
      groups = groups.map((g) => redactSecret(g, raw));
    }
    const outcome = outcomeOf(req.status);
    return {
      request: req,
      row: row.id,
      severity: raise(row.severity, outcome),
      outcome,
      keyLabel: entry ? entry.name : redactSecret(unknownIdentityLabel(req.identity), raw),
      keyGroup: entry ? `policy:${entry.name}` : identityGroup(req.identity),
      reasons,
      groups,
    };
  }
}
