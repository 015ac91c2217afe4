import { describe, expect, it } from 'vitest';
import { IncidentAggregator, type Incident } from '../../src/aggregate/incidents.js';
import { DECISION_TABLE } from '../../src/judge/decision-table.js';
import type { Finding, RowId } from '../../src/model/finding.js';
import { Redactor } from '../../src/report/sanitize.js';
import { buildLadder, type LadderKey } from '../../src/triage/ladder.js';
import { request } from '../helpers/requests.js';

interface Spec {
  row: RowId;
  ip: string;
  status?: number;
  reason?: string;
  group?: string;
  method?: string;
  path?: string;
}

function incidents(...specs: Spec[]): Incident[] {
  const agg = new IncidentAggregator();
  specs.forEach((s, i) => {
    const status = s.status ?? 200;
    const f: Finding = {
      request: request({ ip: s.ip, status, method: s.method ?? 'GET', path: s.path ?? '/x', time: Date.parse('2026-11-20T03:00:00Z') + i * 1000 }),
      row: s.row,
      severity: 'high',
      outcome: status >= 400 ? 'blocked' : 'let-through',
      keyLabel: 'soar-playbooks',
      keyGroup: 'policy:soar-playbooks',
      reasons: [s.reason ?? `broke ${s.row}`],
      groups: [s.group ?? s.reason ?? `broke ${s.row}`],
    };
    agg.add(f);
  });
  return agg.incidents();
}

const KEY: LadderKey = {
  label: 'soar-playbooks',
  inPolicy: true,
  owner: 'soar-team@corp.example',
  role: 'soar-automation',
  hash: '3f9a1c0d7be24e51',
  rawOnly: false,
  alias: 'soar-playbooks',
  policyFile: 'rules/demo-policy.yaml',
};
const r = new Redactor([]);
const ladder = (list: Incident[], key: Partial<LadderKey> = {}, tyk = true) => buildLadder(list, { ...KEY, ...key }, tyk, r);
const text = (l: ReturnType<typeof ladder>): string => l.steps.flatMap((s) => [...s.steps, ...s.commands]).join('\n');

describe('the rungs follow the decision table', () => {
  it.each(DECISION_TABLE.map((row) => [row.id, row.responses] as const))('row %s calls for %j', (row, responses) => {
    const l = ladder(incidents({ row, ip: '203.0.113.99' }));
    expect(l.steps.map((s) => s.response)).toEqual(responses);
    expect(l.steps.every((s) => s.rows.includes(row))).toBe(true);
  });

  it('key-exposed calls for revoking and reissuing, and says the key is in the logs', () => {
    const l = ladder(incidents({ row: 'key-exposed', ip: '10.10.5.2' }));
    expect(l.steps.map((s) => s.action)).toEqual(['revoke']);
    expect(text(l)).toContain('written in the clear in the logs');
    expect(text(l)).toContain('turn on hash_keys');
  });

  it('rungs come in ladder order, each listing its incidents once', () => {
    const list = incidents({ row: 'key-compromised', ip: '203.0.113.99' }, { row: 'invalid-for-role', ip: '10.10.5.2' }, { row: 'wrong-workstation', ip: '198.51.100.1' });
    const l = ladder(list);
    expect(l.steps.map((s) => s.action)).toEqual(['block', 'investigate', 'revoke']);
    expect(l.steps[0]!.incidents).toHaveLength(3);
    expect(l.steps[0]!.rows).toEqual(['wrong-workstation', 'key-compromised', 'invalid-for-role']);
    expect(l.steps[1]!.rows).toEqual(['wrong-workstation', 'invalid-for-role']);
    expect(l.steps[2]!.rows).toEqual(['key-compromised']);
  });

  it('nothing found: no rungs', () => {
    expect(ladder([]).steps).toEqual([]);
  });
});

