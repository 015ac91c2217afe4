import type { Counters, FileStats, SkipExample } from '../aggregate/counters.js';
import type { Readable } from 'node:stream';
import { InputError, UsageError } from '../model/errors.js';
import { expandInputs, type Source } from '../read/sources.js';
import { colourLevel, makeChalk } from '../report/colour.js';
import type { Io } from './commands/scan.js';
import { SKIP_REASONS } from '../model/skip.js';
import type { Redactor } from '../report/sanitize.js';

/** The stderr warnings every reading command gives: the first skipped records and broken files, as they happen. */
export function readWarnings(warn: (text: string) => void, redact: Redactor) {
  return {
    onSkip: (e: SkipExample) =>
      warn(`${redact.text(e.file)}:${e.line}: skipped: ${SKIP_REASONS[e.reason]}${e.detail ? ` (${redact.text(e.detail)})` : ''}`),
    onFileError: (s: FileStats) => warn(`${redact.text(s.file)}: ${redact.text(s.error)}`),
  };
}

/** Exit 3 when not one request could be read, saying why. */
export function requireSomethingRead(counters: Counters): void {
  if (counters.parsed > 0) return;
  const why =
    counters.records === 0
      ? 'the input has no records'
      : `all ${counters.records} records were skipped (${counters.skipsByReason().map((s) => `${s.reason}: ${s.count}`).join(', ')})`;
  throw new InputError(`no request could be read: ${why}`);
}

/** Whether requireSomethingRead or requireCompleteFiles would fail. */
export function readFailed(counters: Counters): boolean {
  return counters.parsed === 0 || counters.files.some((f) => f.error);
}

/** Exit 3 when a file could not be read completely: an incomplete read must not pass for a clean one. */
export function requireCompleteFiles(counters: Counters, redact: Redactor): void {
  const broken = counters.files.filter((f) => f.error);
  if (broken.length === 0) return;
  throw new InputError(`${broken.length} file${broken.length === 1 ? '' : 's'} could not be read completely: ${broken.map((f) => redact.text(f.file)).join(', ')}`);
}

/** The warning line every command writes on stderr, coloured only for a terminal. */
export function stderrWarner(io: Io, color?: boolean): (text: string) => void {
  const chalk = makeChalk(colourLevel(color, Boolean(io.stderr.isTTY), io.env));
  return (text) => void io.stderr.write(`${chalk.yellow('apiguard: warning:')} ${text}\n`);
}

/**
 * The inputs to read: as given, or standard input when piped and none are given (a terminal
 * gets a usage error instead of a hang). Files skipped in directories are passed to `ignored`.
 */
export function inputSources(inputs: string[], io: Io, ignored: (path: string) => void): Source[] {
  if (inputs.length === 0) {
    if (io.stdin.isTTY) throw new UsageError('no input: give log files or directories, or - for standard input');
    inputs = ['-'];
  }
  return expandInputs(inputs, () => io.stdin as unknown as Readable, ignored);
}
