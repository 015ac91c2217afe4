import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverPolicy } from '../../src/policy/discover.js';

function tree(files: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'apiguard-discover-'));
  mkdirSync(join(root, 'a', 'b'), { recursive: true });
  for (const f of files) writeFileSync(join(root, f), 'version: 1\n');
  return root;
}

describe('discoverPolicy', () => {
  it('--policy wins over everything', () => {
    const root = tree(['apiguard.yaml']);
    expect(discoverPolicy('mine.yaml', { APIGUARD_POLICY: 'env.yaml' }, root)).toEqual({ file: 'mine.yaml', via: 'flag' });
  });

  it('then APIGUARD_POLICY', () => {
    const root = tree(['apiguard.yaml']);
    expect(discoverPolicy(undefined, { APIGUARD_POLICY: 'env.yaml' }, root)).toEqual({ file: 'env.yaml', via: 'env' });
  });

  it('an empty APIGUARD_POLICY is ignored', () => {
    const root = tree(['apiguard.yaml']);
    expect(discoverPolicy(undefined, { APIGUARD_POLICY: '' }, root)).toEqual({ file: join(root, 'apiguard.yaml'), via: 'search' });
  });

  it('then apiguard.yaml, then .apiguard.yaml, in the current directory', () => {
    expect(discoverPolicy(undefined, {}, tree(['apiguard.yaml', '.apiguard.yaml']))?.file).toMatch(/[/\\]apiguard\.yaml$/);
    expect(discoverPolicy(undefined, {}, tree(['.apiguard.yaml']))?.file).toMatch(/[/\\]\.apiguard\.yaml$/);
  });

  it('then in the nearest parent that has one', () => {
    const root = tree(['apiguard.yaml', 'a/.apiguard.yaml']);
    expect(discoverPolicy(undefined, {}, join(root, 'a', 'b'))).toEqual({ file: join(root, 'a', '.apiguard.yaml'), via: 'search' });
    const onlyTop = tree(['apiguard.yaml']);
    expect(discoverPolicy(undefined, {}, join(onlyTop, 'a', 'b'))).toEqual({ file: join(onlyTop, 'apiguard.yaml'), via: 'search' });
  });

  it('a directory named apiguard.yaml is not a policy', () => {
    const root = tree([]);
    mkdirSync(join(root, 'a', 'apiguard.yaml'));
    expect(discoverPolicy(undefined, {}, join(root, 'a'))).toBeNull();
  });

  it('null when none is found, and with --no-policy even when one is', () => {
    expect(discoverPolicy(undefined, {}, tree([]))).toBeNull();
    expect(discoverPolicy(false, { APIGUARD_POLICY: 'env.yaml' }, tree(['apiguard.yaml']))).toBeNull();
  });
});
