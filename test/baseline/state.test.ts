import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  STATE_CAPS,
  fingerprint,
  hourLabel,
  parseHourLabel,
  parseState,
  readState,
  serialiseState,
  writeState,
  type KeyBaseline,
  type State,
} from '../../src/baseline/state.js';
import { PolicyError, UsageError } from '../../src/model/errors.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'apiguard-state-'));

const FP = '0123456789abcdef0123456789abcdef';

function key(over: Partial<KeyBaseline> = {}): KeyBaseline {
  const hours = new Array<number>(24).fill(0);
  hours[9] = 3;
  return {
    requests: 3,
    first: '2026-11-19T09:00:00.000Z',
    last: '2026-11-19T09:20:00.000Z',
    days: 1,
    networks: { '10.10.5.0/24': 3 },
    actions: { 'GET /elastic/*/_search': 3 },
    hours,
    volume: { '2026-11-19T09': 3 },
    ...over,
  };
}

/** The error a state text gives, as the CLI prints it. */
function problem(text: string): PolicyError {
  try {
    parseState(text, 'state.json');
  } catch (err) {
    if (err instanceof PolicyError) return err;
    throw err;
  }
  throw new Error('parseState accepted it');
}

describe('fingerprints', () => {
  it('are 128 bits of SHA-256 over a fixed domain prefix and the identity group, never the key itself', () => {
    const raw = 'sk_live_Zq8Xw2Lp5Rt7Yv3Nb6Mc';
    const fp = fingerprint({ key: raw, hash: '', id: '', alias: 'soar' });
    expect(fp).toBe(createHash('sha256').update(`apiguard/baseline/key/v1\u0000k:${raw}`).digest('hex').slice(0, 32));
    expect(fp).toMatch(/^[0-9a-f]{32}$/);
    // not a plain hash of the key (which anyone could compute from a leaked key list)
    expect(fp).not.toBe(createHash('sha256').update(raw).digest('hex').slice(0, 32));
  });

  it('follow the identity group: the key wins over hash, id and alias; a key logged another way is another key', () => {
    const byHash = fingerprint({ key: '', hash: 'a1b2c3d4e5f60718', id: 'k1', alias: 'alice' });
    expect(byHash).toBe(fingerprint({ key: '', hash: 'a1b2c3d4e5f60718', id: '', alias: '' }));
    expect(byHash).not.toBe(fingerprint({ key: '', hash: '', id: 'a1b2c3d4e5f60718', alias: '' }));
    expect(fingerprint({ key: '', hash: '', id: '', alias: 'alice' })).toBe(
      createHash('sha256').update('apiguard/baseline/key/v1\u0000a:alice').digest('hex').slice(0, 32),
    );
  });

  it('are empty for a request without any key', () => {
    expect(fingerprint({ key: '', hash: '00000000', id: '-', alias: '' })).toBe('');
  });
});

describe('hour labels', () => {
  it('name a UTC clock hour and read back', () => {
    const hour = Date.parse('2026-11-19T09:00:00Z') / 3_600_000;
    expect(hourLabel(hour)).toBe('2026-11-19T09');
    expect(parseHourLabel('2026-11-19T09')).toBe(hour);
    expect(parseHourLabel('2026-11-19T24')).toBeNaN();
    expect(parseHourLabel('2026-11-19 09')).toBeNaN();
  });
});

