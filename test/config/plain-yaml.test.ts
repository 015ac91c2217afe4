import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineCounter, isScalar, parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { generateWorkload } from '../../src/bench/generate.js';
import { readPlainYaml } from '../../src/config/plain-yaml.js';
import { draftPolicy } from '../../src/init/draft.js';
import { TrafficLearner } from '../../src/init/learn.js';
import { PolicyError } from '../../src/model/errors.js';
import { readRequests } from '../../src/pipeline/requests.js';
import { parsePolicy } from '../../src/policy/load.js';
import { ZoneClock } from '../../src/policy/zone.js';
import { expandInputs } from '../../src/read/sources.js';

/**
 * The plain YAML reader must give exactly what the `yaml` package gives (the same options
 * src/config/yaml.ts uses), or decline. Compared on every YAML file in the repository, the README's
 * examples, a generated benchmark policy, a drafted policy, and generated snippets.
 */

/** What src/config/yaml.ts makes of `text`: the JS value, or 'error'. Plus each number's source text. */
function withYaml(text: string): { value: unknown; numbers: Map<string, string> } | 'error' {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) return 'error';
  const numbers = new Map<string, string>();
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (isScalar(node)) {
      if (typeof node.value === 'number' && node.range) numbers.set(JSON.stringify(path), text.slice(node.range[0], node.range[1]).trim());
      return;
    }
    const items = (node as { items?: unknown[] } | null)?.items;
    if (!Array.isArray(items)) return;
    items.forEach((item, i) => {
      const pair = item as { key?: { value?: unknown }; value?: unknown };
      if (pair && typeof pair === 'object' && 'key' in pair && 'value' in pair) walk(pair.value, [...path, String(pair.key?.value)]);
      else walk(item, [...path, i]);
    });
  };
  walk(doc.contents, []);
  return { value: doc.toJS({ maxAliasCount: 100 }), numbers };
}

