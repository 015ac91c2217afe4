import { describe, expect, it } from 'vitest';
import { RoleMatcher, compilePattern, type CompiledPattern } from '../../src/policy/patterns.js';

/** Compiles or fails the test with the error text. */
function compiled(text: string): CompiledPattern {
  const c = compilePattern(text);
  if (typeof c === 'string') throw new Error(`pattern ${text} did not compile: ${c}`);
  return c;
}

/** Does `pattern` match the action `method path`? */
function matches(pattern: string, method: string, path: string): boolean {
  return compiled(pattern).regex.test(`${method} ${path}`);
}

function role(name: string, allow: string[], deny: string[] = []): RoleMatcher {
  return new RoleMatcher(name, allow.map(compiled), deny.map(compiled));
}

describe('compilePattern: path wildcards', () => {
  it.each([
    // pattern, method, path, expected
    ['GET /a/*', 'GET', '/a/b', true],
    ['GET /a/*', 'GET', '/a/b.json', true],
    ['GET /a/*', 'GET', '/a', false],
    ['GET /a/*', 'GET', '/a/', false],
    ['GET /a/*', 'GET', '/a/b/c', false],
    ['GET /a/*', 'GET', '/a/b/', false],
    ['GET /a/*/c', 'GET', '/a/b/c', true],
    ['GET /a/*/c', 'GET', '/a/c', false],
    ['GET /a/*/c', 'GET', '/a//c', false],
    ['GET /a/*/c', 'GET', '/a/b/x/c', false],
  ] as const)('* is exactly one non-empty segment: %s vs %s %s → %s', (pattern, method, path, expected) => {
    expect(matches(pattern, method, path)).toBe(expected);
  });

  it.each([
    ['GET /a/**', 'GET', '/a', true],
    ['GET /a/**', 'GET', '/a/', true],
    ['GET /a/**', 'GET', '/a/b', true],
    ['GET /a/**', 'GET', '/a/b/c', true],
    ['GET /a/**', 'GET', '/a/b/c/', true],
    ['GET /a/**', 'GET', '/ab', false],
    ['GET /a/**', 'GET', '/ab/c', false],
    ['GET /a/**', 'GET', '/', false],
    ['GET /a/**', 'GET', '/b/a', false],
    ['GET /**', 'GET', '/', true],
    ['GET /**', 'GET', '/x/y/z', true],
  ] as const)('** is zero or more segments: %s vs %s %s → %s', (pattern, method, path, expected) => {
    expect(matches(pattern, method, path)).toBe(expected);
  });

  it.each([
    ['/a/z', true],
    ['/a/b/z', true],
    ['/a/b/c/d/z', true],
    ['/a/zz', false],
    ['/a/bz', false],
    ['/a/z/x', false],
    ['/az', false],
    ['/x/a/z', false],
  ] as const)('** in the middle: GET /a/**/z vs %s → %s', (path, expected) => {
    expect(matches('GET /a/**/z', 'GET', path)).toBe(expected);
  });

  it.each([
    ['/users/user-42', true],
    ['/users/user-abc', true],
    ['/users/user-', true],
    ['/users/admin-42', false],
    ['/users/user-42/keys', false],
    ['/users/xuser-42', false],
    ['/users/user', false],
  ] as const)('partial segment user-* vs %s → %s', (path, expected) => {
    expect(matches('GET /users/user-*', 'GET', path)).toBe(expected);
  });

  it.each([
    ['/files/report.pdf', true],
    ['/files/report.', true],
    ['/files/report.pdf/x', false],
    ['/files/reportXpdf', false],
  ] as const)('partial wildcard after a literal dot: /files/report.* vs %s → %s', (path, expected) => {
    expect(matches('GET /files/report.*', 'GET', path)).toBe(expected);
  });

  it('a trailing slash in the pattern is part of the path', () => {
    expect(matches('GET /a/', 'GET', '/a/')).toBe(true);
    expect(matches('GET /a/', 'GET', '/a')).toBe(false);
    expect(matches('GET /a', 'GET', '/a/')).toBe(false);
  });

  it('the root pattern matches only the root', () => {
    expect(matches('GET /', 'GET', '/')).toBe(true);
    expect(matches('GET /', 'GET', '/a')).toBe(false);
  });
});

describe('compilePattern: methods', () => {
  it.each([
    ['* /x', 'GET', true],
    ['* /x', 'DELETE', true],
    ['* /x', 'M-SEARCH', true],
    ['GET|POST /x', 'GET', true],
    ['GET|POST /x', 'POST', true],
    ['GET|POST /x', 'PUT', false],
    ['GET|POST /x', 'GETPOST', false],
    ['GET|POST /x', 'POS', false],
    ['GET /x', 'POST', false],
    ['GET /x', 'GETX', false],
    ['GET /x', 'XGET', false],
    ['GET /x', 'get', false],
    ['PUT /x', 'PUT', true],
  ] as const)('%s vs method %s → %s', (pattern, method, expected) => {
    expect(matches(pattern, method, '/x')).toBe(expected);
  });

  it('keeps the pattern text, with surrounding white space trimmed', () => {
    expect(compiled('  GET|POST   /a/**  ').text).toBe('GET|POST /a/**');
  });
});

