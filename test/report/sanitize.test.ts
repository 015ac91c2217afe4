import { describe, expect, it } from 'vitest';
import { neutraliseControls, neutraliseFormula, Redactor } from '../../src/report/sanitize.js';
import { maskSecret } from '../../src/normalise/identity.js';

describe('neutraliseControls', () => {
  it.each([
    ['ESC', 'a\x1b[31mred', 'a\\x1b[31mred'],
    ['CSI (C1)', 'a\x9b2Jb', 'a\\x9b2Jb'],
    ['BEL', 'ding\x07', 'ding\\x07'],
    ['NUL', 'a\x00b', 'a\\x00b'],
    ['DEL', 'a\x7fb', 'a\\x7fb'],
    ['CR', 'ok\rFAKE', 'ok\\x0dFAKE'],
    ['LF', 'line1\nline2', 'line1\\x0aline2'],
    ['TAB', 'a\tb', 'a\\x09b'],
    ['NEL (C1)', 'a\x85b', 'a\\x85b'],
    ['bidi override U+202E', 'invoice\u202Efdp.exe', 'invoice\\u202efdp.exe'],
    ['zero-width space U+200B', 'ad\u200Bmin', 'ad\\u200bmin'],
    ['bidi isolate U+2066', 'x\u2066y', 'x\\u2066y'],
    ['line separator U+2028', 'x\u2028y', 'x\\u2028y'],
    ['BOM / zero-width no-break space U+FEFF', '\uFEFFx', '\\ufeffx'],
    ['several', '\x1b]0;title\x07\r\n', '\\x1b]0;title\\x07\\x0d\\x0a'],
  ])('makes %s visible', (_why, input, expected) => {
    expect(neutraliseControls(input)).toBe(expected);
  });

  it('turns ESC into exactly the four characters \\x1b', () => {
    const out = neutraliseControls('\x1b');
    expect(out).toBe('\\x1b');
    expect([...out]).toEqual(['\\', 'x', '1', 'b']);
  });

  it.each([
    'GET /api/v1/users?id=42',
    'café',
    '日本',
    'emoji 😀 ok',
    'ÿ, \u00a0 (NBSP), « »',
    '',
  ])('leaves %j alone', (text) => {
    expect(neutraliseControls(text)).toBe(text);
  });

  it('gives the same result on repeated calls (no regex state leaks between calls)', () => {
    for (let k = 0; k < 3; k++) {
      expect(neutraliseControls('x\x1by')).toBe('x\\x1by');
      expect(neutraliseControls('plain')).toBe('plain');
    }
  });
});