describe('concrete steps', () => {
  it('a compromised key: block its foreign sources per API, then revoke and reissue by hash', () => {
    const l = ladder(incidents({ row: 'key-compromised', ip: '203.0.113.99' }, { row: 'key-compromised', ip: '2001:db8:dead::7', status: 403 }));
    const [block, revoke] = l.steps;
    expect(block!.steps[0]).toBe('Block the sources 2001:db8:dead::7, 203.0.113.99: 2 violating requests, 1 let through by the gateway.');
    expect(block!.commands).toContain(
      `jq '.enable_ip_blacklisting = true | .blacklisted_ips += ["2001:db8:dead::7","203.0.113.99"]' api.json | curl -s -X PUT -H "x-tyk-authorization: $TYK_SECRET" --data @- "$TYK_GW/tyk/apis/$API_ID"`,
    );
    expect(block!.commands).toContain('curl -s -H "x-tyk-authorization: $TYK_SECRET" "$TYK_GW/tyk/reload/group"');
    expect(revoke!.commands).toEqual([
      '# 1. Keep the session (policies, access rights, limits) to issue the new key from',
      'curl -s -H "x-tyk-authorization: $TYK_SECRET" "$TYK_GW/tyk/keys/3f9a1c0d7be24e51?hashed=true" > session.json',
      '# 2. Revoke: delete the key; the gateway refuses it from now on',
      'curl -s -X DELETE -H "x-tyk-authorization: $TYK_SECRET" "$TYK_GW/tyk/keys/3f9a1c0d7be24e51?hashed=true"',
      '# 3. Issue the new key from the saved session; the reply holds the new key (hand it to soar-team@corp.example over a safe channel) and its key_hash',
      `jq '.is_inactive = false' session.json | curl -s -X POST -H "x-tyk-authorization: $TYK_SECRET" -H "Content-Type: application/json" --data @- "$TYK_GW/tyk/keys/create"`,
    ]);
    expect(revoke!.steps.join('\n')).toContain("put the new key's hash into rules/demo-policy.yaml");
    expect(l.notes[0]).toContain('printed, never run by apiguard');
  });

  it('a wrong workstation: block that source, ask the owner, show the session', () => {
    const l = ladder(incidents({ row: 'wrong-workstation', ip: '192.168.1.20', reason: '192.168.1.20 is not in soc', group: 'source not in soc' }));
    expect(l.steps[0]!.steps[0]).toContain('Block the source 192.168.1.20');
    const investigate = l.steps[1]!;
    expect(investigate.steps[0]).toBe('Ask soar-team@corp.example whether these were theirs:');
    expect(investigate.steps[1]).toBe('  1 request from 192.168.1.20 (row 2 wrong-workstation; source not in soc)');
    expect(investigate.steps).toContain('Pull the raw records around each violation: apiguard triage soar-playbooks FILES --context 3');
    expect(investigate.commands).toContain('curl -s -H "x-tyk-authorization: $TYK_SECRET" "$TYK_GW/tyk/keys/3f9a1c0d7be24e51?hashed=true"');
  });

  it("a forbidden action from the key's own desk: narrow its access rights, do not block the desk", () => {
    const l = ladder(incidents({ row: 'invalid-for-role', ip: '10.20.0.15', method: 'GET', path: '/elastic/_security/user' }));
    const block = l.steps[0]!;
    expect(block.steps.join('\n')).toContain('for actions the role soar-automation forbids (GET /elastic/_security/user)');
    expect(block.steps.join('\n')).toContain('allowed_urls');
    expect(block.commands.join('\n')).not.toContain('blacklisted_ips');
  });

  it('When: rate and quota are gateway settings, hours are not', () => {
    const rate = ladder(incidents({ row: 'when-violation', ip: '10.10.5.4', reason: '5th request in 1m, limit 4', group: 'over rate 4/1m' }));
    expect(text(rate)).toContain('rate/per and quota_max');
    expect(text(rate)).not.toContain('time-of-day');
    const hours = ladder(incidents({ row: 'when-violation', ip: '10.30.1.10', group: 'outside mon-fri 08:00-18:00 Europe/Amsterdam' }));
    expect(text(hours)).toContain('Tyk has no time-of-day rules');
    expect(text(hours)).not.toContain('quota_max');
  });

  it('a revoked policy key the gateway still accepts: delete it, do not block its desk', () => {
    const l = ladder(incidents({ row: 'unauthenticated', ip: '10.20.0.22', group: 'used after revocation at 2026-11-18T12:00:00.000Z' }), { label: 'analyst-bob', hash: '5d7e9f1a3c5b7d92' });
    expect(text(l)).toContain('The gateway still accepts analyst-bob (used after revocation at 2026-11-18T12:00:00.000Z): 1 request let through. Delete it at the gateway.');
    expect(l.steps[0]!.commands).toContain('curl -s -X DELETE -H "x-tyk-authorization: $TYK_SECRET" "$TYK_GW/tyk/keys/5d7e9f1a3c5b7d92?hashed=true"');
    expect(text(l)).not.toContain('blacklisted_ips');
  });

  it('an unknown key the gateway accepts: block its source, find the owner, delete it by its logged hash', () => {
    const l = ladder(incidents({ row: 'unauthenticated', ip: '198.51.100.7' }), { label: 'hash dead…f00d', inPolicy: false, hash: 'deadbeefcafef00d', owner: '' });
    expect(text(l)).toContain('Block the source 198.51.100.7');
    expect(text(l)).toContain('which no policy key matches');
    expect(text(l)).toContain('"$TYK_GW/tyk/keys/deadbeefcafef00d?hashed=true"');
  });

  it('violations the gateway all blocked: keep the blocks', () => {
    const l = ladder(incidents({ row: 'unauthenticated', ip: '203.0.113.50', status: 401 }), { inPolicy: false, hash: '' });
    expect(text(l)).toContain('The gateway blocked the violating request: keep those blocks in place.');
    const two = ladder(incidents({ row: 'unauthenticated', ip: '203.0.113.50', status: 401 }, { row: 'unauthenticated', ip: '203.0.113.50', status: 401 }), { inPolicy: false, hash: '' });
    expect(text(two)).toContain('The gateway blocked all 2 violating requests');
  });

  it('suppressed incidents call for nothing', () => {
    const list = incidents({ row: 'key-compromised', ip: '203.0.113.99' }).map((i) => ({ ...i, suppressed: { reason: 'pentest', owner: 'x', expires: '2027-01-01', at: 's.yaml:1' } }));
    expect(ladder(list).steps).toEqual([]);
  });
});

