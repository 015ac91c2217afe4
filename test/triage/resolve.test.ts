import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/policy/load.js';
import { closestNames, matchLoggedIdentity, policyIdentities, resolvePolicyKey, shownInput } from '../../src/triage/resolve.js';

const RAW_OPS = 'sk_live_0p5K3y4ccess9999';
const RAW_LAB = 'sk_test_labLabLab0000111';

const POLICY = parsePolicy(
  `
version: 1
keys:
  - name: soar-playbooks
    match: { hash: "3f9a1c0d7be24e51", alias: playbooks, id: ak7q2soarpb }
  - name: soar-enrichment
    match: { hash: "a1b2c3d4e5f60718", alias: enrich, id: ak3v9enrich }
  - name: ops
    match: { key: "${RAW_OPS}", alias: operations }
  - name: ops-lab
    match: { key: "${RAW_LAB}", id: lab-1 }
  - name: twin
    match: { alias: ops-lab-twin }
`,
  'p.yaml',
);

const resolved = (typed: string) => {
  const r = resolvePolicyKey(POLICY, typed);
  return r.kind === 'key' ? { name: r.key.entry.name, ...r.match } : r;
};

describe('resolvePolicyKey', () => {
  it.each([
    ['a name', 'soar-playbooks', 'soar-playbooks', 'name', 'soar-playbooks'],
    ['an alias', 'enrich', 'soar-enrichment', 'alias', 'enrich'],
    ['an id', 'ak7q2soarpb', 'soar-playbooks', 'id', 'ak7q2soarpb'],
    ['a hash', 'a1b2c3d4e5f60718', 'soar-enrichment', 'hash', 'a1b2…0718'],
    ['a hash in upper case', '3F9A1C0D7BE24E51', 'soar-playbooks', 'hash', '3f9a…4e51'],
    ['a raw key', RAW_OPS, 'ops', 'key', 'sk_l…9999'],
  ])('finds a key by %s, exactly', (_what, typed, name, field, shown) => {
    expect(resolved(typed)).toEqual({ name, field, shown, exact: true });
  });

  it.each([
    ['a name', 'soar-p', 'soar-playbooks', 'name'],
    ['an alias', 'operat', 'ops', 'alias'],
    ['an id', 'ak3', 'soar-enrichment', 'id'],
    ['a hash', '3f9a', 'soar-playbooks', 'hash'],
    ['a raw key', 'sk_live', 'ops', 'key'],
    ['a raw key, in any case', 'SK_TEST_LAB', 'ops-lab', 'key'],
  ])('finds a key by a unique prefix of %s', (_what, typed, name, field) => {
    const r = resolved(typed);
    expect(r).toMatchObject({ name, field, exact: false });
  });

  it('an exact match beats a prefix of another key', () => {
    // "ops" is the whole name of ops and the start of ops-lab (and of twin's alias ops-lab-twin).
    expect(resolved('ops')).toMatchObject({ name: 'ops', field: 'name', exact: true });
    expect(resolved('ops-lab')).toMatchObject({ name: 'ops-lab', exact: true });
  });

  it('a prefix several keys share is ambiguous, and names every candidate without a whole secret', () => {
    const r = resolvePolicyKey(POLICY, 'soar');
    expect(r.kind).toBe('ambiguous');
    if (r.kind !== 'ambiguous') return;
    expect(r.candidates.map((c) => c.name)).toEqual(['soar-playbooks', 'soar-enrichment']);
    const keys = resolvePolicyKey(POLICY, 'sk_');
    expect(keys.kind === 'ambiguous' && keys.candidates.map((c) => `${c.name} ${c.match.field} ${c.match.shown}`)).toEqual([
      'ops key sk_l…9999',
      'ops-lab key sk_t…0111',
    ]);
    expect(JSON.stringify(keys)).not.toContain(RAW_OPS);
    expect(JSON.stringify(keys)).not.toContain(RAW_LAB);
  });

  it('the same prefix of two identities of one key is not ambiguous', () => {
    // soar-playbooks: name "soar-playbooks" and alias "playbooks"; only one key starts with "play".
    expect(resolved('play')).toMatchObject({ name: 'soar-playbooks', field: 'alias' });
  });

  it('two keys that both match exactly are ambiguous too', () => {
    const clash = parsePolicy('version: 1\nkeys:\n  - name: shared\n    match: { alias: a1 }\n  - name: other\n    match: { alias: shared }\n', 'c.yaml');
    const r = resolvePolicyKey(clash, 'shared');
    expect(r.kind === 'ambiguous' && r.candidates.map((c) => `${c.name}:${c.match.field}`)).toEqual(['shared:name', 'other:alias']);
  });

  it('no match at all', () => {
    expect(resolvePolicyKey(POLICY, 'zzz').kind).toBe('none');
    expect(resolvePolicyKey(POLICY, '').kind).toBe('none');
  });
});