describe('compilePattern: case and literal characters', () => {
  it.each([
    ['GET /api/Users', '/api/Users', true],
    ['GET /api/Users', '/api/users', false],
    ['GET /api/users', '/API/users', false],
  ] as const)('paths are case-sensitive: %s vs %s → %s', (pattern, path, expected) => {
    expect(matches(pattern, 'GET', path)).toBe(expected);
  });

  it.each([
    ['GET /a.b', '/a.b', true],
    ['GET /a.b', '/aXb', false],
    ['GET /v1/(x)', '/v1/(x)', true],
    ['GET /v1/(x)', '/v1/x', false],
    ['GET /a+b', '/a+b', true],
    ['GET /a+b', '/aab', false],
    ['GET /a$b', '/a$b', true],
    ['GET /[ab]', '/[ab]', true],
    ['GET /[ab]', '/a', false],
    ['GET /x{2}', '/x{2}', true],
    ['GET /x{2}', '/xx', false],
    ['GET /a|b', '/a|b', true],
    ['GET /a|b', '/b', false],
    ['GET /a^b\\c', '/a^b\\c', true],
  ] as const)('regex metacharacters are literal: %s vs %s → %s', (pattern, path, expected) => {
    expect(matches(pattern, 'GET', path)).toBe(expected);
  });

  it('a | in the path is not a method alternation', () => {
    expect(matches('GET /a|b', 'GET', '/a')).toBe(false);
  });
});

describe('compilePattern: errors', () => {
  it.each([
    ['/x', `'/x' is not "METHOD /path" (e.g. "GET /api/**")`],
    ['GET', `'GET' is not "METHOD /path" (e.g. "GET /api/**")`],
    ['', `'' is not "METHOD /path" (e.g. "GET /api/**")`],
    ['GET /a b', `'GET /a b' is not "METHOD /path" (e.g. "GET /api/**")`],
    ['get /x', `'get /x': 'get' is not an upper-case HTTP method or *`],
    ['Get /x', `'Get /x': 'Get' is not an upper-case HTTP method or *`],
    ['GET|post /x', `'GET|post /x': 'post' is not an upper-case HTTP method or *`],
    ['GET| /x', `'GET| /x': '' is not an upper-case HTTP method or *`],
    ['G3T /x', `'G3T /x': 'G3T' is not an upper-case HTTP method or *`],
    ['*|GET /x', `'*|GET /x': '*' is not an upper-case HTTP method or *`],
    ['GET x', `'GET x': the path must start with /`],
    ['GET api/**', `'GET api/**': the path must start with /`],
    ['GET **', `'GET **': the path must start with /`],
    ['GET /a?b=1', `'GET /a?b=1': query strings and fragments are not part of the path`],
    ['GET /a/?', `'GET /a/?': query strings and fragments are not part of the path`],
    ['GET /a#top', `'GET /a#top': query strings and fragments are not part of the path`],
    ['GET /a/../b', `'GET /a/../b': dot segments cannot be matched (paths are normalised)`],
    ['GET /a/./b', `'GET /a/./b': dot segments cannot be matched (paths are normalised)`],
    ['GET /a/..', `'GET /a/..': dot segments cannot be matched (paths are normalised)`],
    ['GET /a**', `'GET /a**': ** must be a whole segment`],
    ['GET /a/**b/c', `'GET /a/**b/c': ** must be a whole segment`],
    ['GET /a/***', `'GET /a/***': ** must be a whole segment`],
    ['GET /a//b', `'GET /a//b': empty path segment (//)`],
  ])('refuses %j', (text, message) => {
    expect(compilePattern(text)).toBe(message);
  });
});

