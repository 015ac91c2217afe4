/**
 * The first thing the apiguard binary runs, before the CLI's modules load (bin/apiguard.js): when
 * the command will surely want decode workers, start them now. A worker takes ~0.1–0.2 s to
 * start (its own Node and modules); started here, that overlaps the main thread's own start-up
 * (its modules and the policy) instead of following it, and the first chunks are not kept waiting.
 * Imports only Node built-ins and decode-pool.ts, so it costs nothing when it starts none.
 */
import os from 'node:os';
import { parseChunkBytes, prestartWorkers, worthStartingEarly } from '../pipeline/decode-pool.js';

/** The commands that read logs with decode workers (--jobs). */
const READING_COMMANDS = new Set(['scan', 'learn', 'init', 'triage']);

/**
 * How many workers to start, judged from the raw arguments alone: a command that reads logs,
 * --jobs (default: the cores) above 1, and more than a few chunks of plain files among the
 * arguments (any argument that names a file, an option's value such as the policy too: telling
 * them apart needs the parsed command line). Only a guess: the pool decides again from the
 * parsed command line (decodePool in jobs.ts) and takes these workers only when it wants
 * workers; a wrong guess costs an idle thread's start-up, never a result. Anything unusual (a
 * bad --jobs) starts none and is left to the CLI to report.
 */
export function prestartCount(argv: readonly string[], env: NodeJS.ProcessEnv, cores = os.availableParallelism()): number {
  const args = argv.slice(2);
  if (!READING_COMMANDS.has(args[0] ?? '')) return 0;
  let jobs = cores;
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') break;
    let text: string | undefined;
    if (arg === '--jobs' || arg === '-j') text = args[++i];
    else if (arg.startsWith('--jobs=')) text = arg.slice('--jobs='.length);
    else if (/^-j\d/.test(arg)) text = arg.slice(2);
    else continue;
    if (text === undefined || !/^\d+$/.test(text)) return 0;
    jobs = Number(text); // the last one counts, as in commander
  }
  const chunkBytes = parseChunkBytes(env.APIGUARD_CHUNK_BYTES);
  if (jobs <= 1 || jobs > 256 || chunkBytes === null) return 0;
  return worthStartingEarly(args.slice(1), chunkBytes) ? jobs - 1 : 0;
}

export function prestart(argv: readonly string[], env: NodeJS.ProcessEnv): void {
  const n = prestartCount(argv, env);
  if (n > 0) prestartWorkers(n);
}
