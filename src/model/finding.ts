import type { ApiRequest } from './request.js';

export type Severity = 'low' | 'medium' | 'high' | 'critical';
export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export type Axis = 'who' | 'where' | 'what' | 'when';

/** The outcome of one check on one request. */
export interface Verdict {
  valid: boolean;
  /** Why the check failed, in words a person can act on ("31st request in 1m, limit 30"). */
  reasons: string[];
  /** The same failures without per-request detail ("over rate 30/1m"), for grouping into incidents. */
  groups: string[];
}

export const VALID: Verdict = Object.freeze({ valid: true, reasons: [], groups: [] }) as Verdict;

export function invalid(reason: string, group: string = reason): Verdict {
  return { valid: false, reasons: [reason], groups: [group] };
}

export type RowId =
  | 'unauthenticated'
  | 'wrong-workstation'
  | 'key-compromised'
  | 'invalid-for-role'
  | 'when-violation'
  /** Not a row of the decision table: a raw key seen in the clear in the logs. */
  | 'key-exposed';

/** What the gateway did with a violating request. */
export type Outcome = 'blocked' | 'let-through' | 'unknown';

/** One violating request. */
export interface Finding {
  request: ApiRequest;
  row: RowId;
  severity: Severity;
  outcome: Outcome;
  /** The policy name of the key, or its masked form when it is not in the inventory. */
  keyLabel: string;
  /** Internal grouping identity for the key (never printed). */
  keyGroup: string;
  /** Reasons from the checks that decided the row. */
  reasons: string[];
  groups: string[];
  /** Set when a suppression entry accepts this finding: it is still counted and listed, as suppressed. */
  suppressed?: { reason: string; owner: string; expires: string; at: string };
}