describe('RoleMatcher', () => {
  it('allows what an allow pattern matches', () => {
    const r = role('reader', ['GET /api/**', 'POST /api/search']);
    expect(r.check('GET', '/api/users/1')).toBe('');
    expect(r.check('POST', '/api/search')).toBe('');
  });

  it('says "is not allowed for ROLE" when no allow pattern matches', () => {
    const r = role('reader', ['GET /api/**', 'POST /api/search']);
    expect(r.check('POST', '/api/users')).toBe('POST /api/users is not allowed for reader');
    expect(r.check('GET', '/admin')).toBe('GET /admin is not allowed for reader');
  });

  it('deny wins over allow, and the reason names the deny pattern that matched', () => {
    const r = role('analyst', ['GET /**'], ['GET /elastic/_security/**', 'GET /opnsense/api/core/backup/**']);
    expect(r.check('GET', '/elastic/logs/_search')).toBe('');
    expect(r.check('GET', '/elastic/_security/user')).toBe(
      'GET /elastic/_security/user is denied for analyst (deny: GET /elastic/_security/**)',
    );
    expect(r.check('GET', '/opnsense/api/core/backup/download/this')).toBe(
      'GET /opnsense/api/core/backup/download/this is denied for analyst (deny: GET /opnsense/api/core/backup/**)',
    );
  });

  it('names the first matching deny pattern when several match', () => {
    const r = role('r', ['* /**'], ['DELETE /a/*', '* /a/**']);
    expect(r.check('DELETE', '/a/b')).toBe('DELETE /a/b is denied for r (deny: DELETE /a/*)');
    expect(r.check('GET', '/a/b')).toBe('GET /a/b is denied for r (deny: * /a/**)');
  });

  it('a deny that does not match leaves the allow in force', () => {
    const r = role('r', ['GET|POST /x/**'], ['POST /x/secret']);
    expect(r.check('GET', '/x/secret')).toBe('');
    expect(r.check('POST', '/x/other')).toBe('');
    expect(r.check('POST', '/x/secret')).toBe('POST /x/secret is denied for r (deny: POST /x/secret)');
  });

  it('denies even what is not allowed, with the deny reason', () => {
    const r = role('r', ['GET /a'], ['* /b']);
    expect(r.check('GET', '/b')).toBe('GET /b is denied for r (deny: * /b)');
  });

  it('a role with allow [] allows nothing', () => {
    const r = role('nothing', []);
    expect(r.check('GET', '/')).toBe('GET / is not allowed for nothing');
    expect(r.check('GET', '')).toBe('GET  is not allowed for nothing');
    expect(r.check('POST', '/api/x')).toBe('POST /api/x is not allowed for nothing');
  });

  it('patterns do not leak into each other when combined (anchors hold per pattern)', () => {
    const r = role('r', ['GET /a', 'POST /b']);
    expect(r.check('GET', '/a')).toBe('');
    expect(r.check('POST', '/b')).toBe('');
    expect(r.check('GET', '/b')).toBe('GET /b is not allowed for r');
    expect(r.check('POST', '/a')).toBe('POST /a is not allowed for r');
    expect(r.check('GET', '/a/x')).toBe('GET /a/x is not allowed for r');
    expect(r.check('GET', '/xa')).toBe('GET /xa is not allowed for r');
  });

  it('exposes its name and compiled lists', () => {
    const r = role('r', ['GET /a'], ['GET /b', 'GET /c']);
    expect(r.name).toBe('r');
    expect(r.allow.map((p) => p.text)).toEqual(['GET /a']);
    expect(r.deny.map((p) => p.text)).toEqual(['GET /b', 'GET /c']);
  });
});

describe('RoleMatcher per-method path expressions', () => {
  /** The check as it was: one alternation over `METHOD path` per list. */
  function reference(allow: string[], deny: string[], method: string, path: string): string {
    const action = `${method} ${path}`;
    const a = allow.map(compiled);
    const d = deny.map(compiled);
    const hit = d.find((p) => p.regex.test(action));
    if (hit) return `${action} is denied for r (deny: ${hit.text})`;
    if (!a.some((p) => p.regex.test(action))) return `${action} is not allowed for r`;
    return '';
  }

  it('give the same answer and reason as testing `METHOD path`, for any method a log may hold', () => {
    const allow = ['GET /a/**', 'GET|POST /b/*', '* /c/*/d', 'PUT /e', 'M-SEARCH /f/**'];
    const deny = ['* /a/secret/**', 'POST /b/x', 'GET /c/*/d'];
    const r = role('r', allow, deny);
    const methods = ['GET', 'POST', 'PUT', 'DELETE', 'M-SEARCH', 'get', 'G3T', '', 'GET /a/x', 'GET /allowed x', '-GET', 'GET-', 'X'];
    const paths = ['/a', '/a/', '/a/x/y', '/a/secret/k', '/b/1', '/b/x', '/b/1/2', '/c/q/d', '/c//d', '/e', '/e/', '/f', '/f/g', '/', '', '/a b', '/x /a/y', ' /a/y'];
    let seed = 5;
    for (let n = 0; n < 3000; n++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const method = methods[seed % methods.length]!;
      const path = paths[(seed >> 8) % paths.length]!;
      expect(r.check(method, path), `${method} ${path}`).toBe(reference(allow, deny, method, path));
    }
    for (const method of methods) for (const path of paths) expect(r.check(method, path), `${method} ${path}`).toBe(reference(allow, deny, method, path));
  });

  it('a role that allows nothing allows nothing, for every method', () => {
    const r = role('r', [], ['GET /x']);
    for (const m of ['GET', 'POST', 'odd method']) expect(r.check(m, '/y')).toBe(`${m} /y is not allowed for r`);
    expect(r.check('GET', '/x')).toBe('GET /x is denied for r (deny: GET /x)');
  });

  it('keeps expressions for a bounded number of distinct methods, and stays right beyond it', () => {
    const r = role('r', ['* /ok']);
    for (let i = 0; i < 200; i++) {
      const m = `M${String.fromCharCode(65 + (i % 26))}${String.fromCharCode(65 + Math.floor(i / 26))}`;
      expect(r.check(m, '/ok')).toBe('');
      expect(r.check(m, '/no')).toBe(`${m} /no is not allowed for r`);
    }
  });
});
