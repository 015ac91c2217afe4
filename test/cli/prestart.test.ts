import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prestartCount } from '../../src/cli/prestart.js';

const dir = mkdtempSync(join(tmpdir(), 'apiguard-prestart-'));
const big = join(dir, 'big.ndjson'); // more than 4 chunks of 1000 bytes
const small = join(dir, 'small.ndjson');
const sub = join(dir, 'logs');
writeFileSync(big, 'x'.repeat(4001));
writeFileSync(small, 'x'.repeat(1000));
mkdirSync(sub);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = { APIGUARD_CHUNK_BYTES: '1000' };
/** Workers prestarted for `apiguard ARGS` on a machine with `cores` cores. */
const count = (args: string[], cores = 2, e: NodeJS.ProcessEnv = env): number => prestartCount(['node', 'bin/apiguard.js', ...args], e, cores);

describe('prestartCount: workers started before the CLI loads', () => {
  it('starts one fewer than --jobs (default: the cores) for a command that reads more than a few chunks of files', () => {
    expect(count(['scan', big])).toBe(1);
    expect(count(['scan', big], 8)).toBe(7);
    for (const command of ['learn', 'init', 'triage']) expect(count([command, big], 4)).toBe(3);
    expect(count(['scan', small, small, small, small, small])).toBe(1); // 5000 bytes in all
  });

  it('reads --jobs in every spelling commander accepts, the last one counting', () => {
    expect(count(['scan', '--jobs', '3', big])).toBe(2);
    expect(count(['scan', big, '--jobs=4'])).toBe(3);
    expect(count(['scan', '-j', '2', big], 8)).toBe(1);
    expect(count(['scan', '-j5', big])).toBe(4);
    expect(count(['scan', '--jobs', '4', '--jobs', '1', big])).toBe(0);
    expect(count(['scan', big, '--', '--jobs', '1'])).toBe(1); // after --, a file name
  });

  it('starts none for one thread, other commands, small or unsized input, or anything it cannot read', () => {
    expect(count(['scan', big], 1)).toBe(0);
    expect(count(['scan', '--jobs', '1', big])).toBe(0);
    expect(count(['scan', small])).toBe(0);
    expect(count(['scan', '-', sub])).toBe(0); // stdin and directories: sizes unknown here
    expect(count(['scan', join(dir, 'missing.ndjson')])).toBe(0);
    expect(count(['formats', big])).toBe(0);
    expect(count(['tickets', 'push', big])).toBe(0);
    expect(count([])).toBe(0);
    expect(count(['scan', big, '--jobs', 'many'])).toBe(0);
    expect(count(['scan', big, '--jobs'])).toBe(0);
    expect(count(['scan', big, '--jobs', '300'])).toBe(0);
    expect(count(['scan', big], 2, { APIGUARD_CHUNK_BYTES: 'lots' })).toBe(0);
    expect(count(['scan', big], 2, {})).toBe(0); // 4001 bytes are less than one default chunk
  });
});
