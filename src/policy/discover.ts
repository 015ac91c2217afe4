import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Names looked for in the current directory and its parents, in this order. */
export const POLICY_FILE_NAMES = ['apiguard.yaml', '.apiguard.yaml'];

export interface FoundPolicy {
  file: string;
  /** How it was found, for the summary. */
  via: 'flag' | 'env' | 'search';
}

/**
 * Which policy to use, like ESLint and Prettier find their config: `--policy` wins; else the
 * APIGUARD_POLICY environment variable; else `apiguard.yaml` or `.apiguard.yaml` in the current
 * directory or the nearest parent that has one. `false` from `--no-policy` turns the search off.
 */
export function discoverPolicy(flag: string | false | undefined, env: NodeJS.ProcessEnv, cwd: string): FoundPolicy | null {
  if (flag === false) return null;
  if (flag !== undefined) return { file: flag, via: 'flag' };
  const fromEnv = env.APIGUARD_POLICY;
  if (fromEnv !== undefined && fromEnv !== '') return { file: fromEnv, via: 'env' };
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    for (const name of POLICY_FILE_NAMES) {
      const file = join(dir, name);
      if (existsSync(file) && statSync(file).isFile()) return { file, via: 'search' };
    }
    if (dirname(dir) === dir) return null;
  }
}

/** The policy as a report's summary names it: the file, and how it was found unless given by flag. */
export function policyLabel(found: FoundPolicy | null, cwd: string): string | null {
  if (found === null) return null;
  if (found.via === 'flag') return found.file;
  return `${found.file} (${found.via === 'env' ? 'from APIGUARD_POLICY' : `found in ${relative(cwd, dirname(found.file)) || '.'}`})`;
}