describe('policyIdentities', () => {
  it('tells raw keys from hashes', () => {
    const ops = policyIdentities(POLICY).find((k) => k.entry.name === 'ops')!;
    expect(ops).toMatchObject({ keys: [RAW_OPS], hashes: [], aliases: ['operations'] });
    const soar = policyIdentities(POLICY).find((k) => k.entry.name === 'soar-playbooks')!;
    expect(soar).toMatchObject({ keys: [], hashes: ['3f9a1c0d7be24e51'], ids: ['ak7q2soarpb'] });
  });
});

describe('shownInput', () => {
  it('never echoes a raw key or a hash the user typed', () => {
    expect(shownInput(RAW_OPS, POLICY)).toBe('sk_l…9999');
    expect(shownInput('3f9a1c0d7be24e51', POLICY)).toBe('3f9a…4e51');
  });
  it('masks anything long enough to be a key it does not know', () => {
    expect(shownInput('sk_live_somebodyElsesKey42', POLICY)).toBe('sk_l…ey42');
    expect(shownInput('sk_live_somebodyElsesKey42', null)).toBe('sk_l…ey42');
  });
  it('shows names, aliases, ids and short prefixes as typed', () => {
    expect(shownInput('soar-playbooks', POLICY)).toBe('soar-playbooks');
    expect(shownInput('enrich', POLICY)).toBe('enrich');
    expect(shownInput('ak7q2soarpb', POLICY)).toBe('ak7q2soarpb');
    expect(shownInput('soar', POLICY)).toBe('soar');
  });
});

describe('closestNames', () => {
  it('suggests the nearest names, by name or alias', () => {
    expect(closestNames(POLICY, 'soar-playbook')[0]).toBe('soar-playbooks');
    expect(closestNames(POLICY, 'enrch')[0]).toBe('soar-enrichment');
    expect(closestNames(POLICY, 'x')).toHaveLength(3);
  });
});

describe('matchLoggedIdentity', () => {
  const id = { key: '', hash: 'deadbeefcafef00d', id: '', alias: 'shadow' };
  it('an exact field wins; else a prefix; else nothing', () => {
    expect(matchLoggedIdentity(id, 'deadbeefcafef00d')).toEqual({ field: 'hash', shown: 'dead…f00d', exact: true });
    expect(matchLoggedIdentity(id, 'DEADBEEF')).toEqual({ field: 'hash', shown: 'dead…f00d', exact: false });
    expect(matchLoggedIdentity(id, 'shadow')).toEqual({ field: 'alias', shown: 'shadow', exact: true });
    expect(matchLoggedIdentity(id, 'sha')).toMatchObject({ field: 'alias', exact: false });
    expect(matchLoggedIdentity(id, 'cafe')).toBeNull();
  });
  it('never matches the no-key values gateways log', () => {
    expect(matchLoggedIdentity({ key: '', hash: '00000000', id: '-', alias: '' }, '0000')).toBeNull();
    expect(matchLoggedIdentity({ key: '', hash: '00000000', id: '-', alias: '' }, '-')).toBeNull();
  });
  it('shows a raw key masked', () => {
    expect(matchLoggedIdentity({ key: RAW_OPS, hash: '', id: '', alias: '' }, RAW_OPS)?.shown).toBe('sk_l…9999');
  });
});
