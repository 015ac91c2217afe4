import type { Counters, FileStats, SkipExample } from '../aggregate/counters.js';
import { InputError } from '../model/errors.js';
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

/** Exit 3 when a file could not be read completely: an incomplete read must not pass for a clean one. */
export function requireCompleteFiles(counters: Counters, redact: Redactor): void {
  const broken = counters.files.filter((f) => f.error);
  if (broken.length === 0) return;
  throw new InputError(`${broken.length} file${broken.length === 1 ? '' : 's'} could not be read completely: ${broken.map((f) => redact.text(f.file)).join(', ')}`);
}
