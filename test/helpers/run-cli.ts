import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/apiguard.js', import.meta.url));

export interface CliResult {
  stdout: string;
  stderr: string;
  status: number | null;
}

/**
 * Runs the built binary (npm test builds first) from the repository root, with a bare
 * environment: only PATH, plus what the test adds. No TTY, so no colour unless forced.
 */
export function runCli(
  args: string[],
  opts: { input?: string | Buffer; env?: Record<string, string>; cwd?: string; /** Kill after this (status then null). */ timeoutMs?: number } = {},
): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    timeout: opts.timeoutMs,
    input: opts.input ?? '',
    env: { PATH: process.env.PATH ?? '', ...opts.env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}
