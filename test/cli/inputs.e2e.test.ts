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
    const out = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { file: string; line: number; time: string; row: string });
    // Merged by time, each request and its copy are judged together: every finding the demo gives
    // of Who, Where and What, from each file, and more over rates and quotas (each request counts twice).
    const stateless = (f: { row: string }): boolean => f.row !== 'when-violation';
    const demoOnly = reference.map((l) => JSON.parse(l) as { row: string }).filter(stateless).length;
    expect(out.filter((f) => f.file === DEMO && stateless(f))).toHaveLength(demoOnly);
    expect(out.filter((f) => f.file === copy && stateless(f))).toHaveLength(demoOnly);
    expect(out.filter((f) => !stateless(f)).length).toBeGreaterThan(2 * 26);
    // Each finding names its own file and line: the record there has the finding's time.
    const lines = demoText.split('\n');
    for (const f of out) expect(new Date((JSON.parse(lines[f.line - 1]!) as { timestamp: string }).timestamp).toISOString()).toBe(f.time);
    expect(r.stderr).not.toContain('Late:');
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

  it('merges the logs of several gateway nodes by time: two nodes\' files give the findings of the one log', () => {
    // Two nodes' logs of the same hours: the demo's lines split alternately. Read one after the
    // other they gave 567 records late and 20 When findings instead of 26.
    const lines = demoText.trimEnd().split('\n');
    const node1 = join(tmp, 'node1.ndjson');
    const node2 = join(tmp, 'node2.ndjson');
    writeFileSync(node1, lines.filter((_, i) => i % 2 === 0).join('\n') + '\n');
    writeFileSync(node2, lines.filter((_, i) => i % 2 === 1).join('\n') + '\n');
    const withoutPlace = (stdout: string): string[] =>
      findings(stdout).map((l) => {
        const { line: _line, ...rest } = JSON.parse(l) as Record<string, unknown>;
        return JSON.stringify(rest);
      });
    const one = runCli(['scan', '-p', POLICY, DEMO, '--fail-on', 'none', '-o', 'ndjson']);
    for (const order of [[node1, node2], [node2, node1]]) {
      const two = runCli(['scan', '-p', POLICY, ...order, '--fail-on', 'none', '-o', 'ndjson']);
      expect(two.stderr).not.toContain('Late:');
      expect(withoutPlace(two.stdout)).toEqual(withoutPlace(one.stdout));
      // Each finding still names its own node's file and line.
      const byFile = (file: string, n: number) => two.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { file: string; line: number }).filter((f) => f.file === file).map((f) => lines[(f.line - 1) * 2 + n]);
      const oneOut = one.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { line: number });
      expect([...byFile(node1, 0), ...byFile(node2, 1)].sort()).toEqual(oneOut.map((f) => lines[f.line - 1]).sort());
    }
    // Files one after another in time (rotated logs) read as the one file too.
    const first = join(tmp, 'first-half.ndjson');
    const second = join(tmp, 'second-half.ndjson');
    writeFileSync(first, lines.slice(0, 500).join('\n') + '\n');
    writeFileSync(second, lines.slice(500).join('\n') + '\n');
    const halves = runCli(['scan', '-p', POLICY, second, first, '--fail-on', 'none', '-o', 'ndjson']);
    expect(halves.stderr).not.toContain('Late:');
    expect(withoutPlace(halves.stdout)).toEqual(withoutPlace(one.stdout));
  });

  it('does not let a record of one node dated far ahead hold that node\'s log back', () => {
    const lines = demoText.trimEnd().split('\n');
    const node1 = join(tmp, 'glitch-node1.ndjson');
    const node2 = join(tmp, 'glitch-node2.ndjson');
    const second = lines.filter((_, i) => i % 2 === 1);
    // A clock glitch in the middle of node 2: a copy of a real record, in 2099.
    second.splice(200, 0, second[200]!.replace(/"timestamp":"[^"]*"/, '"timestamp":"2099-03-01T00:00:00Z"'));
    writeFileSync(node1, lines.filter((_, i) => i % 2 === 0).join('\n') + '\n');
    writeFileSync(node2, second.join('\n') + '\n');
    const strip = (stdout: string): string[] =>
      findings(stdout)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((f) => !String(f.time).startsWith('2099'))
        .map(({ line: _line, ...rest }) => JSON.stringify(rest));
    const one = runCli(['scan', '-p', POLICY, DEMO, '--fail-on', 'none', '-o', 'ndjson']);
    const two = runCli(['scan', '-p', POLICY, node1, node2, '--fail-on', 'none', '-o', 'ndjson']);
    expect(two.stderr).not.toContain('Late:');
    expect(two.stderr).toMatch(/Ahead: +1 record more than --reorder-window/);
    expect(strip(two.stdout)).toEqual(strip(one.stdout));
  });

  it('says how to merge when more files of the same hours are given than are merged at once', () => {
    const lines = demoText.trimEnd().split('\n');
    const nodes = Array.from({ length: 10 }, (_, n) => {
      const file = join(tmp, `node-${n}.ndjson`);
      writeFileSync(file, lines.filter((_, i) => i % 10 === n).join('\n') + '\n');
      return file;
    });
    const ten = runCli(['scan', '-p', POLICY, ...nodes, '--fail-on', 'none', '-o', 'ndjson']);
    expect(ten.stderr).toMatch(/Late: +\d+ records arrived after later ones were judged/);
    expect(ten.stderr).toContain('files are merged by time 8 at a time: merge more logs of the same hours first (README: Time order)');
    const eight = runCli(['scan', '-p', POLICY, ...nodes.slice(0, 8), '--fail-on', 'none', '-o', 'ndjson']);
    expect(eight.stderr).not.toContain('Late:');
  });

  it('gives the same bytes on every run', () => {
    const a = runCli(['scan', '-p', POLICY, DEMO, '-o', 'json']);
    const b = runCli(['scan', '-p', POLICY, DEMO, '-o', 'json']);
    expect(a.stdout).toBe(b.stdout);
  });
});
