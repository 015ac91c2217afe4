import { describe, expect, it } from 'vitest';
import { normalisePath } from '../../src/normalise/path.js';

describe('normalisePath', () => {
  it.each([
    ['/a/b', '/a/b'],
    ['/', '/'],
    ['', '/'],
  ])('leaves a plain path alone / gives root for nothing: %j → %j', (raw, expected) => {
    expect(normalisePath(raw)).toBe(expected);
  });

  it.each([
    ['/a/b?x=1', '/a/b'],
    ['/a/b#frag', '/a/b'],
    ['/a/b?x=1#frag', '/a/b'],
    ['/a#frag?x=1', '/a'],
    ['/a/b?next=/../../admin', '/a/b'],
    ['?x=1', '/'],
  ])('drops the query and fragment: %j → %j', (raw, expected) => {
    expect(normalisePath(raw)).toBe(expected);
  });

  it.each([
    ['/users/%5Fme', '/users/_me'],
    ['/users/%5fme', '/users/_me'],
    ['/%7Euser', '/~user'],
    ['/%41%62%2D%30', '/Ab-0'],
    ['/adm%69n/keys', '/admin/keys'],
  ])('decodes escaped unreserved characters: %j → %j', (raw, expected) => {
    expect(normalisePath(raw)).toBe(expected);
  });

  it.each([
    ['/a%2Fb', '/a%2Fb'],
    ['/a%2fb', '/a%2Fb'],
    ['/caf%c3%a9', '/caf%C3%A9'],
    ['/a%20b', '/a%20b'],
    ['/a%3fb', '/a%3Fb'],
    ['/a%25%32%66', '/a%252f'],
  ])('keeps reserved escapes encoded with upper-case hex: %j → %j', (raw, expected) => {
    expect(normalisePath(raw)).toBe(expected);
  });

  it.each([
    ['/a/%2e%2e/b', '/b'],
    ['/a/%2E%2E/b', '/b'],
    ['/a/.%2e/b', '/b'],
    ['/a/%2e/b', '/a/b'],
    ['/public/%2e%2e/admin/keys', '/admin/keys'],
    ['/admin/%2e%2e%2fsecret', '/admin/..%2Fsecret'],
  ])('resolves escaped dot segments after decoding: %j → %j', (raw, expected) => {
    expect(normalisePath(raw)).toBe(expected);
  });

  it.each([
    ['/a/./b', '/a/b'],
    ['/a/b/../c', '/a/c'],
    ['/a/b/c/../../d', '/a/d'],
    ['/a/..', '/'],
    ['/a/b/..', '/a/'],
    ['/a/.', '/a/'],
    ['/.', '/'],
    ['/..', '/'],
    ['/../../a', '/a'],
    ['/a/../../../b', '/b'],
    ['/a/.hidden', '/a/.hidden'],
    ['/a/.../b', '/a/.../b'],
    ['/a/..b', '/a/..b'],
  ])('resolves dot segments, never above root: %j → %j', (raw, expected) => {
    expect(normalisePath(raw)).toBe(expected);
  });

  it.each([
    ['//a///b', '/a/b'],
    ['/a//b/', '/a/b/'],
    ['/a//', '/a/'],
    ['//', '/'],
    ['/a//../b', '/b'],
  ])('collapses repeated slashes: %j → %j', (raw, expected) => {
    expect(normalisePath(raw)).toBe(expected);
  });

  it.each([
    ['/a/b/', '/a/b/'],
    ['/a/%5F/', '/a/_/'],
  ])('keeps a trailing slash: %j → %j', (raw, expected) => {
    expect(normalisePath(raw)).toBe(expected);
  });

  it.each([
    ['https://host/a/b?x', '/a/b'],
    ['http://host:8080/a//b', '/a/b'],
    ['https://host/a/../b', '/b'],
    ['https://host', '/'],
    ['https://host?x=/a', '/'],
    ['https://host/', '/'],
  ])('takes the path of an absolute-form target: %j → %j', (raw, expected) => {
    expect(normalisePath(raw)).toBe(expected);
  });

  it.each([
    ['/a%zz', '/a%zz'],
    ['/a%4', '/a%4'],
    ['/a%', '/a%'],
    ['/a%zz/%5F', '/a%zz/_'],
    ['/%g1%5F%4', '/%g1_%4'],
  ])('leaves malformed escapes alone: %j → %j', (raw, expected) => {
    expect(normalisePath(raw)).toBe(expected);
  });

  it.each([
    ['/café/日本', '/café/日本'],
    ['/emoji/😀/./x', '/emoji/😀/x'],
  ])('keeps unicode as it is: %j → %j', (raw, expected) => {
    expect(normalisePath(raw)).toBe(expected);
  });

  it('gives a relative path a leading slash', () => {
    expect(normalisePath('a/b')).toBe('/a/b');
  });
});
