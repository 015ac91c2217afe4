import { applyInputOptions, type InputFlags } from '../input-options.js';
import { chunkBytes, decodePool, parseJobs } from '../jobs.js';
import { inputSources, readWarnings, requireCompleteFiles, requireSomethingRead, stderrWarner } from '../read-feedback.js';
import { draftPolicy } from '../../init/draft.js';
import { TrafficLearner } from '../../init/learn.js';
import { EXIT, UsageError } from '../../model/errors.js';
import { readRequests } from '../../pipeline/requests.js';
import { ZoneClock, isValidTimeZone } from '../../policy/zone.js';
import { Redactor } from '../../report/sanitize.js';
import type { Io } from './scan.js';

/** Options of `apiguard init`; numbers arrive as text from the command line (numbers are accepted too). */
export interface InitFlags {
  /** IANA zone for hours and days; default UTC. */
  timezone?: string;
  /** IPv4 prefix length networks are generalised to; default 24. */
  prefix?: string | number;
  /** IPv6 prefix length; default 64. */
  prefix6?: string | number;
  /** rate = ceil(observed peak × margin); default 2, at least 1. */
  margin?: string | number;
  /** Force the log format instead of detecting it per file. */
  format?: string;
  mapping?: InputFlags['mapping'];
  map?: InputFlags['map'];
  logTimezone?: string;
  logYear?: string;
  /** --jobs: threads (default: the number of cores). */
  jobs?: string;
}

function prefixFlag(value: string | number | undefined, fallback: number, max: number, flag: string): number {
  if (value === undefined) return fallback;
  const text = String(value).trim();
  if (!/^\d{1,3}$/.test(text) || Number(text) > max) throw new UsageError(`${flag} '${text}' is not a prefix length from 0 to ${max}`);
  return Number(text);
}

function marginFlag(value: string | number | undefined): number {
  if (value === undefined) return 2;
  const text = String(value).trim();
  const n = Number(text);
  // Below 1 the drafted rate would flag the very traffic it was learned from.
  if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(n) || n < 1 || n > 1000) {
    throw new UsageError(`--margin '${text}' is not a number from 1 to 1000 (the rate limit is the observed peak times this)`);
  }
  return n;
}

/** `apiguard init FILES... > apiguard.yaml`: drafts a policy from observed traffic, for a reviewer. */
export async function runInit(inputs: string[], flags: InitFlags, io: Io): Promise<number> {
  const timezone = flags.timezone ?? 'UTC';
  if (!isValidTimeZone(timezone)) throw new UsageError(`--timezone '${timezone}' is not an IANA time zone (e.g. Europe/Amsterdam, UTC)`);
  const prefix4 = prefixFlag(flags.prefix, 24, 32, '--prefix');
  const prefix6 = prefixFlag(flags.prefix6, 64, 128, '--prefix6');
  const margin = marginFlag(flags.margin);
  const { format, noHeader } = applyInputOptions(flags);
  const warn = stderrWarner(io);
  const pool = decodePool(parseJobs(flags.jobs), flags, inputs, io.env, warn);

  const ignoredFiles: string[] = [];
  const sources = inputSources(inputs, io, (path) => ignoredFiles.push(path));

  // No policy yet, so no known raw keys to mask: log-derived text is still neutralised.
  const redact = new Redactor([]);
  for (const path of ignoredFiles) warn(`${redact.text(path)}: ignored (not named like a log file)`);

  const learner = new TrafficLearner({ clock: new ZoneClock(timezone), prefix4, prefix6 });
  const read = await readRequests(
    {
      sources,
      format,
      noHeader,
      ...readWarnings(warn, redact),
      pool,
      chunkBytes: chunkBytes(io.env),
    },
    (req) => learner.add(req),
  ).finally(() => pool?.close());
  const counters = read.counters;

  // Nothing to learn from: no draft at all, rather than an empty policy that looks like one.
  requireSomethingRead(counters);

  const draft = draftPolicy(learner.finish(), { margin, files: counters.files });
  io.stdout.write(draft.text);
  const commented = draft.commentedKeys ? ` (+${draft.commentedKeys} commented out)` : '';
  io.stderr.write(
    `apiguard: drafted ${draft.keys} key${draft.keys === 1 ? '' : 's'}${commented}, ${draft.roles} role${draft.roles === 1 ? '' : 's'} from ${counters.parsed} request${counters.parsed === 1 ? '' : 's'}; review it before use\n`,
  );

  // As scan: the draft of what was read is written, but an incomplete read is never exit 0.
  requireCompleteFiles(counters, redact);
  return EXIT.clean;
}
