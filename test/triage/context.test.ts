import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Source } from '../../src/read/sources.js';
import { Redactor } from '../../src/report/sanitize.js';
import { MAX_LINE_SHOWN, maskLine, pullContext } from '../../src/triage/context.js';

const RAW = 'sk_live_neverPrintThis0001';
const lines = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
const src = (name: string, text: string | Buffer): Source => ({ name, open: () => Readable.from([Buffer.from(text)]) });
const none = new Redactor([]);

describe('pullContext', () => {
  it('gives N lines before and after each violation, merging windows that touch', async () => {
    const r = await pullContext([src('a.log', lines.join('\n'))], [{ file: 'a.log', line: 5 }, { file: 'a.log', line: 8 }, { file: 'a.log', line: 20 }], 2, 20, none);
    expect(r.blocks.map((b) => b.lines.map((l) => `${l.violation ? '>' : ' '}${l.line}`))).toEqual([
      [' 3', ' 4', '>5', ' 6', ' 7', '>8', ' 9', ' 10'],
      [' 18', ' 19', '>20', ' 21', ' 22'],
    ]);
    expect(r.blocks[0]!.lines[2]!.text).toBe('line 5');
    expect([r.shown, r.violations]).toEqual([3, 3]);
  });

  it('stops at the start and the end of the file', async () => {
    const r = await pullContext([src('a.log', lines.join('\n'))], [{ file: 'a.log', line: 1 }, { file: 'a.log', line: 30 }], 3, 20, none);
    expect(r.blocks.map((b) => [b.lines[0]!.line, b.lines[b.lines.length - 1]!.line])).toEqual([
      [1, 4],
      [27, 30],
    ]);
  });

  it('gives context for the first M violations only, and says how many there were', async () => {
    const r = await pullContext([src('a.log', lines.join('\n'))], [5, 15, 25].map((line) => ({ file: 'a.log', line })), 0, 2, none);
    expect(r.blocks.map((b) => b.lines.map((l) => l.line))).toEqual([[5], [15]]);
    expect([r.shown, r.violations]).toEqual([2, 3]);
  });

  it('reads each file the violations are in, gzip too, under the name the finding gives', async () => {
    const r = await pullContext(
      [src('a.log', 'a1\na2\na3\n'), src('b.log.gz', gzipSync('b1\nb2\nb3\n'))],
      [{ file: 'b.log.gz', line: 2 }],
      1,
      20,
      none,
    );
    expect(r.blocks).toEqual([{ file: 'b.log.gz', lines: [{ line: 1, text: 'b1', violation: false }, { line: 2, text: 'b2', violation: true }, { line: 3, text: 'b3', violation: false }] }]);
  });

  it('masks raw keys and neutralises control characters in every line', async () => {
    const text = [`{"api_key":"${RAW}"}`, `{"path":"/x\u001b[2J\u202e"}`, `{"tag":"key-${RAW}"}`].join('\n');
    const r = await pullContext([src('a.log', text)], [{ file: 'a.log', line: 2 }], 1, 20, new Redactor([RAW]));
    const out = JSON.stringify(r);
    expect(out).not.toContain(RAW);
    expect(r.blocks[0]!.lines.map((l) => l.text)).toEqual(['{"api_key":"sk_l…0001"}', '{"path":"/x\\x1b[2J\\u202e"}', '{"tag":"key-sk_l…0001"}']);
  });
});

describe('maskLine', () => {
  it('cuts long lines after masking, so a cut never leaves part of a key in the clear', () => {
    // The key straddles the cut: masked first, it is gone before the line is cut.
    const line = 'x'.repeat(MAX_LINE_SHOWN - 5) + RAW + 'y'.repeat(50);
    const shown = maskLine(line, new Redactor([RAW]));
    expect(shown).not.toContain(RAW.slice(0, 5));
    expect(shown).toContain('sk_l…');
    expect(shown.endsWith('more characters)')).toBe(true);
    expect(shown.length).toBeLessThan(MAX_LINE_SHOWN + 40);
  });
});