/** Checks one text: the plain reader declines, or agrees with `yaml` (values, and numbers as written). */
function agree(text: string): 'read' | 'declined' {
  const plain = readPlainYaml(text);
  if (plain === null) return 'declined';
  const full = withYaml(text);
  expect(full, `plain reader accepted what yaml rejects:\n${text}`).not.toBe('error');
  if (full === 'error') return 'read';
  expect(plain.value, text).toStrictEqual(full.value);
  expect(Object.fromEntries(plain.numbers), text).toEqual(Object.fromEntries(full.numbers));
  return 'read';
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.') || name === 'dist') return [];
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

describe('readPlainYaml on the repository\'s YAML', () => {
  const files = ['rules', 'fixtures', 'test'].flatMap(yamlFiles);

  it.each(files)('%s: declined or equal to yaml', (file) => {
    agree(readFileSync(file, 'utf8'));
  });

  it('reads the demo policy (it is plain)', () => {
    expect(agree(readFileSync('rules/demo-policy.yaml', 'utf8'))).toBe('read');
  });

  it('README examples: declined or equal to yaml', () => {
    const readme = readFileSync('README.md', 'utf8');
    const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThan(2);
    for (const b of blocks) agree(b);
  });

  it('the benchmark\'s 553-key policy is read, and equal to yaml', () => {
    const dir = mkdtempSync(join(tmpdir(), 'apiguard-plain-yaml-'));
    try {
      const w = generateWorkload({ dir, records: 1, ndjson: false, csv: false });
      expect(agree(readFileSync(w.policyFile, 'utf8'))).toBe('read');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a policy drafted by apiguard init is read, and equal to yaml', async () => {
    const learner = new TrafficLearner({ clock: new ZoneClock('Europe/Amsterdam'), prefix4: 24, prefix6: 64 });
    const read = await readRequests({ sources: expandInputs(['fixtures/demo/tyk-analytics.ndjson']) }, (req) => learner.add(req));
    const draft = draftPolicy(learner.finish(), { margin: 2, files: read.counters.files });
    expect(agree(draft.text)).toBe('read');
  });
});

describe('readPlainYaml on generated snippets', () => {
  const READ = [
    'a: 1',
    'a: -1\nb: +1\nc: 0o17\nd: 0x1F\ne: 1.5\nf: .5\ng: 1.\nh: 1e3\ni: -1.5E-3\nj: .inf\nk: -.Inf\nl: .NaN\nm: 0123\nn: 00000000\no: -0',
    'a: true\nb: True\nc: TRUE\nd: false\ne: yes\nf: no\ng: on\nh: ~\ni: null\nj: Null\nk: NULL\nl:\nm: nil',
    'a: "x: y # not a comment"\nb: \'it\'\'s\'\nc: "esc \\" \\\\ \\/ \\n \\t \\r \\b \\f \\0 \\x41 \\u00e9 \\U0001F600"\nd: ""\ne: \'\'',
    'a: plain text with spaces   # a comment\nb: a#b\nc: 07:00-19:00\nd: 60/1m\ne: http://x.example/a?b=c\nf: -x\ng: Bob\'s key',
    'a:\n  b:\n    c: 1\n  d: 2\ne: 3',
    'list:\n  - a\n  - "b"\n  - 1\n  - [x, y]\n  - {k: v}\nnext: 1',
    'list:\n- a\n- b\nafter: 2',
    'keys:\n  - name: a\n    match: { hash: "17e8", alias: soar-01, id: 123 }\n    from: [10.0.0.0/8, "2001:db8::/32"]\n\n  - name: b   # comment\n    hours: "07:00-19:00"\n    days: [mon, tue]\n    nested:\n      - 1\n      - 2\n',
    'a: []\nb: {}\nc: [ ]\nd: { }\ne: [GET /**, "* /**"]\nf: [1, 2.5, true, null, ~]',
    '# leading comment\n\na: 1 # trailing\n   # indented comment\nb: 2\r\nc: 3\r\n',
    'a: "é 中文 😀"\nb: é\nc: 😀',
    'toString: 1\nconstructor: 2\nhasOwnProperty: x',
    'a: [x, y]   # c\nb: {p: 1, q: x}',
    '- a top level list\n- 2',
  ];
  const DECLINED = [
    'a: &anchor 1\nb: *anchor', 'a: !tag x', 'a: |\n  block', 'a: >\n  folded', 'a: multi\n  line plain', 'a: "multi\n  line"',
    'a: [1,\n  2]', '---\na: 1', 'a: 1\n...', '%YAML 1.2\n---\na: 1', 'a:\n\t- tab', 'a: 1\na: 2', '"quoted key": 1', '? complex\n: key',
    '1: number key', 'true: bool key', 'null: x', '__proto__: x', 'a: b: c', 'a: "unterminated', 'a: "bad \\q escape"', 'a: [x, , y]', 'a: [x,]',
    'a:\n  - - nested', 'a:\n  -\n    b: 1', 'a: {p: [1]}', 'just a scalar', 'a: @x', 'a: `x`', 'a: {b:1}', 'a: [a{b]', '\ufeffa: 1',
    'a: x\u0001y', 'a: "\\ud800"', 'a:\n    b: 1\n  c: 2', 'a: 1\n  b: 2', '<<: {a: 1}', 'a: [x # c]', 'a: -', 'a: x:',
  ];

  it.each(READ)('reads %j exactly as yaml does', (text) => {
    expect(agree(text)).toBe('read');
  });

  it.each(DECLINED)('declines %j (left to yaml)', (text) => {
    expect(readPlainYaml(text)).toBeNull();
  });
});

describe('parsePolicy: the fast read and yaml give the same policy', () => {
  /** yaml reads the same document when it opens with a directive, which the plain reader declines. */
  const viaYaml = (text: string): string => `%YAML 1.2\n---\n${text}`;
  const summary = (text: string) => {
    const p = parsePolicy(text, 'p.yaml');
    return {
      timezone: p.timezone,
      hasInventory: p.hasInventory,
      secrets: p.secrets,
      keys: p.keys.map((k) => ({ ...k, role: k.role && { name: k.role.name, allow: k.role.allow.map((a) => a.text), deny: k.role.deny.map((d) => d.text) }, from: k.from?.labels ?? null, schedule: k.schedule && { ...k.schedule, clock: k.schedule.clock.zone }, quota: k.quota && { ...k.quota, clock: k.quota.clock.zone } })),
      secretsIndex: [...p.inventory.secrets].map(([v, e]) => [v, e.name]),
      ids: [...p.inventory.ids].map(([v, e]) => [v, e.name]),
      aliases: [...p.inventory.aliases].map(([v, e]) => [v, e.name]),
    };
  };

  it('on the demo policy and the benchmark policy', () => {
    const dir = mkdtempSync(join(tmpdir(), 'apiguard-plain-yaml-'));
    try {
      const w = generateWorkload({ dir, records: 1, ndjson: false, csv: false });
      for (const text of [readFileSync('rules/demo-policy.yaml', 'utf8'), readFileSync(w.policyFile, 'utf8')]) {
        expect(readPlainYaml(text)).not.toBeNull();
        expect(readPlainYaml(viaYaml(text))).toBeNull();
        expect(summary(text)).toEqual(summary(viaYaml(text)));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a hash written as an unquoted number matches as written, both ways', () => {
    const text = 'version: 1\nkeys:\n  - name: k\n    match: { hash: 0123456789, alias: a }\n  - name: z\n    match:\n      id: 00001234\n';
    expect(summary(text)).toEqual(summary(viaYaml(text)));
    expect(summary(text).secretsIndex).toEqual([['0123456789', 'k']]);
    expect(summary(text).ids).toEqual([['00001234', 'z']]);
  });

  it('problems are reported by yaml, at their lines, whichever reader read the file first', () => {
    const text = 'version: 1\nkeys:\n  - name: k\n    match: { hash: abc }\n    huors: 07:00-19:00\n';
    const errorOf = (t: string) => {
      try {
        parsePolicy(t, 'p.yaml');
      } catch (e) {
        return (e as PolicyError).problems;
      }
      throw new Error('no error');
    };
    expect(readPlainYaml(text)).not.toBeNull();
    const problems = errorOf(text);
    expect(problems).toEqual([{ line: 5, message: expect.stringContaining("unknown field 'huors'") as unknown as string }]);
    // The directive shifts every line by two.
    expect(errorOf(viaYaml(text)).map((p) => ({ ...p, line: p.line - 2 }))).toEqual(problems);
  });
});
