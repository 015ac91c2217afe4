import os from 'node:os';
import type { Command } from 'commander';
import { UsageError } from '../model/errors.js';
import { DecodePool, parseChunkBytes, worthStartingEarly } from '../pipeline/decode-pool.js';
import type { InputFlags } from './apply-input.js';

export interface JobsFlags {
  /** Text from the command line; default: the number of cores. */
  jobs?: string;
}

export function addJobsOption(cmd: Command): Command {
  return cmd.option(
    '-j, --jobs <n>',
    'threads: n-1 worker threads decode the logs while the main thread judges (same output as 1); default: the number of cores',
  );
}

/** --jobs as a number of threads; default os.availableParallelism(). */
export function parseJobs(text: string | undefined): number {
  if (text === undefined) return os.availableParallelism();
  const n = Number(text.trim());
  if (!/^\s*\d+\s*$/.test(text) || !Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(`--jobs '${text}' is not a number of threads from 1 to 256`);
  return n;
}

/**
 * Bytes per chunk handed to the workers: APIGUARD_CHUNK_BYTES (internal: tests use small chunks so
 * that a small file spans many), else 512 KiB.
 */
export function chunkBytes(env: NodeJS.ProcessEnv): number {
  const n = parseChunkBytes(env.APIGUARD_CHUNK_BYTES);
  if (n === null) throw new UsageError(`APIGUARD_CHUNK_BYTES '${env.APIGUARD_CHUNK_BYTES}' is not a positive number of bytes`);
  return n;
}

/**
 * The decode pool for --jobs n (n − 1 workers: the main thread is the n-th, reading, judging, and
 * decoding too when it would otherwise wait), or undefined for one thread. Workers start when
 * first needed; when the inputs named on the command line are plain files bigger than a few
 * chunks, they start now, so their start-up overlaps the main thread's (policy loading).
 */
export function decodePool(
  jobs: number,
  flags: InputFlags,
  inputs: string[],
  env: NodeJS.ProcessEnv,
  warn: (text: string) => void,
): DecodePool | undefined {
  if (jobs <= 1) return undefined;
  const exitAt = env.APIGUARD_TEST_WORKER_EXIT;
  const pool = new DecodePool({
    workers: jobs - 1,
    // Only what decoding needs, and the year resolved once for every thread.
    input: {
      format: flags.format,
      mapping: flags.mapping,
      map: flags.map,
      logTimezone: flags.logTimezone,
      logYear: flags.logYear ?? String(new Date().getUTCFullYear()),
    },
    onWarning: warn,
    exitAtChunk: exitAt === undefined || exitAt === '' ? undefined : Number(exitAt),
  });
  if (worthStartingEarly(inputs, chunkBytes(env))) pool.start();
  return pool;
}
