import { existsSync } from 'node:fs';
import { applyInputOptions, type InputFlags } from '../input-options.js';
import { chunkBytes, decodePool, parseJobs, type JobsFlags } from '../jobs.js';
import { inputSources, readWarnings, requireCompleteFiles, requireSomethingRead, stderrWarner } from '../read-feedback.js';
import { BaselineLearner } from '../../baseline/learn.js';
import { readState, writeState } from '../../baseline/state.js';
import { EXIT, UsageError } from '../../model/errors.js';
import { readRequests } from '../../pipeline/requests.js';
import { Redactor } from '../../report/sanitize.js';
import type { Io } from './scan.js';

/** Options of `apiguard learn`: the state file, and how to read the logs. */
export interface LearnFlags extends InputFlags, JobsFlags {
  /** The baseline state file (required): folded into when it exists, then replaced atomically. */
  state?: string;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * `apiguard learn FILES... --state state.json`: records what each key does (networks, actions,
 * UTC hours, hourly volume) into the state file, folding into what it already holds.
 */
export async function runLearn(inputs: string[], flags: LearnFlags, io: Io): Promise<number> {
  const file = flags.state;
  if (file === undefined || file === '') throw new UsageError('--state FILE is required: the baseline state file to create or fold into');
  const { format, noHeader } = applyInputOptions(flags);
  const warn = stderrWarner(io);
  const pool = decodePool(parseJobs(flags.jobs), flags, inputs, io.env, warn);

  // A bad state file fails before the logs are read (exit 2), and is left as it is.
  const previous = existsSync(file) ? readState(file) : undefined;

  const ignoredFiles: string[] = [];
  const sources = inputSources(inputs, io, (path) => ignoredFiles.push(path));
  // Log-derived text is neutralised; file names are shown as given.
  const redact = new Redactor([]);
  for (const path of ignoredFiles) warn(`${redact.text(path)}: ignored (not named like a log file)`);

  const learner = new BaselineLearner();
  const read = await readRequests({ sources, format, noHeader, ...readWarnings(warn, redact), pool, chunkBytes: chunkBytes(io.env) }, (req) =>
    learner.add(req),
  ).finally(() => pool?.close());
  const counters = read.counters;
  requireSomethingRead(counters);
  // Unlike init's draft, the state is not written after an incomplete read: it accumulates, and
  // learning the repaired file again would count the part already read twice.
  requireCompleteFiles(counters, redact);

  const state = learner.finish(previous);
  const bytes = writeState(file, state);

  const s = learner.stats;
  const total = Object.keys(state.keys).length;
  const added = previous ? Object.keys(state.keys).filter((fp) => !Object.hasOwn(previous.keys, fp)).length : total;
  const period = s.requests > 0 ? ` (${day(s.first)} to ${day(s.last)} UTC)` : '';
  const notLearned = s.noKey + s.authFailure;
  const skipped = notLearned > 0 ? `; not learned: ${s.noKey} without a key, ${s.authFailure} rejected for authentication` : '';
  io.stderr.write(
    `apiguard: learned ${plural(s.keys, 'key')} from ${plural(s.requests, 'request')}${period}${skipped}; ${redact.text(file)}: ${plural(total, 'key')} (${added} new), ${bytes} bytes\n`,
  );
  return EXIT.clean;
}
