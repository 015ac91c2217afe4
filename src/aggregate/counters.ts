import { SKIP_REASONS, type Skip, type SkipReason } from '../model/skip.js';

/** What happened to one input file. */
export interface FileStats {
  file: string;
  /** The format used for it ('' when none fitted). */
  format: string;
  /** How records were framed: ndjson, json-document, csv, logfmt or clf ('' before the first line). */
  framing: string;
  gzip: boolean;
  /** Records seen: parsed + skipped (a JSON array line or a CSV row spanning lines is per record). */
  records: number;
  parsed: number;
  skipped: number;
  /** A problem with the file as a whole (truncated gzip, unreadable, no format fits). */
  error: string;
}

export interface SkipExample {
  file: string;
  line: number;
  reason: SkipReason;
  detail: string;
}

/**
 * Counts of what was read, parsed and skipped, and why. Keeps the first few skips with their
 * location as examples for the report; everything else is a count, so memory stays flat.
 */
export class Counters {
  readonly files: FileStats[] = [];
  readonly skips = new Map<SkipReason, number>();
  readonly examples: SkipExample[] = [];
  late = 0;
  /** Records held apart as far ahead in time of all others (src/judge/reorder.ts). */
  ahead = 0;
  /** Requests with a valid key whose Where (no client IP) or What (no method and path) the log could not tell. */
  unchecked = { where: 0, what: 0 };

  constructor(private readonly maxExamples = 10) {}

  startFile(file: string): FileStats {
    const stats: FileStats = { file, format: '', framing: '', gzip: false, records: 0, parsed: 0, skipped: 0, error: '' };
    this.files.push(stats);
    return stats;
  }

  /** Returns true when this skip is one of the first few, worth showing as it happens. */
  skip(stats: FileStats, line: number, s: Skip): boolean {
    stats.skipped++;
    this.skips.set(s.reason, (this.skips.get(s.reason) ?? 0) + 1);
    if (this.examples.length >= this.maxExamples) return false;
    this.examples.push({ file: stats.file, line, reason: s.reason, detail: s.detail });
    return true;
  }

  get records(): number {
    return this.files.reduce((n, f) => n + f.records, 0);
  }

  get parsed(): number {
    return this.files.reduce((n, f) => n + f.parsed, 0);
  }

  get skipped(): number {
    return this.files.reduce((n, f) => n + f.skipped, 0);
  }

  /** Skip counts by reason, in the order of SKIP_REASONS (stable output). */
  skipsByReason(): { reason: SkipReason; description: string; count: number }[] {
    return (Object.keys(SKIP_REASONS) as SkipReason[])
      .filter((r) => this.skips.has(r))
      .map((r) => ({ reason: r, description: SKIP_REASONS[r], count: this.skips.get(r)! }));
  }
}
