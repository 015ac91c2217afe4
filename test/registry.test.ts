import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FORMATS } from '../src/formats/index.js';
import { DECISION_TABLE } from '../src/judge/decision-table.js';
import { REPORTERS } from '../src/report/index.js';

const helpers = ['define-format.ts', 'fields.ts', 'index.ts', 'casts.ts', 'mapping.ts', 'mapping-cache.ts', 'paths.ts'];

describe('registries match their folders', () => {
  it('every code format and every mapping file is a registered format, with a test and a README row', () => {
    const code = readdirSync('src/formats').filter((f) => !helpers.includes(f)).map((f) => f.replace(/\.ts$/, ''));
    const mapped = readdirSync('rules/mappings').filter((f) => f.endsWith('.yml')).map((f) => f.replace(/\.yml$/, ''));
    expect([...code, ...mapped].sort()).toEqual(FORMATS.map((f) => f.meta.name).sort());
    const readme = readFileSync('README.md', 'utf8');
    for (const f of FORMATS) {
      expect(existsSync(`test/formats/${f.meta.name}.test.ts`), `test for ${f.meta.name}`).toBe(true);
      expect(readme, `README row for ${f.meta.name}`).toContain(`| \`${f.meta.name}\` |`);
    }
  });

  it('every reporter is registered and tested', () => {
    const files = readdirSync('src/report').filter((f) => !['index.ts', 'types.ts', 'sanitize.ts', 'colour.ts', 'summary.ts', 'local-time.ts'].includes(f));
    expect(files.map((f) => f.replace(/\.ts$/, '')).sort()).toEqual(REPORTERS.map((r) => r.meta.name).sort());
  });
});

describe('README', () => {
  const readme = readFileSync('README.md', 'utf8');

  it('starts with the two set-up commands', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)![1]!.trim().split('\n');
    expect(firstBlock).toEqual([
      'npm install && npx apiguard scan fixtures/demo/tyk-analytics.ndjson',
      'npm test',
    ]);
  });

  it('shows the decision table exactly as src/judge/decision-table.ts has it', () => {
    const cell = (c: string) => (c === 'n/a' ? 'N/A' : c[0]!.toUpperCase() + c.slice(1));
    DECISION_TABLE.forEach((r, i) => {
      const line = `| ${i + 1} | \`${r.id}\` | ${cell(r.who)} | ${cell(r.where)} | ${cell(r.what)} | ${cell(r.when)} | ${r.cause} | ${r.responses.join('; ')} | ${r.severity} |`;
      expect(readme).toContain(line);
    });
  });

  it('documents every scan option', () => {
    for (const flag of ['--policy', '--no-policy', '--format', '--mapping', '--map', '--log-timezone', '--log-year', '--output', '--fail-on', '--strict', '--reorder-window', '--color', '--no-color', '--timezone', '--prefix', '--prefix6', '--margin', '--records', '--output-file', '--since', '--until', '--suppress', '--split-by', '--split-dir', '--state', '--update-state', '--jobs']) {
      expect(readme).toContain(flag);
    }
  });
});