describe('how the calls address the key', () => {
  const compromised = incidents({ row: 'key-compromised', ip: '203.0.113.99' });

  it('a key known only by its raw value: $API_KEY, never the value', () => {
    const raw = 'sk_live_thisMustNeverBePrinted1';
    const l = buildLadder(compromised, { ...KEY, hash: '', rawOnly: true }, true, new Redactor([raw]));
    expect(text(l)).toContain('"$TYK_GW/tyk/keys/$API_KEY"');
    expect(l.notes.join('\n')).toContain('set API_KEY to it from your secret store');
    expect(JSON.stringify(l)).not.toContain(raw);
  });

  it('no hash known: $KEY_HASH, found by alias', () => {
    const l = ladder(compromised, { hash: '' });
    expect(text(l)).toContain('"$TYK_GW/tyk/keys/$KEY_HASH?hashed=true"');
    expect(l.notes.join('\n')).toContain('by its alias soar-playbooks');
  });

  it('a hash that is not a plain token never reaches a shell line', () => {
    const l = ladder(compromised, { hash: 'abc"; rm -rf / #' });
    expect(text(l)).not.toContain('rm -rf');
    expect(text(l)).toContain('$KEY_HASH');
  });

  it("logs that are not Tyk's: the steps without Tyk calls, and a note saying so", () => {
    const l = ladder(compromised, {}, false);
    expect(l.gateway).toBe('other');
    expect(l.steps.every((s) => s.commands.length === 0)).toBe(true);
    expect(l.notes).toEqual(["The logs are not Tyk's: apiguard gives gateway API calls for Tyk only; carry out these steps in your gateway's console or API."]);
  });
});
