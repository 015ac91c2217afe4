import { describe, expect, it } from 'vitest';
import { DECISION_TABLE, decide } from '../../src/judge/decision-table.js';

// The product's table, restated independently: who, where, what, when → row (or clean).
const V = true;
const I = false;
const combos: [boolean, boolean, boolean, boolean][] = [];
for (const who of [V, I]) for (const where of [V, I]) for (const what of [V, I]) for (const when of [V, I]) combos.push([who, where, what, when]);

function expected(who: boolean, where: boolean, what: boolean, when: boolean): string | undefined {
  if (!who) return 'unauthenticated';
  if (!where) return what ? 'wrong-workstation' : 'key-compromised';
  if (!what) return 'invalid-for-role';
  if (!when) return 'when-violation';
  return undefined;
}

describe('decision table', () => {
  it.each(combos)('who=%s where=%s what=%s when=%s', (who, where, what, when) => {
    expect(decide(who, where, what, when)?.id).toBe(expected(who, where, what, when));
  });

  it('reaches every row', () => {
    const reached = new Set(combos.map((c) => decide(...c)?.id).filter(Boolean));
    expect([...reached].sort()).toEqual(DECISION_TABLE.map((r) => r.id).sort());
  });

  it('carries the table words, causes and responses, exactly', () => {
    expect(DECISION_TABLE.map((r) => [r.id, r.cause, r.responses.join('; '), r.severity])).toEqual([
      ['unauthenticated', 'API request not authenticated', 'Block API request', 'low'],
      ['wrong-workstation', 'Analyst using wrong workstation', 'Block API request; Investigate API key', 'medium'],
      ['key-compromised', 'API key compromised', 'Block API request; Revoke API key & create new API key', 'critical'],
      ['invalid-for-role', 'API request invalid for given role', 'Block API request; Investigate API key', 'high'],
      ['when-violation', 'API request exceeds rate-limit/quota; Anomalous API requests', 'Block API request; Investigate API key', 'medium'],
    ]);
  });
});