describe('serialiseState', () => {
  it('writes sorted keys, one entry a line, arrays on one line, and a final newline', () => {
    const state: State = {
      version: 1,
      keys: {
        ffffffffffffffffffffffffffffffff: key({ alias: 'zed', networks: { '203.0.113.0/24': 1, '10.10.5.0/24': 2 } }),
        [FP]: key(),
      },
    };
    expect(serialiseState(state)).toBe(
      [
        '{',
        '  "keys": {',
        '    "0123456789abcdef0123456789abcdef": {',
        '      "actions": {',
        '        "GET /elastic/*/_search": 3',
        '      },',
        '      "days": 1,',
        '      "first": "2026-11-19T09:00:00.000Z",',
        '      "hours": [0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],',
        '      "last": "2026-11-19T09:20:00.000Z",',
        '      "networks": {',
        '        "10.10.5.0/24": 3',
        '      },',
        '      "requests": 3,',
        '      "volume": {',
        '        "2026-11-19T09": 3',
        '      }',
        '    },',
        '    "ffffffffffffffffffffffffffffffff": {',
        '      "actions": {',
        '        "GET /elastic/*/_search": 3',
        '      },',
        '      "alias": "zed",',
        '      "days": 1,',
        '      "first": "2026-11-19T09:00:00.000Z",',
        '      "hours": [0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],',
        '      "last": "2026-11-19T09:20:00.000Z",',
        '      "networks": {',
        '        "10.10.5.0/24": 2,',
        '        "203.0.113.0/24": 1',
        '      },',
        '      "requests": 3,',
        '      "volume": {',
        '        "2026-11-19T09": 3',
        '      }',
        '    }',
        '  },',
        '  "version": 1',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('reads back what it wrote', () => {
    const state: State = { version: 1, keys: { [FP]: key({ alias: 'alice', evicted: { networks: 4, actions: 0 } }) } };
    expect(parseState(serialiseState(state), 'state.json')).toEqual(state);
    expect(parseState(serialiseState({ version: 1, keys: {} }), 'state.json')).toEqual({ version: 1, keys: {} });
  });
});

describe('readState refuses what it cannot use, naming the file (PolicyError: exit 2)', () => {
  it('another version', () => {
    const err = problem('{"version": 2, "keys": {}}');
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe(
      'state.json: state version 2 is not supported: this apiguard reads version 1 (learn again with apiguard learn, or use the apiguard that wrote it)',
    );
    expect(problem('{"version": "1", "keys": {}}').message).toContain('state version "1" is not supported');
  });

  it.each([
    ['{"name": "apiguard", "version": "0.1.0"}', 'state.json: state version "0.1.0" is not supported'],
    ['{"keys": {}}', 'state.json: not an apiguard state file (expected {"version": 1, "keys": {...}}, as written by apiguard learn)'],
    ['[1, 2]', 'state.json: not an apiguard state file'],
    ['version: 1\n', 'state.json: not an apiguard state file (expected {"version": 1, "keys": {...}}, as written by apiguard learn): not JSON ('],
    ['', 'state.json: not an apiguard state file'],
  ])('a foreign file: %j', (text, message) => {
    expect(problem(text).message.startsWith(message)).toBe(true);
  });

  it('every problem of a damaged file, each with where it is', () => {
    const bad = {
      version: 1,
      extra: true,
      keys: {
        'sk_live_not_a_fingerprint': key(),
        [FP]: {
          ...key(),
          key: 'raw',
          requests: -1,
          first: 'yesterday',
          hours: [1, 2, 3],
          networks: { 'example.org': 1 },
          actions: { 'GET /a': 0 },
          volume: { '2026-11-19 09': 1 },
        },
      },
    };
    expect(problem(JSON.stringify(bad)).message.split('\n')).toEqual([
      'state.json: unknown field "extra"',
      'state.json: "sk_live_not_a_fingerprint" is not a key fingerprint (32 lower-case hex digits)',
      `state.json: keys.${FP}: unknown field "key"`,
      `state.json: keys.${FP}.requests must be a positive whole number`,
      `state.json: keys.${FP}.first must be an ISO 8601 UTC time (2026-11-19T09:00:00.000Z)`,
      `state.json: keys.${FP}: first is after last`,
      `state.json: keys.${FP}.networks: "example.org" is not a network (10.10.5.0/24, 2001:db8::/64)`,
      `state.json: keys.${FP}.actions["GET /a"] must be a positive whole number`,
      `state.json: keys.${FP}.volume: "2026-11-19 09" is not a UTC hour (2026-11-19T09)`,
      `state.json: keys.${FP}.hours must be 24 request counts, one per UTC hour of day`,
    ]);
  });

  it('a list over its cap', () => {
    const networks = Object.fromEntries(Array.from({ length: STATE_CAPS.networks + 1 }, (_, i) => [`10.0.${i}.0/24`, 1]));
    expect(problem(JSON.stringify({ version: 1, keys: { [FP]: key({ networks }) } })).message).toBe(
      `state.json: keys.${FP}.networks: 65 entries, more than the cap of 64`,
    );
  });

  it('a missing file, with how to create one', () => {
    const file = join(tmp(), 'state.json');
    expect(() => readState(file)).toThrow(PolicyError);
    expect(() => readState(file)).toThrow(`${file}: cannot read the state file: no such file (create it with apiguard learn FILES... --state FILE)`);
  });
});

describe('writeState', () => {
  it('replaces the file atomically and leaves no temporary file behind', () => {
    const dir = tmp();
    const file = join(dir, 'state.json');
    writeFileSync(file, 'old');
    const state: State = { version: 1, keys: { [FP]: key() } };
    const bytes = writeState(file, state);
    expect(readFileSync(file, 'utf8')).toBe(serialiseState(state));
    expect(bytes).toBe(Buffer.byteLength(serialiseState(state)));
    expect(readdirSync(dir)).toEqual(['state.json']);
    expect(readState(file)).toEqual(state);
  });

  it('keeps the permissions of the file it replaces, and clears a stale temporary file', () => {
    const dir = tmp();
    const file = join(dir, 'state.json');
    writeFileSync(file, 'old');
    chmodSync(file, 0o600);
    writeFileSync(join(dir, `.state.json.${process.pid}.tmp`), 'stale');
    writeState(file, { version: 1, keys: {} });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe('{\n  "keys": {},\n  "version": 1\n}\n');
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('is a usage error when the file cannot be written, and leaves nothing behind', () => {
    const dir = tmp();
    expect(() => writeState(join(dir, 'no', 'such', 'dir', 'state.json'), { version: 1, keys: {} })).toThrow(UsageError);
    expect(() => writeState(join(dir, 'no', 'state.json'), { version: 1, keys: {} })).toThrow(`cannot write the state file ${join(dir, 'no', 'state.json')}: ENOENT`);
    expect(readdirSync(dir)).toEqual([]);
  });
});