describe('neutraliseFormula', () => {
  it.each([
    ['=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'],
    ['+1+1', "'+1+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\t=1', "'\t=1"],
    ['\r=1', "'\r=1"],
  ])('prefixes %j with a quote', (input, expected) => {
    expect(neutraliseFormula(input)).toBe(expected);
  });

  it.each(['hello', '1=1', ' =1', "'=1", '', 'a@b.c'])('leaves %j alone', (text) => {
    expect(neutraliseFormula(text)).toBe(text);
  });
});

describe('Redactor', () => {
  const KEY = 'ak_live_7Hq2mZ9xR4vB1nW8'; // masks to ak_l…1nW8

  it('masks every occurrence of a known secret', () => {
    const r = new Redactor([KEY]);
    expect(r.text(`key=${KEY}; again ${KEY},${KEY}`)).toBe('key=ak_l…1nW8; again ak_l…1nW8,ak_l…1nW8');
  });

  it('masks several secrets', () => {
    const r = new Redactor([KEY, 'secret-123']);
    expect(r.text(`a ${KEY} b secret-123 c`)).toBe('a ak_l…1nW8 b se…23 c');
  });

  it('masks a secret that contains another one whole (longest first)', () => {
    const inner = 'live_7Hq2m';
    expect(new Redactor([inner, KEY]).text(`x ${KEY} y ${inner}`)).toBe('x ak_l…1nW8 y li…2m');
    expect(new Redactor([KEY, inner]).text(`x ${KEY} y ${inner}`)).toBe('x ak_l…1nW8 y li…2m');
  });

  it('ignores secrets shorter than 6 characters', () => {
    const r = new Redactor(['abc', 'GET', '12345']);
    expect(r.text('GET /abc/12345')).toBe('GET /abc/12345');
  });

  it('masks a secret of exactly 6 characters', () => {
    expect(new Redactor(['abc123']).text('k=abc123')).toBe('k=…***');
  });

  it('ignores duplicate secrets', () => {
    expect(new Redactor([KEY, KEY]).text(KEY)).toBe('ak_l…1nW8');
  });

  it('leaves text without secrets alone', () => {
    expect(new Redactor([KEY]).text('nothing to see')).toBe('nothing to see');
  });

  it('also neutralises control characters', () => {
    const r = new Redactor([KEY]);
    expect(r.text(`\x1b[2J${KEY}\r\n\u202E`)).toBe('\\x1b[2Jak_l…1nW8\\x0d\\x0a\\u202e');
  });

  it('neutralises controls when there are no secrets at all', () => {
    expect(new Redactor([]).text('a\x07b')).toBe('a\\x07b');
  });
});

describe('Redactor with many secrets', () => {
  /** What Redactor.text did before its filter: every secret tried in turn, longest first. */
  const reference = (secrets: string[], s: string): string => {
    let out = s;
    const sorted = [...new Set(secrets)].filter((x) => x.length >= 6).sort((a, b) => b.length - a.length);
    for (const secret of sorted) if (out.includes(secret)) out = out.split(secret).join(maskSecret(secret));
    return neutraliseControls(out);
  };

  it('masks exactly as trying every secret would, on random texts built from pieces of the secrets', () => {
    let seed = 17;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return Math.floor((seed / 2 ** 31) * n);
    };
    const alphabet = 'ab_-01Zé…\u202e\x1b';
    const word = (min: number, max: number): string => Array.from({ length: min + rand(max - min + 1) }, () => alphabet[rand(alphabet.length)]).join('');
    let masked = 0;
    for (let round = 0; round < 200; round++) {
      // Secrets that share their first characters, contain one another, or are 5–7 characters long.
      const base = word(6, 12);
      const secrets = Array.from({ length: 1 + rand(30) }, () => {
        const kind = rand(4);
        return kind === 0 ? base + word(0, 4) : kind === 1 ? base.slice(0, 5 + rand(3)) : kind === 2 ? word(0, 3) + base : word(5, 14);
      });
      const r = new Redactor(secrets);
      for (let t = 0; t < 20; t++) {
        const text = Array.from({ length: rand(6) }, () => (rand(2) === 0 ? secrets[rand(secrets.length)]!.slice(rand(3)) : word(0, 8))).join(word(0, 2));
        const want = reference(secrets, text);
        expect(r.text(text), JSON.stringify({ secrets, text })).toBe(want);
        if (want !== neutraliseControls(text)) masked++;
      }
    }
    expect(masked).toBeGreaterThan(500); // the texts did hold secrets, often
  });

  it('masks any of 553 raw keys, wherever it stands, and leaves other text alone', () => {
    const keys = Array.from({ length: 553 }, (_, i) => `sk_live_${String(i).padStart(4, '0')}_${(i * 2654435761) >>> 0}`);
    const r = new Redactor(keys);
    for (const i of [0, 1, 276, 552]) {
      const k = keys[i]!;
      expect(r.text(k)).toBe(maskSecret(k));
      expect(r.text(`GET /api?key=${k}&x=1`)).toBe(`GET /api?key=${maskSecret(k)}&x=1`);
    }
    expect(r.text('sk_live_0000 is not a whole key')).toBe('sk_live_0000 is not a whole key');
    expect(r.text('GET /elastic/_security/user is denied for analyst-readonly')).toBe('GET /elastic/_security/user is denied for analyst-readonly');
  });
});
