import { describe, expect, it } from 'vitest';
import { Counters } from '../../src/aggregate/counters.js';
import { SKIP_REASONS, skip, type SkipReason } from '../../src/model/skip.js';

describe('Counters', () => {
  it('starts a file with zeroed stats and keeps it in order', () => {
    const c = new Counters();
    const a = c.startFile('a.ndjson');
    const b = c.startFile('b.ndjson.gz');
    expect(a).toEqual({ file: 'a.ndjson', format: '', framing: '', gzip: false, records: 0, parsed: 0, skipped: 0, error: '' });
    expect(c.files).toEqual([a, b]);
    expect(c.files[1]).toBe(b);
    expect(c.late).toBe(0);
    expect(c.records).toBe(0);
    expect(c.parsed).toBe(0);
    expect(c.skipped).toBe(0);
    expect(c.skipsByReason()).toEqual([]);
    expect(c.examples).toEqual([]);
  });

  it('counts skips per file and per reason', () => {
    const c = new Counters();
    const a = c.startFile('a.ndjson');
    const b = c.startFile('b.ndjson');
    c.skip(a, 3, skip('bad-json', 'Unexpected token'));
    c.skip(a, 7, skip('bad-json', 'Unexpected end'));
    c.skip(b, 2, skip('missing-ip'));
    expect(a.skipped).toBe(2);
    expect(b.skipped).toBe(1);
    expect(c.skips.get('bad-json')).toBe(2);
    expect(c.skips.get('missing-ip')).toBe(1);
    expect(c.skips.has('bad-ip')).toBe(false);
    expect(c.skipped).toBe(3);
  });

  it('keeps each example with its file, line, reason and detail', () => {
    const c = new Counters();
    const a = c.startFile('logs/a.ndjson');
    c.skip(a, 12, skip('bad-timestamp', '2026-02-30T00:00:00Z'));
    c.skip(a, 13, skip('missing-path'));
    expect(c.examples).toEqual([
      { file: 'logs/a.ndjson', line: 12, reason: 'bad-timestamp', detail: '2026-02-30T00:00:00Z' },
      { file: 'logs/a.ndjson', line: 13, reason: 'missing-path', detail: '' },
    ]);
  });

  it('keeps only the first N examples and returns true only for those', () => {
    const c = new Counters(3);
    const a = c.startFile('a.ndjson');
    const returned = [1, 2, 3, 4, 5].map((line) => c.skip(a, line, skip('bad-json', `d${line}`)));
    expect(returned).toEqual([true, true, true, false, false]);
    expect(c.examples.map((e) => [e.line, e.detail])).toEqual([
      [1, 'd1'],
      [2, 'd2'],
      [3, 'd3'],
    ]);
    // Every skip is still counted.
    expect(a.skipped).toBe(5);
    expect(c.skips.get('bad-json')).toBe(5);
  });

  it('shares the example budget across files', () => {
    const c = new Counters(2);
    const a = c.startFile('a.ndjson');
    const b = c.startFile('b.ndjson');
    expect(c.skip(a, 1, skip('bad-json'))).toBe(true);
    expect(c.skip(b, 9, skip('bad-ip', '999.1.1.1'))).toBe(true);
    expect(c.skip(b, 10, skip('bad-ip', '1.2.3'))).toBe(false);
    expect(c.examples).toEqual([
      { file: 'a.ndjson', line: 1, reason: 'bad-json', detail: '' },
      { file: 'b.ndjson', line: 9, reason: 'bad-ip', detail: '999.1.1.1' },
    ]);
  });

  it('keeps ten examples by default', () => {
    const c = new Counters();
    const a = c.startFile('a.ndjson');
    const returned = Array.from({ length: 12 }, (_, i) => c.skip(a, i + 1, skip('bad-json')));
    expect(returned.filter(Boolean)).toHaveLength(10);
    expect(returned.slice(10)).toEqual([false, false]);
    expect(c.examples.map((e) => e.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('with a budget of 0 keeps no example but still counts', () => {
    const c = new Counters(0);
    const a = c.startFile('a.ndjson');
    expect(c.skip(a, 1, skip('bad-json'))).toBe(false);
    expect(c.examples).toEqual([]);
    expect(c.skipped).toBe(1);
  });

  it('totals records, parsed and skipped across files', () => {
    const c = new Counters();
    const a = c.startFile('a.ndjson');
    const b = c.startFile('b.ndjson');
    const d = c.startFile('c.ndjson');
    a.records = 10;
    a.parsed = 8;
    c.skip(a, 4, skip('bad-json'));
    c.skip(a, 5, skip('missing-method'));
    b.records = 1_000;
    b.parsed = 999;
    c.skip(b, 77, skip('bad-ip'));
    d.records = 0;
    expect(c.records).toBe(1_010);
    expect(c.parsed).toBe(1_007);
    expect(c.skipped).toBe(3);
  });

  it('lists skips by reason in the order of SKIP_REASONS, not in arrival order', () => {
    const c = new Counters();
    const a = c.startFile('a.ndjson');
    c.skip(a, 1, skip('unknown-format'));
    c.skip(a, 2, skip('missing-path'));
    c.skip(a, 3, skip('missing-path'));
    c.skip(a, 4, skip('bad-json'));
    c.skip(a, 5, skip('missing-timestamp'));
    c.skip(a, 6, skip('missing-path'));
    expect(c.skipsByReason()).toEqual([
      { reason: 'bad-json', description: 'not valid JSON', count: 1 },
      { reason: 'missing-timestamp', description: 'no timestamp', count: 1 },
      { reason: 'missing-path', description: 'no request path', count: 3 },
      { reason: 'unknown-format', description: 'file matches no known log format', count: 1 },
    ]);
  });

  it('lists every reason with its description when each occurs', () => {
    const c = new Counters();
    const a = c.startFile('a.ndjson');
    const reasons = Object.keys(SKIP_REASONS) as SkipReason[];
    for (const r of [...reasons].reverse()) c.skip(a, 1, skip(r));
    expect(c.skipsByReason()).toEqual(reasons.map((r) => ({ reason: r, description: SKIP_REASONS[r], count: 1 })));
    expect(c.skipsByReason().map((s) => s.reason)).toEqual([
      'bad-json',
      'not-an-object',
      'bad-csv',
      'wrong-format',
      'missing-timestamp',
      'bad-timestamp',
      'missing-ip',
      'bad-ip',
      'missing-method',
      'missing-path',
      'line-too-long',
      'unknown-format',
    ]);
  });
});
