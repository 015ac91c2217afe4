import { KEY_EXPOSED, decide } from './decision-table.js';
import { judgeWhat } from './what.js';
import { judgeWhere } from './where.js';
import { judgeWho } from './who.js';
import { LogOnlyChecks } from './log-only.js';
import { WhenJudge } from './when.js';
import { SEVERITIES, VALID, type Finding, type Outcome, type Severity, type Verdict } from '../model/finding.js';
import type { ApiRequest } from '../model/request.js';
import { identityGroup, maskSecret, redactSecret, unknownIdentityLabel } from '../normalise/identity.js';
import type { KeyEntry, Policy } from '../policy/policy.js';

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
 * What `prejudge` found out of time order, for `finish`: for most requests (Who, Where and What
 * valid, no raw key in the record) just the key's entry, so nothing is allocated; else the
 * verdicts. Null without a key inventory: the log-only checks are stateful, so all is judged in
 * `finish`.
 */
export type Prejudged = KeyEntry | Verdicts | null;

/** The order-free verdicts of a request that is not simply valid on all three (or shows a raw key). */
export class Verdicts {
  constructor(
    readonly entry: KeyEntry | undefined,
    readonly who: Verdict,
    readonly where: Verdict,
    readonly what: Verdict,
    /** The record shows a raw key: `exposure` has a finding to make. */
    readonly exposed: boolean,
  ) {}
}

/**
 * Judges requests on Who / Where / What / When and looks the result up in the decision table.
 * Who, Where and What depend on the request and the policy alone, so `prejudge` works them out
 * as a request arrives, while its text is still in the processor's caches; When (rate, quota)
 * depends on the requests before it, so `finish` does it in time order. The time-order window
 * holds minutes of requests, and a request released from it is no longer in any cache: most
 * clean requests are then finished without touching the request at all.
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

  /**
   * Judges one request (requests given in time order): `prejudge` and `finish` at once. Returns
   * the finding, or null for a clean request.
   */
  judge(req: ApiRequest): Finding | null {
    return this.finish(() => req, this.prejudge(req), req.time);
  }

  /** The order-free part (Who, Where, What), in any order; once per request. */
  prejudge(req: ApiRequest): Prejudged {
    if (this.logOnly) return null;
    const entry = this.policy.inventory.lookup(req.identity);
    const who = judgeWho(req, entry);
    let where = VALID;
    let what = VALID;
    if (who.valid && entry !== undefined) {
      // A format without a client IP, or without method and path, cannot be checked on that axis.
      if (req.ip === '') this.unchecked.where++;
      else where = judgeWhere(req, entry);
      if (req.path === '') this.unchecked.what++;
      else what = judgeWhat(req, entry);
    }
    const exposed = req.exposedKey !== undefined && req.exposedKey !== '';
    if (entry !== undefined && who.valid && where.valid && what.valid && !exposed) return entry;
    return new Verdicts(entry, who, where, what, exposed);
  }

  /**
   * The rest, in time order: When, the table, the finding. `time` is the request's time, and
   * `request` gives the request itself, called only when something is read from it (a finding,
   * the log-only checks, learned baselines): a clean request the time-order window held by
   * number is then never rebuilt (src/pipeline/held-batches.ts).
   */
  finish(request: () => ApiRequest, pre: Prejudged, time: number): Finding | null {
    let entry: KeyEntry | undefined;
    let who = VALID;
    let where = VALID;
    let what = VALID;
    let when = VALID;
    if (pre === null) {
      ({ who, where, when } = this.logOnly!.judge(request()));
      if (who.valid && this.extraWhen) when = combine(when, this.extraWhen(request()));
    } else {
      if (pre instanceof Verdicts) ({ entry, who, where, what } = pre);
      else entry = pre;
      if (who.valid && entry !== undefined) {
        when = this.when.judge(time, entry); // always: every valid-Who request counts towards rate and quota
        if (this.extraWhen) when = combine(when, this.extraWhen(request()));
      }
    }
    const row = decide(who.valid, where.valid, what.valid, when.valid);
    if (row === undefined) return null;
    const req = request();

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

  /** Whether `exposure` may have a finding for a request `prejudge` gave `pre`. */
  mayExpose(request: () => ApiRequest, pre: Prejudged): boolean {
    if (pre !== null) return pre instanceof Verdicts && pre.exposed;
    const exposed = request().exposedKey;
    return exposed !== undefined && exposed !== '';
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

/** Masks the request's raw key(s) in everything a finding prints; the path, user agent or request id may hold one too. */
function redacted(f: Finding): Finding {
  const req = f.request;
  for (const raw of [req.identity.key, req.exposedKey ?? '']) {
    if (raw === '') continue;
    req.path = redactSecret(req.path, raw);
    req.userAgent = redactSecret(req.userAgent, raw);
    req.requestId = redactSecret(req.requestId, raw);
    f.reasons = f.reasons.map((r) => redactSecret(r, raw));
    f.groups = f.groups.map((g) => redactSecret(g, raw));
    f.keyLabel = redactSecret(f.keyLabel, raw);
  }
  return f;
}

