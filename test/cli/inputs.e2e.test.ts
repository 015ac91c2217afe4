import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

const DEMO = 'fixtures/demo/tyk-analytics.ndjson';
const POLICY = 'rules/demo-policy.yaml';
const tmp = mkdtempSync(join(tmpdir(), 'apiguard-inputs-'));
const demoText = readFileSync(DEMO, 'utf8');

/** The findings without their file name, for comparing runs over differently packaged inputs. */
function findings(stdout: string): string[] {
  return stdout
    .trimEnd()
    .split('\n')
    .map((l) => {
      const { file: _file, ...rest } = JSON.parse(l) as Record<string, unknown>;
      return JSON.stringify(rest);
    });
}

describe('inputs', () => {
  const reference = findings(runCli(['scan', '-p', POLICY, DEMO, '-o', 'ndjson']).stdout);

  it('reads standard input with -', () => {
    const r = runCli(['scan', '-p', POLICY, '-', '-o', 'ndjson'], { input: demoText });
    expect(findings(r.stdout)).toEqual(reference);
    expect(JSON.parse(r.stdout.split('\n')[0]!).file).toBe('<stdin>');
  });

  it('reads standard input when piped with no file arguments', () => {
    const r = runCli(['scan', '-p', POLICY, '-o', 'ndjson'], { input: demoText });
    expect(findings(r.stdout)).toEqual(reference);
  });

  it('reads .gz files and gzip on stdin transparently, with the same line numbers', () => {
    const gz = join(tmp, 'demo.ndjson.gz');
    writeFileSync(gz, gzipSync(demoText));
    expect(findings(runCli(['scan', '-p', POLICY, gz, '-o', 'ndjson']).stdout)).toEqual(reference);
    expect(findings(runCli(['scan', '-p', POLICY, '-', '-o', 'ndjson'], { input: gzipSync(demoText) }).stdout)).toEqual(reference);
  });

  it('reads directories recursively, in name order, skipping hidden files and files not named like logs', () => {
    const dir = join(tmp, 'logs');
    const lines = demoText.trimEnd().split('\n');
    mkdirSync(join(dir, 'b-later'), { recursive: true });
    writeFileSync(join(dir, 'a.ndjson'), lines.slice(0, 500).join('\n') + '\n');
    writeFileSync(join(dir, 'b-later', 'c.ndjson.gz'), gzipSync(lines.slice(500).join('\n') + '\n'));
    writeFileSync(join(dir, '.hidden.ndjson'), 'not even json\n');
    writeFileSync(join(dir, 'README.md'), '# not a log\n');
    writeFileSync(join(dir, 'b-later', 'SHA256SUMS'), 'abc  c.ndjson.gz\n');
    const r = runCli(['scan', '-p', POLICY, dir, '-o', 'json']);
    const doc = JSON.parse(r.stdout) as {
      summary: { files: { file: string; records: number }[]; ignoredFiles: string[]; findings: { total: number } };
    };
    expect(doc.summary.ignoredFiles).toEqual([join(dir, 'README.md'), join(dir, 'b-later', 'SHA256SUMS')]);
    expect(r.stderr).not.toContain('skipped');
    expect(doc.summary.files.map((f) => [f.file.slice(dir.length + 1), f.records])).toEqual([
      ['a.ndjson', 500],
      [join('b-later', 'c.ndjson.gz'), 638],
    ]);
    expect(doc.summary.findings.total).toBe(103);
  });

  it('reads a file named on the command line whatever its name', () => {
    const odd = join(tmp, 'export-without-extension');
    writeFileSync(odd, demoText);
    expect(findings(runCli(['scan', '-p', POLICY, odd, '-o', 'ndjson']).stdout)).toEqual(reference);
  });

  it('reads several files and keeps each finding at its own file and line', () => {
    const copy = join(tmp, 'copy.ndjson');
    cpSync(DEMO, copy);
    const r = runCli(['scan', '-p', POLICY, DEMO, copy, '-o', 'ndjson', '--fail-on', 'none']);
    const files = r.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as { file: string }).file);
    expect(files.filter((f) => f === DEMO)).toHaveLength(103);
    // The copy repeats every request: the same findings again, and the rate and quota are now exceeded more.
    expect(files.filter((f) => f === copy).length).toBeGreaterThan(103);
  });

  it('judges out-of-order lines as if sorted, within the reorder window', () => {
    const lines = demoText.trimEnd().split('\n');
    // Swap neighbours: every record moves at most one place, a few minutes at most.
    for (let i = 0; i + 1 < lines.length; i += 2) [lines[i], lines[i + 1]] = [lines[i + 1]!, lines[i]!];
    const shuffled = join(tmp, 'shuffled.ndjson');
    writeFileSync(shuffled, lines.join('\n') + '\n');
    const sorted = JSON.parse(runCli(['scan', '-p', POLICY, DEMO, '-o', 'json']).stdout) as { incidents: { evidence: unknown }[]; summary: { findings: unknown } };
    const out = JSON.parse(runCli(['scan', '-p', POLICY, shuffled, '-o', 'json', '--reorder-window', '1h']).stdout) as typeof sorted;
    expect(out.summary.findings).toEqual(sorted.summary.findings);
    const strip = (d: typeof sorted) => d.incidents.map(({ evidence: _e, ...rest }) => rest);
    expect(strip(out)).toEqual(strip(sorted));
  });

  it('does not let a record with a bogus far-future time disturb the order of the others', () => {
    const lines = demoText.trimEnd().split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) [lines[i], lines[i + 1]] = [lines[i + 1]!, lines[i]!];
    // A clock glitch as the first record and another in the middle: copies of real records, in 2099.
    const glitch = (n: number, at: string): string => lines[n]!.replace(/"timestamp":"[^"]*"/, `"timestamp":"${at}"`);
    lines.splice(600, 0, glitch(600, '2099-03-01T00:00:00Z'));
    lines.unshift(glitch(0, '2099-06-01T00:00:00Z'));
    const glitched = join(tmp, 'glitched.ndjson');
    writeFileSync(glitched, lines.join('\n') + '\n');
    const withoutPlace = (stdout: string): string[] =>
      findings(stdout)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((f) => !String(f.time).startsWith('2099'))
        .map(({ line: _line, file: _file, ...rest }) => JSON.stringify(rest));
    const sorted = runCli(['scan', '-p', POLICY, DEMO, '--fail-on', 'none', '-o', 'ndjson']);
    const out = runCli(['scan', '-p', POLICY, glitched, '--fail-on', 'none', '-o', 'ndjson', '--reorder-window', '1h']);
    // Before, the first glitch moved the window to 2099: every swapped record after it came late.
    expect(out.stderr).not.toContain('Late:');
    expect(out.stderr).toMatch(/Ahead: +2 records more than --reorder-window \(at least 1m\) ahead of every record before them, and no record near them in time followed: judged in time order without moving the window; check their timestamps/);
    expect(withoutPlace(out.stdout)).toEqual(withoutPlace(sorted.stdout));
    expect(sorted.stderr).not.toContain('Ahead:');
  });

  it('says how to merge when several files overlap in time and records came late', () => {
    // Two gateway nodes' logs of the same hours: the demo's lines split alternately.
    const lines = demoText.trimEnd().split('\n');
    const node1 = join(tmp, 'node1.ndjson');
    const node2 = join(tmp, 'node2.ndjson');
    writeFileSync(node1, lines.filter((_, i) => i % 2 === 0).join('\n') + '\n');
    writeFileSync(node2, lines.filter((_, i) => i % 2 === 1).join('\n') + '\n');
    const two = runCli(['scan', '-p', POLICY, node1, node2, '--fail-on', 'none', '-o', 'ndjson']);
    expect(two.stderr).toMatch(/Late: +\d+ records arrived after later ones were judged/);
    expect(two.stderr).toContain('files are read one after another: merge logs of several nodes by time first (README: Time order)');
    // One file, and two files that do not overlap, say nothing of it.
    const one = runCli(['scan', '-p', POLICY, DEMO, '--fail-on', 'none', '-o', 'ndjson']);
    expect(one.stderr).not.toContain('Late:');
    const first = join(tmp, 'first-half.ndjson');
    const second = join(tmp, 'second-half.ndjson');
    writeFileSync(first, lines.slice(0, 500).join('\n') + '\n');
    writeFileSync(second, lines.slice(500).join('\n') + '\n');
    const halves = runCli(['scan', '-p', POLICY, first, second, '--fail-on', 'none', '-o', 'ndjson']);
    expect(halves.stderr).not.toContain('Late:');
    const withoutLine = (stdout: string): string[] =>
      findings(stdout).map((l) => {
        const { line: _line, ...rest } = JSON.parse(l) as Record<string, unknown>;
        return JSON.stringify(rest);
      });
    expect(withoutLine(halves.stdout)).toEqual(withoutLine(one.stdout));
  });

  it('gives the same bytes on every run', () => {
    const a = runCli(['scan', '-p', POLICY, DEMO, '-o', 'json']);
    const b = runCli(['scan', '-p', POLICY, DEMO, '-o', 'json']);
    expect(a.stdout).toBe(b.stdout);
  });
});
