import type { RowId, Severity } from '../model/finding.js';

/**
 * The decision table, as the product defines it. Each request's four verdicts are matched against
 * the rows in order; the first row that fits is the finding, no row means a clean request.
 * `n/a` means the column is not looked at. Causes and responses are the table's words.
 */
export type Cell = 'valid' | 'invalid' | 'n/a';

export interface DecisionRow {
  id: RowId;
  who: Cell;
  where: Cell;
  what: Cell;
  when: Cell;
  cause: string;
  responses: readonly string[];
  severity: Severity;
}

// prettier-ignore
export const DECISION_TABLE: readonly DecisionRow[] = [
  //  id                    who        where      what       when       possible cause                                                 response                                                    severity
  { id: 'unauthenticated',   who: 'invalid', where: 'n/a',     what: 'n/a',     when: 'n/a',     cause: 'API request not authenticated',                                responses: ['Block API request'],                                         severity: 'low' },
  { id: 'wrong-workstation', who: 'valid',   where: 'invalid', what: 'valid',   when: 'n/a',     cause: 'Analyst using wrong workstation',                              responses: ['Block API request', 'Investigate API key'],                  severity: 'medium' },
  { id: 'key-compromised',   who: 'valid',   where: 'invalid', what: 'invalid', when: 'n/a',     cause: 'API key compromised',                                          responses: ['Block API request', 'Revoke API key & create new API key'],  severity: 'critical' },
  { id: 'invalid-for-role',  who: 'valid',   where: 'valid',   what: 'invalid', when: 'n/a',     cause: 'API request invalid for given role',                           responses: ['Block API request', 'Investigate API key'],                  severity: 'high' },
  { id: 'when-violation',    who: 'valid',   where: 'valid',   what: 'valid',   when: 'invalid', cause: 'API request exceeds rate-limit/quota; Anomalous API requests', responses: ['Block API request', 'Investigate API key'],                  severity: 'medium' },
];

/**
 * Besides the table, one finding about the logs themselves: a raw API key written in the clear
 * (a query parameter, a logged header, AWS `identity.apiKey`). Whoever reads the logs can use the
 * key, so it must be rotated whatever the request did.
 */
export const KEY_EXPOSED: DecisionRow = {
  id: 'key-exposed', who: 'n/a', where: 'n/a', what: 'n/a', when: 'n/a',
  cause: 'API key exposed in logs', responses: ['Revoke API key & create new API key'], severity: 'high',
};

/** Every kind of finding: the table's rows, then the exposure finding. */
export const FINDING_KINDS: readonly DecisionRow[] = [...DECISION_TABLE, KEY_EXPOSED];

export const ROW_BY_ID: ReadonlyMap<RowId, DecisionRow> = new Map(FINDING_KINDS.map((r) => [r.id, r]));

/** 1–5 for the table's rows; 0 for a finding outside the table (key-exposed). */
export function rowNumber(id: RowId): number {
  return DECISION_TABLE.findIndex((r) => r.id === id) + 1;
}

/** How a finding kind is named for people: `row 3 key-compromised`, or `key-exposed`. */
export function rowLabel(id: RowId): string {
  const n = rowNumber(id);
  return n > 0 ? `row ${n} ${id}` : id;
}

const fits = (cell: Cell, valid: boolean): boolean => cell === 'n/a' || (cell === 'valid') === valid;

function firstFit(who: boolean, where: boolean, what: boolean, when: boolean): DecisionRow | undefined {
  for (const row of DECISION_TABLE) {
    if (fits(row.who, who) && fits(row.where, where) && fits(row.what, what) && fits(row.when, when)) return row;
  }
  return undefined;
}

/** The answer for each of the 16 combinations of verdicts, worked out once: one look-up per request. */
const BY_VERDICTS: readonly (DecisionRow | undefined)[] = Array.from({ length: 16 }, (_, i) => firstFit((i & 8) !== 0, (i & 4) !== 0, (i & 2) !== 0, (i & 1) !== 0));

/** The first row the four verdicts fit, or undefined for a clean request. */
export function decide(who: boolean, where: boolean, what: boolean, when: boolean): DecisionRow | undefined {
  return BY_VERDICTS[(who ? 8 : 0) | (where ? 4 : 0) | (what ? 2 : 0) | (when ? 1 : 0)];
}
